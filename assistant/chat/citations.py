"""Numbered citations and the answer text that carries their [n] markers.

Every sentence that states a fact is added with the citations that support it; ``render`` puts the markers
before the sentence's final punctuation ("…三个环节[1]。"). ``validate`` re-checks an answer: each [n] must
resolve and each quote must be found verbatim in its section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.corpus.catalog import Catalog
from assistant.eligibility.models import Citation

_MARKER = re.compile(r"\[(\d{1,2})\]")
_END = "。！？.!?；;：:"


@dataclass
class Sentence:
    text: str
    cites: list[int]


@dataclass
class AnswerBuilder:
    language: str
    citations: list[Citation] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def cite(self, citation: Citation | None) -> list[int]:
        if citation is None:
            return []
        for existing in self.citations:
            if (existing.doc_id, existing.section, existing.quote) == (
                citation.doc_id,
                citation.section,
                citation.quote,
            ):
                return [existing.n or 0]
        number = len(self.citations) + 1
        self.citations.append(citation.model_copy(update={"n": number}))
        return [number]

    def say(self, text: str, *citations: Citation | None) -> None:
        numbers: list[int] = []
        for citation in citations:
            for n in self.cite(citation):
                if n not in numbers:
                    numbers.append(n)
        self.sentences.append(Sentence(text.strip(), numbers))

    def say_cited(self, text: str, citations: list[Citation]) -> None:
        """Text that already carries its own [n] markers (an approved answer), renumbered into this answer."""
        renumber = {citation.n: self.cite(citation)[0] for citation in citations}
        text = _MARKER.sub(lambda m: f"[{renumber.get(int(m.group(1)), m.group(1))}]", text.strip())
        self.sentences.append(Sentence(text, []))

    def render(self) -> str:
        pieces = []
        for sentence in self.sentences:
            text = sentence.text
            markers = "".join(f"[{n}]" for n in sentence.cites)
            if markers and text and text[-1] in _END:
                text = text[:-1] + markers + text[-1]
            else:
                text += markers
            pieces.append(text)
        joiner = "" if self.language == "zh" else " "
        return joiner.join(pieces)

    @property
    def has_claims(self) -> bool:
        return any(s.cites for s in self.sentences)


def validate(answer: str, citations: list[Citation], catalog: Catalog) -> list[str]:
    """Problems with an answer's citations; an empty list means every marker resolves and every quote is real."""
    problems = []
    numbers = {c.n for c in citations}
    for marker in {int(m) for m in _MARKER.findall(answer)}:
        if marker not in numbers:
            problems.append(f"[{marker}] has no citation")
    for citation in citations:
        text = catalog.section_text(f"{citation.doc_id}#{citation.section}")
        if not text:
            problems.append(f"[{citation.n}] {citation.doc_id}#{citation.section} is not a corpus section")
        elif citation.quote not in text:
            problems.append(f"[{citation.n}] quote not found in {citation.doc_id}#{citation.section}")
    return problems
