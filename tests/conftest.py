from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.retrieval import HybridRetriever, build_index, make_embedder
from assistant.retrieval.embeddings import E5Embeddings
from assistant.settings import PROJECT_ROOT, Settings

SMALL_DOCS = {
    "alpha.md": """---
id: alpha
title: 测试文件甲
language: zh
kind: notice
date: 2025-06
url: https://example.org/alpha
last_reviewed: 2026-11-25
---

# 测试文件甲

## 申报时间 {#timing}

每年三月由省工业和信息化厅组织先进级智能工厂认定。逾期不予受理。

## 成熟度要求 {#maturity}

卓越级智能工厂的智能制造能力成熟度须达到三级及以上。
""",
    "beta.md": """---
id: beta
title: Test document beta
language: en
kind: guide
date: 2025-04
url: https://example.org/beta
last_reviewed: 2026-11-25
---

# Test document beta

## Warehouse scenarios {#warehouse}

Intelligent warehouse management uses automated storage and real-time inventory tracking.

## Energy scenarios {#energy}

Intelligent energy management monitors electricity and gas consumption across the plant.
""",
}


@pytest.fixture(scope="session")
def embedder() -> E5Embeddings:
    return E5Embeddings()


@pytest.fixture
def small_corpus(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in SMALL_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(corpus_dir=corpus, data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """The bundled corpus, indexed into the project's data/ folder (``make test`` builds it first;
    if it is missing or stale this builds it, reusing the embedding cache)."""
    # The server-mode run (scripts/test-server-mode.sh) indexes into a folder of its own, not the project's data/.
    data_dir = Path(os.environ.get("SFA_TEST_DATA_DIR") or PROJECT_ROOT / "data")
    settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", data_dir=data_dir)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def real_retriever(real_settings: Settings) -> HybridRetriever:
    return HybridRetriever(real_settings.index_root, make_embedder(real_settings))


# -- databases: a fresh SQLite file per test, or a fresh PostgreSQL database when the suite runs in server mode ----
# `make test` runs part of the suite a second time with SFA_TEST_POSTGRES_URL pointing at a PostgreSQL server that
# scripts/services.sh started (and ASSISTANT_CHROMA_URL at a Chroma server).
@pytest.fixture(scope="session")
def new_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    server = os.environ.get("SFA_TEST_POSTGRES_URL")
    created: list[str] = []
    admin = None
    if server:
        from sqlalchemy import create_engine

        admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def new() -> str:
        if admin is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'assistant.sqlite3'}"
        from sqlalchemy import text

        name = f"t_{secrets.token_hex(6)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield new
    if admin is not None:
        from sqlalchemy import text

        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(new_database_url: Callable[[], str]) -> str:
    return new_database_url()
