"""Index building: incremental by content hash, removed files leave, anchors stay, a killed build is harmless."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.retrieval import HybridRetriever, build_index, current_build
from assistant.retrieval.embeddings import E5Embeddings
from assistant.settings import Settings


def _keys(retriever: HybridRetriever, query: str, k: int = 3) -> list[str]:
    return [p.citation_key for p in retriever.search(query, k=k)]


def test_first_build_then_nothing_to_do(small_corpus: Settings, embedder: E5Embeddings) -> None:
    first = build_index(small_corpus)
    assert not first.up_to_date and first.documents == 2 and first.embedded == first.chunks == 4
    second = build_index(small_corpus)
    assert second.up_to_date and second.build == first.build and second.embedded == 0
    retriever = HybridRetriever(small_corpus.index_root, embedder)
    assert _keys(retriever, "卓越级成熟度要几级")[0] == "alpha#maturity"
    assert _keys(retriever, "warehouse inventory tracking")[0] == "beta#warehouse"


def test_changed_file_reembeds_only_its_new_text(small_corpus: Settings, embedder: E5Embeddings) -> None:
    build_index(small_corpus)
    beta = small_corpus.corpus_dir / "beta.md"
    beta.write_text(beta.read_text(encoding="utf-8").replace("electricity and gas", "electricity, steam and gas"),
                    encoding="utf-8")
    report = build_index(small_corpus)
    assert (report.embedded, report.reused) == (1, 3)
    retriever = HybridRetriever(small_corpus.index_root, embedder)
    assert any("steam" in p.text for p in retriever.search("steam consumption", k=2))


def test_removed_file_leaves_the_index(small_corpus: Settings, embedder: E5Embeddings) -> None:
    build_index(small_corpus)
    (small_corpus.corpus_dir / "beta.md").unlink()
    report = build_index(small_corpus)
    assert report.documents == 1
    retriever = HybridRetriever(small_corpus.index_root, embedder)
    assert all(p.doc_id == "alpha" for p in retriever.search("warehouse inventory", k=5))


def test_extra_paths_are_remembered_until_they_disappear(small_corpus: Settings, tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("Deployer note: the helpdesk answers on weekdays.", encoding="utf-8")
    assert build_index(small_corpus, extra_paths=[extra]).documents == 3
    assert build_index(small_corpus).up_to_date  # the extra file is remembered, nothing changed
    extra.unlink()
    assert build_index(small_corpus).documents == 2


def test_anchors_are_stable_across_rebuilds(small_corpus: Settings) -> None:
    build_index(small_corpus)
    first = current_build(small_corpus.index_root)
    assert first is not None
    ids_before = [json.loads(line)["chunk_id"] for line in (first / "chunks.jsonl").read_text().splitlines()]
    build_index(small_corpus, rebuild=True)
    second = current_build(small_corpus.index_root)
    assert second is not None and second != first
    ids_after = [json.loads(line)["chunk_id"] for line in (second / "chunks.jsonl").read_text().splitlines()]
    assert ids_after == ids_before
    assert "alpha#maturity:0" in ids_after


def test_unreadable_file_is_named_and_the_rest_index(small_corpus: Settings) -> None:
    (small_corpus.corpus_dir / "broken.pdf").write_bytes(b"not a pdf")
    report = build_index(small_corpus)
    assert report.documents == 2
    assert [Path(e.path).name for e in report.errors] == ["broken.pdf"]


@pytest.mark.slow
def test_killed_index_process_leaves_the_previous_index_serving(small_corpus: Settings, embedder: E5Embeddings) -> None:
    build_index(small_corpus)
    before = current_build(small_corpus.index_root)
    # Enough new text that embedding takes many seconds, so the kill lands mid-build.
    clause = "Factories report their monthly output, energy use and quality figures to the city bureau. " * 4
    lines = "\n\n".join(f"## Item {i} {{#item-{i}}}\n\nClause {i}: {clause}" for i in range(200))
    (small_corpus.corpus_dir / "big.md").write_text(f"# Big\n\n{lines}\n", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(small_corpus.corpus_dir),
           "ASSISTANT_DATA_DIR": str(small_corpus.data_dir)}
    process = subprocess.Popen([sys.executable, "-m", "assistant", "index"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    seen = ""
    while "embedding" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    time.sleep(3)  # well inside the embedding loop (200 chunks take about a minute)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert current_build(small_corpus.index_root) == before
    retriever = HybridRetriever(small_corpus.index_root, embedder)
    assert _keys(retriever, "卓越级成熟度要几级")[0] == "alpha#maturity"
    # The next run finishes the job, reusing what the killed one had already embedded.
    report = build_index(small_corpus)
    assert report.documents == 3 and report.reused > 4
