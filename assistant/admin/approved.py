"""Approved answers: canonical answers staff store for a question (Dify calls them annotation replies).

A question whose embedding is close enough to a stored question's gets the stored answer first, with its
citations. Every citation is checked against the indexed sections when the answer is saved, so an approved answer
obeys the same rule as a generated one: each [n] resolves and each quote is verbatim.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy import select

from assistant.chat.citations import validate
from assistant.chat.router import route
from assistant.corpus.catalog import Catalog
from assistant.eligibility.models import Citation
from assistant.errors import InputError
from assistant.store.db import ApprovedAnswer, ConversationStore

# Measured with e5-small: paraphrases score 0.90-0.99, but so does the same question about another level
# ("先进级由谁认定" vs "卓越级由谁认定": 0.97). Similarity alone cannot tell them apart, so a match must also name
# the same levels and province and have the same intent as the stored question.
DEFAULT_THRESHOLD = 0.88
LOOSE_THRESHOLD = 0.95
GENERAL = "general"
CACHE_SECONDS = 5.0


def signature(question: str) -> tuple[frozenset[str], str | None, str]:
    """What a policy question is about, as the router reads it: levels, province, intent."""
    routed = route(question)
    return frozenset(routed.levels), routed.province, routed.intent


@dataclass(frozen=True)
class ApprovedMatch:
    id: int
    question: str
    answer: str
    citations: list[Citation]
    similarity: float


@dataclass(frozen=True)
class _Stored:
    id: int
    language: str
    levels: frozenset[str]
    province: str | None
    intent: str
    embedding: list[float]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class ApprovedAnswers:
    def __init__(self, store: ConversationStore, embedder: Embeddings, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.store = store
        self.embedder = embedder
        self.threshold = threshold
        self._lock = threading.Lock()
        self._cache: list[_Stored] | None = None

    def _invalidate(self) -> None:
        with self._lock:
            self._cache = None
            self._read_at = float("-inf")

    def _active(self) -> list[_Stored]:
        with self._lock:
            # Other workers may have added answers: re-read at most every few seconds.
            if self._cache is None or time.monotonic() - self._read_at > CACHE_SECONDS:
                with self.store.session() as session:
                    rows = session.scalars(select(ApprovedAnswer).where(ApprovedAnswer.active.is_(True)))
                    self._cache = [
                        _Stored(r.id, r.language, *signature(r.question), list(r.embedding)) for r in rows
                    ]
                self._read_at = time.monotonic()
            return self._cache

    def match(self, question: str, language: str) -> ApprovedMatch | None:
        """The closest active approved answer about the same thing, in the asker's language, if close enough."""
        levels, province, intent = signature(question)
        candidates = [
            stored
            for stored in self._active()
            if (stored.language, stored.levels, stored.province) == (language, levels, province)
            and (stored.intent == intent or GENERAL in (intent, stored.intent))
        ]
        if not candidates:
            return None
        vector = self.embedder.embed_query(question)
        best_id, best = None, 0.0
        for stored in candidates:
            similarity = _cosine(vector, stored.embedding)
            # When the router named no intent for one side, only a closer paraphrase counts.
            needed = self.threshold if stored.intent == intent else LOOSE_THRESHOLD
            if similarity >= needed and similarity > best:
                best_id, best = stored.id, similarity
        if best_id is None:
            return None
        with self.store.transaction() as session:
            row = session.get(ApprovedAnswer, best_id)
            if row is None or not row.active:
                return None
            row.hits += 1
            citations = [Citation.model_validate(c) for c in row.citations]
            return ApprovedMatch(row.id, row.question, row.answer, citations, round(best, 4))

    def add(
        self,
        question: str,
        language: str,
        answer: str,
        citations: list[Citation],
        catalog: Catalog,
        source_feedback_id: int | None = None,
    ) -> int:
        question, answer = question.strip(), answer.strip()
        if not question or not answer:
            raise InputError("question and answer must not be empty")
        numbered = [c.model_copy(update={"n": c.n or i}) for i, c in enumerate(citations, start=1)]
        problems = validate(answer, numbered, catalog)
        if problems:
            raise InputError("citations: " + "; ".join(problems))
        embedding = self.embedder.embed_query(question)
        with self.store.transaction() as session:
            row = ApprovedAnswer(
                question=question,
                language=language,
                answer=answer,
                citations=[c.model_dump(mode="json") for c in numbered],
                embedding=embedding,
                active=True,
                source_feedback_id=source_feedback_id,
            )
            session.add(row)
            session.flush()
            new_id = int(row.id)
        self._invalidate()
        return new_id

    def list(self) -> list[dict[str, Any]]:
        with self.store.session() as session:
            rows = session.scalars(select(ApprovedAnswer).order_by(ApprovedAnswer.id.desc()))
            return [
                {
                    "id": r.id,
                    "question": r.question,
                    "language": r.language,
                    "answer": r.answer,
                    "citations": r.citations,
                    "active": r.active,
                    "hits": r.hits,
                    "source_feedback_id": r.source_feedback_id,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                }
                for r in rows
            ]

    def set_active(self, answer_id: int, active: bool) -> bool:
        with self.store.transaction() as session:
            row = session.get(ApprovedAnswer, answer_id)
            if row is None:
                return False
            row.active = active
        self._invalidate()
        return True
