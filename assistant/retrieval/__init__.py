"""Embeddings, the Chroma + BM25 index, and hybrid search."""

from assistant.retrieval.embeddings import E5Embeddings, LocalSentenceTransformerEmbeddings, make_embedder
from assistant.retrieval.indexer import IndexReport, build_index, current_build
from assistant.retrieval.models import Passage
from assistant.retrieval.search import HybridRetriever, SearchIndex, query_language

__all__ = [
    "E5Embeddings",
    "HybridRetriever",
    "IndexReport",
    "LocalSentenceTransformerEmbeddings",
    "Passage",
    "SearchIndex",
    "build_index",
    "current_build",
    "make_embedder",
    "query_language",
]
