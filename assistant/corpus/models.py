"""Documents, their sections and the chunks the index stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A heading and the text under it. ``anchor`` is stable: explicit ``{#anchor}`` in Markdown,
    otherwise derived from the heading text, so re-indexing never renumbers citations."""

    anchor: str
    heading: str
    text: str
    level: int = 2
    parent: str | None = None


@dataclass
class Document:
    doc_id: str
    title: str
    language: str
    sections: list[Section]
    source_path: str
    content_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def section(self, anchor: str) -> Section | None:
        return next((s for s in self.sections if s.anchor == anchor), None)

    def section_text(self, anchor: str) -> str:
        """The section's own text followed by that of its sub-sections (what a reader of it sees)."""
        start = next((i for i, s in enumerate(self.sections) if s.anchor == anchor), None)
        if start is None:
            return ""
        head = self.sections[start]
        parts = [head.heading, head.text]
        for section in self.sections[start + 1 :]:
            if section.level <= head.level:
                break
            parts += [section.heading, section.text]
        return "\n".join(p for p in parts if p)

    @property
    def kind(self) -> str:
        return str(self.metadata.get("kind", "other"))

    @property
    def province(self) -> str | None:
        value = self.metadata.get("province")
        return str(value) if value else None


@dataclass(frozen=True)
class Chunk:
    """A piece of one section, small enough for the embedder, split between sentences."""

    chunk_id: str
    doc_id: str
    anchor: str
    ordinal: int
    text: str
    heading: str
    title: str
    language: str
    kind: str
    province: str | None
    url: str | None

    @property
    def citation_key(self) -> str:
        return f"{self.doc_id}#{self.anchor}"

    def embedding_text(self) -> str:
        """What the embedder and BM25 see: the document title and heading give a short section context."""
        return f"{self.title} — {self.heading}\n{self.text}"
