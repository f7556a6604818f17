"""Hybrid retrieval over the current index build: dense (Chroma, e5) + keywords (BM25 over jieba tokens),
fused by reciprocal rank, one result per section, the asker's language and province first.

When the vectors cannot be reached (a Chroma server down, hung or failing), search answers from the keyword index
alone rather than failing the question, logs it, and does not ask the server again for ``VECTOR_RETRY_SECONDS``, so
only one question per interval waits for the timeout."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.corpus import Document, Section
from assistant.errors import IndexError_, IndexNotBuilt, VectorStoreUnavailable
from assistant.provinces import detect_province
from assistant.retrieval import vectors as vector_store
from assistant.retrieval.indexer import BM25_DIR, EMPTY_TOKEN, current_build, read_manifest
from assistant.retrieval.models import Passage
from assistant.retrieval.tokenize import tokenize

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Acronyms that appear in Chinese questions too; they say nothing about the asker's language.
_NEUTRAL = frozenset({"gb", "ai", "cmmm", "miit", "kpi", "it", "ok", "pdf", "mes", "erp", "plc"})
RRF_K = 60
CANDIDATES = 40
OTHER_LANGUAGE_WEIGHT = 0.35
OTHER_PROVINCE_WEIGHT = 0.6
SAME_PROVINCE_WEIGHT = 1.5
SUMMARY_WEIGHT = 0.8
VECTOR_RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)


def query_language(text: str) -> str:
    """English when the sentence is framed in English words, even if it quotes a Chinese term or 文号."""
    words = [w for w in _LATIN_WORD.findall(text) if w.lower() not in _NEUTRAL]
    if len(words) >= 3 or not _CJK.search(text):
        return "en"
    return "zh"


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: str
    doc_id: str
    anchor: str
    text: str
    heading: str
    title: str
    language: str
    kind: str
    province: str | None
    url: str | None


class SearchIndex:
    """One loaded build: Chroma collection, BM25 model, chunks and parsed documents."""

    def __init__(
        self,
        build: Path,
        chroma_url: str | None = None,
        chroma_timeout_seconds: float = vector_store.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        import bm25s

        self.build = build
        self.manifest = read_manifest(build)
        records = [json.loads(line) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        self.chunks = [ChunkRecord(**{k: r[k] for k in ChunkRecord.__dataclass_fields__}) for r in records]
        self._position = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.documents: dict[str, Document] = {}
        for line in (build / "documents.jsonl").read_text(encoding="utf-8").splitlines():
            raw = json.loads(line)
            raw["sections"] = [Section(**s) for s in raw["sections"]]
            self.documents[raw["doc_id"]] = Document(**raw)
        saved = build / BM25_DIR
        if saved.exists():  # memory-mapped: several workers share one copy in the page cache
            self._bm25 = bm25s.BM25.load(str(saved), mmap=True)
        else:  # a build from before the keyword index was saved
            self._bm25 = bm25s.BM25()
            self._bm25.index([r["tokens"] or [EMPTY_TOKEN] for r in records] or [[EMPTY_TOKEN]], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict) if records else set()
        self._where = self.manifest.get("vectors", {})
        self._chroma_url = chroma_url
        self._chroma_timeout = chroma_timeout_seconds
        self._collection: Any = None
        self._vectors_retry_at = 0.0
        if not vector_store.is_server(self._where):  # an embedded build that cannot be opened is a broken build
            self._collection = vector_store.open_collection(build, self._where, None)

    @property
    def embedder(self) -> str:
        return str(self.manifest["config"]["embedder"])

    @property
    def vectors_available(self) -> bool:
        """False for VECTOR_RETRY_SECONDS after the vectors failed: until then, search does not ask again."""
        return time.monotonic() >= self._vectors_retry_at

    def dense(self, vector: list[float], n: int) -> list[int]:
        """Chunk positions nearest to ``vector``; raises VectorStoreUnavailable when the server cannot answer."""
        if not self.chunks:
            return []
        try:
            if self._collection is None:  # a server collection is opened on first use, and again after a failure
                self._collection = vector_store.open_collection(
                    self.build, self._where, self._chroma_url, self._chroma_timeout
                )
            result = self._collection.query(query_embeddings=[vector], n_results=min(n, len(self.chunks)), include=[])
        except Exception as error:
            if not vector_store.is_server(self._where):
                raise
            self._collection = None
            self._vectors_retry_at = time.monotonic() + VECTOR_RETRY_SECONDS
            if isinstance(error, VectorStoreUnavailable):
                raise
            raise VectorStoreUnavailable(str(self._chroma_url or self._where.get("url")), error) from error
        return [self._position[i] for i in result["ids"][0] if i in self._position]

    def keyword(self, query: str, n: int) -> list[int]:
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if len(scores) > n:  # a partial sort: at 100k chunks a full argsort costs more than the scoring
            candidates = np.argpartition(-scores, n)[:n]
            top = candidates[np.argsort(-scores[candidates])]
        else:
            top = np.argsort(-scores)
        return [int(i) for i in top if scores[i] > 0]


class HybridRetriever:
    """Loads the current build lazily and reloads when ``assistant index`` publishes a new one."""

    def __init__(
        self,
        index_root: Path,
        embedder: Embeddings,
        excluded: Callable[[], frozenset[str]] | None = None,
        chroma_url: str | None = None,
        chroma_timeout_seconds: float = vector_store.DEFAULT_TIMEOUT_SECONDS,
        on_keyword_only: Callable[[], None] | None = None,
    ) -> None:
        self.index_root = index_root
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.chroma_timeout_seconds = chroma_timeout_seconds
        self.on_keyword_only = on_keyword_only  # e.g. a metrics counter
        # Document ids staff disabled (``assistant.admin``): they stay indexed but are never returned.
        self.excluded = excluded or frozenset
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> SearchIndex:
        build = current_build(self.index_root)
        if build is None:
            raise IndexNotBuilt()
        if self._index is None or self._index.build != build:
            with self._lock:
                if self._index is None or self._index.build != build:
                    try:
                        self._index = SearchIndex(build, self.chroma_url, self.chroma_timeout_seconds)
                    except (OSError, ValueError, KeyError) as error:
                        raise IndexError_(f"the index at {build} cannot be read: {error}") from error
        return self._index

    def is_ready(self) -> bool:
        try:
            return self.index is not None  # loading the current build raises when there is none
        except IndexError_:
            return False

    def search(
        self,
        query: str,
        k: int = 5,
        language: str | None = None,
        province: str | None = None,
    ) -> list[Passage]:
        index = self.index
        language = language or query_language(query)
        province = province or detect_province(query)  # "辽宁2024年的名额" is about Liaoning's documents
        fused: dict[int, float] = {}
        for ranking in (self._dense(index, query), index.keyword(query, CANDIDATES)):
            for rank, position in enumerate(ranking):
                fused[position] = fused.get(position, 0.0) + 1.0 / (RRF_K + rank + 1)
        best: dict[str, tuple[float, ChunkRecord]] = {}
        excluded = self.excluded()
        for position, score in fused.items():
            chunk = index.chunks[position]
            if chunk.doc_id in excluded:
                continue
            score *= _preference(chunk, language, province)
            key = f"{chunk.doc_id}#{chunk.anchor}"
            if key not in best or score > best[key][0]:
                best[key] = (score, chunk)
        ranked = sorted(best.values(), key=lambda item: (-item[0], item[1].chunk_id))[:k]
        return [
            Passage(
                doc_id=chunk.doc_id,
                section=chunk.anchor,
                title=chunk.title,
                heading=chunk.heading,
                url=chunk.url,
                text=chunk.text,
                score=round(score, 6),
                language=chunk.language,
                kind=chunk.kind,
                province=chunk.province,
            )
            for score, chunk in ranked
        ]

    def _dense(self, index: SearchIndex, query: str) -> list[int]:
        if not index.vectors_available:
            self._keyword_only(None)
            return []
        try:
            return index.dense(self.embedder.embed_query(query), CANDIDATES)
        except VectorStoreUnavailable as error:
            self._keyword_only(error)
            return []

    def _keyword_only(self, error: VectorStoreUnavailable | None) -> None:
        if error is not None:
            log.warning("vector search failed; keyword search only", extra={"error": str(error)})
        if self.on_keyword_only is not None:
            self.on_keyword_only()


def _preference(chunk: ChunkRecord, language: str, province: str | None) -> float:
    weight = 1.0 if chunk.language == language else OTHER_LANGUAGE_WEIGHT
    if chunk.anchor == "summary":
        # A document's opening summary restates its sections; the section itself is the better citation.
        weight *= SUMMARY_WEIGHT
    if province and chunk.province:
        weight *= SAME_PROVINCE_WEIGHT if chunk.province == province else OTHER_PROVINCE_WEIGHT
    return weight
