"""The parsed corpus held in memory, for citations: resolve ``doc_id#section`` to a title, URL and quote.

English answers cite the English twin of a document (``<doc_id>-en``, same anchors) when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.corpus.loader import discover_files, load_documents
from assistant.corpus.models import Document

EN_SUFFIX = "-en"


def split_reference(reference: str) -> tuple[str, str]:
    doc_id, _, section = reference.partition("#")
    return doc_id, section


@dataclass
class Catalog:
    documents: dict[str, Document]

    def has(self, reference: str) -> bool:
        doc_id, section = split_reference(reference)
        document = self.documents.get(doc_id)
        return document is not None and document.section(section) is not None

    def localise(self, reference: str, language: str) -> str:
        """The same section in the asker's language, if that twin exists."""
        doc_id, section = split_reference(reference)
        if language == "en" and not doc_id.endswith(EN_SUFFIX):
            twin = f"{doc_id}{EN_SUFFIX}#{section}"
            if self.has(twin):
                return twin
        return reference

    def section_text(self, reference: str) -> str:
        doc_id, section = split_reference(reference)
        document = self.documents.get(doc_id)
        return document.section_text(section) if document else ""

    def document_of(self, reference: str) -> Document | None:
        return self.documents.get(split_reference(reference)[0])


def load_catalog(corpus_dir: Path) -> Catalog:
    documents, _errors = load_documents(discover_files([corpus_dir]))
    return Catalog({document.doc_id: document for document in documents})
