"""Scale-out: several workers share state through the database; the index's vectors live where settings say.

`make test` runs this file twice: embedded (Chroma directory, SQLite) and against a Chroma server and PostgreSQL
started by scripts/services.sh (ASSISTANT_CHROMA_URL and SFA_TEST_POSTGRES_URL set).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.retrieval import build_index, current_build
from assistant.retrieval.indexer import read_manifest
from assistant.retrieval.vectors import client_for
from assistant.settings import Settings
from tests.fixtures.serving import assistant_server, seed_data_dir


@pytest.fixture
def two_workers(real_settings: Settings, database_url: str) -> Iterator[str]:
    env = {
        "ASSISTANT_DATA_DIR": str(real_settings.data_dir),
        "ASSISTANT_DATABASE_URL": database_url,
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "15",
        "PROMETHEUS_MULTIPROC_DIR": "",  # serve makes a fresh one for its workers
    }
    with assistant_server(env, ["--workers", "2"]) as base:
        yield base


@pytest.mark.slow
def test_two_worker_processes_share_conversations_limits_and_metrics(two_workers: str) -> None:
    def ask(body: dict[str, object]) -> httpx.Response:
        # A new connection per request, as behind a balancer: consecutive requests reach either worker.
        return httpx.post(f"{two_workers}/api/chat", json=body, headers={"X-Client-Id": "ent-1"}, timeout=30)

    first = ask({"message": "卓越级智能工厂由谁认定？"})
    assert first.status_code == 200
    conversation = first.json()["conversation_id"]
    for _ in range(13):
        follow = ask({"message": "领航级呢？", "conversation_id": conversation})
        assert follow.status_code == 200 and follow.json()["conversation_id"] == conversation
    assert ask({"message": "先进级呢？", "conversation_id": conversation}).status_code == 200  # the 15th
    refused = ask({"message": "基础级呢？"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    metrics = httpx.get(f"{two_workers}/metrics", timeout=10).text
    answered = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("assistant_answers_total{")
    )
    assert answered == 15  # both workers' answers, added up


def test_the_manifest_says_where_the_vectors_are_and_old_collections_go(real_settings: Settings,
                                                                        tmp_path: Path) -> None:
    data = seed_data_dir(real_settings, tmp_path / "data")
    settings = Settings(corpus_dir=real_settings.corpus_dir, data_dir=data)
    build_index(settings)
    first = current_build(settings.index_root)
    assert first is not None
    where = read_manifest(first)["vectors"]
    if settings.chroma_url:
        assert where["kind"] == "server" and where["collection"].endswith(first.name)
        assert not (first / "chroma").exists()
        names = {c.name for c in client_for(first, settings.chroma_url).list_collections()}
        assert where["collection"] in names
    else:
        assert where == {"kind": "embedded", "collection": "passages"} and (first / "chroma").is_dir()
    # Two more builds: the first is no longer the current or the previous one, so it is removed, vectors too.
    for _ in range(2):
        build_index(settings, rebuild=False, extra_paths=[_extra(tmp_path)])
    assert not first.exists()
    if settings.chroma_url:
        names = {c.name for c in client_for(first, settings.chroma_url).list_collections()}
        assert where["collection"] not in names


def _extra(tmp_path: Path) -> Path:
    """A new small file each call, so each build_index call publishes a new build."""
    folder = tmp_path / "extra"
    folder.mkdir(exist_ok=True)
    n = len(list(folder.iterdir())) + 1
    (folder / f"note-{n}.md").write_text(f"# 说明{n}\n\n## 内容 {{#body}}\n\n第{n}份补充说明。\n", encoding="utf-8")
    return folder
