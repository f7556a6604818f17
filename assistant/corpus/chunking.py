"""Sentence-aware chunking for Chinese and English text: a chunk never ends inside a sentence."""

from __future__ import annotations

import re

from assistant.corpus.models import Chunk, Document, Section

# A sentence ends at Chinese or Western terminal punctuation (plus closing quotes/brackets), or at a
# line break that ends a list item. Western '.' only counts when followed by whitespace, so "GB/T 39116-2020"
# and "3.55" stay whole.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])[”’」』）)]*|(?<=[.;])(?=\s)|\n+")


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _pack(sentences: list[str], max_chars: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        if current and size + len(sentence) > max_chars:
            chunks.append(_join(current))
            current, size = [], 0
        current.append(sentence)
        size += len(sentence)
    if current:
        chunks.append(_join(current))
    return chunks


def _join(sentences: list[str]) -> str:
    out = ""
    for sentence in sentences:
        if out and (out[-1].isascii() and sentence[:1].isascii()):
            out += " "
        elif out and (sentence.startswith(("-", "*", "|")) or re.match(r"\d+[.、]", sentence)):
            out += "\n"
        out += sentence
    return out


def chunk_section(document: Document, section: Section, max_chars: int) -> list[Chunk]:
    text = section.text.strip()
    if not text:
        return []
    bodies = _pack(split_sentences(text), max_chars) if len(text) > max_chars else [text]
    url = document.metadata.get("url")
    return [
        Chunk(
            chunk_id=f"{document.doc_id}#{section.anchor}:{i}",
            doc_id=document.doc_id,
            anchor=section.anchor,
            ordinal=i,
            text=body,
            heading=section.heading,
            title=document.title,
            language=document.language,
            kind=document.kind,
            province=document.province,
            url=str(url) if url else None,
        )
        for i, body in enumerate(bodies)
    ]
