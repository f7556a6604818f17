"""Outside services failing: the Chroma server down or hung, the database locked. Questions still get an answer
(from keyword search) or a clear 503 saying to retry, never a 500 or a wait without end, and nothing stored is lost.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from assistant.api import create_app
from assistant.errors import VectorStoreUnavailable
from assistant.retrieval import HybridRetriever, build_index, current_build, search
from assistant.retrieval.embeddings import E5Embeddings
from assistant.settings import Settings
from assistant.store import ConversationStore
from tests.fixtures.serving import chroma_server, free_port, seed_data_dir, silent_server

# Keyword search finds these in the small test corpus (tests/conftest.py); the last one only the vectors find.
IN_KEYWORDS = "每年三月先进级认定"
ONLY_IN_VECTORS = "自动化立体仓库"


def test_search_answers_from_keywords_while_the_chroma_server_is_down_or_hung(
    small_corpus: Settings, tmp_path: Path, embedder: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    with chroma_server(tmp_path / "chroma", port) as url:
        settings = small_corpus.model_copy(update={"chroma_url": url})
        build_index(settings)
        assert HybridRetriever(settings.index_root, embedder).search(ONLY_IN_VECTORS)  # the vectors serve

    keyword_only: list[int] = []
    with silent_server() as (hung, accepted):
        # The build's own server is stopped now (refused); then a server that accepts and never answers.
        for override in (None, hung):
            retriever = HybridRetriever(
                settings.index_root, embedder, chroma_url=override, chroma_timeout_seconds=0.5,
                on_keyword_only=lambda: keyword_only.append(1),
            )
            best = retriever.search(IN_KEYWORDS, k=1)
            assert [(p.doc_id, p.section) for p in best] == [("alpha", "timing")]
            assert retriever.search(ONLY_IN_VECTORS) == []
            assert not retriever.index.vectors_available
        asked = len(accepted)
        assert asked >= 1
        # Within the retry interval the hung server is not asked again, so no other question waits for it.
        assert retriever.search("energy consumption", k=1)[0].section == "energy"
        assert len(accepted) == asked
    assert len(keyword_only) == 5

    # The server comes back (same folder, same port): after the retry interval the vectors serve again.
    monkeypatch.setattr(search, "VECTOR_RETRY_SECONDS", 0.0)
    retriever = HybridRetriever(settings.index_root, embedder, chroma_timeout_seconds=0.5)
    assert retriever.search(ONLY_IN_VECTORS) == []
    with chroma_server(tmp_path / "chroma", port):
        assert retriever.search(ONLY_IN_VECTORS)
        assert retriever.index.vectors_available


def test_the_chat_answers_with_citations_while_the_chroma_server_is_down(
    real_settings: Settings, tmp_path: Path, database_url: str
) -> None:
    with chroma_server(tmp_path / "chroma") as url:
        settings = Settings(
            corpus_dir=real_settings.corpus_dir,
            data_dir=seed_data_dir(real_settings, tmp_path / "data"),
            chroma_url=url,
            chroma_timeout_seconds=1,
            database_url=database_url,
            rate_limit_per_minute=0,
        )
        build_index(settings)
        client = TestClient(create_app(settings))
        assert client.get("/readyz").json()["vectors"] == "ok"
        first = client.post("/api/chat", json={"message": "先进级智能工厂要覆盖哪些环节？"})
        assert first.status_code == 200

    answer = client.post("/api/chat", json={"message": "智能制造能力成熟度模型有哪些能力要素？"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "answered" and body["citations"] and "[1]" in body["answer"]
    found = client.get("/api/search", params={"q": "智能制造能力成熟度 能力要素"})
    assert found.status_code == 200 and found.json()["results"]
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["vectors"] == "unavailable"
    metrics = client.get("/metrics").text
    counted = next(line for line in metrics.splitlines() if line.startswith("assistant_keyword_only_searches_total"))
    assert float(counted.rsplit(" ", 1)[1]) >= 2
    # The conversation from before the outage is still there and goes on.
    later = client.post("/api/chat", json={"message": "卓越级呢？", "conversation_id": first.json()["conversation_id"]})
    assert later.status_code == 200


def test_a_locked_database_gets_a_503_to_retry_and_loses_nothing(real_settings: Settings, database_url: str) -> None:
    settings = real_settings.model_copy(
        update={"database_url": database_url, "database_timeout_seconds": 0.5, "rate_limit_per_minute": 15}
    )
    client = TestClient(create_app(settings))
    headers = {"X-Client-Id": "locked-out"}
    first = client.post("/api/chat", json={"message": "卓越级智能工厂由谁认定？"}, headers=headers)
    assert first.status_code == 200
    conversation = first.json()["conversation_id"]

    with _lock_held(database_url, "locked-out"):
        refused = client.post(
            "/api/chat", json={"message": "领航级呢？", "conversation_id": conversation}, headers=headers
        )
    assert refused.status_code == 503
    assert "try again" in refused.json()["detail"] and int(refused.headers["retry-after"]) >= 1

    again = client.post("/api/chat", json={"message": "领航级呢？", "conversation_id": conversation}, headers=headers)
    assert again.status_code == 200
    stored = ConversationStore(database_url).messages(conversation)
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant"]


class _lock_held:
    """Another process holding what the next question needs: SQLite's write lock, or on PostgreSQL the rate
    limiter's per-client advisory lock."""

    def __init__(self, url: str, client: str) -> None:
        self.url, self.client = url, client

    def __enter__(self) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite = sqlite3.connect(str(make_url(self.url).database), isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            import zlib

            self.engine = create_engine(self.url)
            self.connection = self.engine.connect()
            self.connection.execute(
                text("SELECT pg_advisory_lock(:key)"), {"key": zlib.crc32(self.client.encode())}
            )

    def __exit__(self, *_: object) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite.rollback()
            self.sqlite.close()
        else:
            self.connection.close()
            self.engine.dispose()  # closing the session ends its advisory lock (a pooled one would keep it)


def test_an_index_build_against_an_absent_chroma_server_fails_at_once_and_the_old_index_serves(
    small_corpus: Settings,
) -> None:
    build_index(small_corpus)
    serving = current_build(small_corpus.index_root)
    away = small_corpus.model_copy(update={"chroma_url": f"http://127.0.0.1:{free_port()}", "chunk_max_chars": 300})
    with pytest.raises(VectorStoreUnavailable, match="unavailable"):
        build_index(away)  # a new chunk size would embed everything again: it must not start on that
    assert current_build(small_corpus.index_root) == serving
    assert not [p for p in small_corpus.index_root.iterdir() if p.is_dir() and p != serving]
