"""Loading source documents into sections with stable anchors, and chunking them."""

from assistant.corpus.chunking import chunk_section, split_sentences
from assistant.corpus.loader import SUPPORTED_SUFFIXES, discover_files, load_document, load_documents
from assistant.corpus.models import Chunk, Document, Section

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Chunk",
    "Document",
    "Section",
    "chunk_section",
    "discover_files",
    "load_document",
    "load_documents",
    "split_sentences",
]
