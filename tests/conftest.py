from __future__ import annotations

import os
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
    settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", data_dir=PROJECT_ROOT / "data")
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def real_retriever(real_settings: Settings) -> HybridRetriever:
    return HybridRetriever(real_settings.index_root, make_embedder(real_settings))
