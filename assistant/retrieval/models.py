"""What retrieval returns."""

from __future__ import annotations

from pydantic import BaseModel


class Passage(BaseModel):
    doc_id: str
    section: str
    title: str
    heading: str
    url: str | None = None
    text: str
    score: float
    language: str
    kind: str
    province: str | None = None

    @property
    def citation_key(self) -> str:
        return f"{self.doc_id}#{self.section}"
