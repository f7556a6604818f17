"""Retrieval at 1k / 10k / 100k chunks, embedded Chroma and a Chroma server: index write rate and query latency.

The synthetic corpus (eval/synth_corpus.py) is too large to embed with e5-small on two CPU cores (about 5 chunks/s:
100k chunks would take six hours), so chunk vectors here come from a deterministic hashing embedder of the same
dimension (384), and the e5 rate is measured separately on a sample. What is timed:

- write rate: vectors into Chroma + the BM25 index + chunk records, i.e. a build after embedding;
- query latency: HybridRetriever.search (dense + BM25 + fusion + ranking), excluding the query embedding
  (query vectors are computed before the clock starts);
- load: opening a build, as a worker does when it starts or when a new build is published.

    .venv/bin/python eval/scale_bench.py [--sizes 1000 10000 100000] [--chroma-url http://127.0.0.1:18001]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import percentile
from synth_corpus import SynthChunk, generate

from assistant.retrieval import HybridRetriever
from assistant.retrieval import vectors as vector_store
from assistant.retrieval.indexer import _write_atomic, _write_bm25, _write_jsonl
from assistant.retrieval.tokenize import tokenize

DIMENSION = 384


class HashingEmbedder:
    """Token → fixed random direction (seeded by the token), summed and normalised: cheap, deterministic, and
    texts that share words end up close, as with a real model."""

    def __init__(self) -> None:
        self._tokens: dict[str, np.ndarray] = {}

    def _token(self, token: str) -> np.ndarray:
        vector = self._tokens.get(token)
        if vector is None:
            vector = np.random.default_rng(zlib.crc32(token.encode())).standard_normal(DIMENSION).astype(np.float32)
            self._tokens[token] = vector
        return vector

    def vector(self, tokens: list[str]) -> list[float]:
        total = np.sum([self._token(t) for t in tokens], axis=0) if tokens else np.ones(DIMENSION, np.float32)
        return (total / (np.linalg.norm(total) or 1.0)).tolist()


class PrecomputedQueries:
    """The retriever's embedder, answering from vectors computed before timing starts."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t] for t in texts]


def _record(chunk: SynthChunk, tokens: list[str]) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "anchor": chunk.anchor, "text": chunk.text,
        "heading": chunk.heading, "title": chunk.doc_id, "language": chunk.language, "kind": "notice",
        "province": None, "url": None, "tokens": tokens,
    }


def build(root: Path, chunks: list[SynthChunk], vectors: list[list[float]], tokens: list[list[str]],
          chroma_url: str | None) -> float:
    """Publish a build the way the indexer does (after embedding); returns the seconds it took."""
    started = time.perf_counter()
    folder = root / f"build-synth-{len(chunks)}-{'server' if chroma_url else 'embedded'}-{os.getpid()}"
    folder.mkdir(parents=True)
    where = vector_store.write(
        folder, chroma_url, ids=[c.chunk_id for c in chunks], vectors=vectors, documents=[c.text for c in chunks],
        metadatas=[{"doc_id": c.doc_id, "section": c.anchor, "language": c.language} for c in chunks],
    )
    records = [_record(c, t) for c, t in zip(chunks, tokens, strict=True)]
    _write_jsonl(folder / "chunks.jsonl", records)
    _write_bm25(folder, records)
    (folder / "documents.jsonl").write_text("", encoding="utf-8")
    manifest = {"config": {"embedder": "hashing-384"}, "chunks": len(chunks), "vectors": where}
    _write_atomic(folder / "manifest.json", json.dumps(manifest))
    _write_atomic(root / "CURRENT", folder.name)
    return time.perf_counter() - started


def e5_rate(sample: list[SynthChunk]) -> float:
    from assistant.retrieval.embeddings import E5Embeddings

    embedder = E5Embeddings()
    embedder.embed_documents([sample[0].text])  # load the model outside the clock
    started = time.perf_counter()
    embedder.embed_documents([c.text for c in sample])
    return len(sample) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--chroma-url", default=os.environ.get("ASSISTANT_CHROMA_URL"))
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    answers = yaml.safe_load((Path(__file__).resolve().parent / "datasets" / "answers.yaml").read_text("utf-8"))
    questions = [q["q"] for q in answers["questions"]][: args.queries]
    hashing = HashingEmbedder()
    query_vectors = PrecomputedQueries({q: hashing.vector(tokenize(q)) for q in questions})
    modes = [None] + ([args.chroma_url] if args.chroma_url else [])

    rows = []
    for size in args.sizes:
        chunks = list(generate(size))
        started = time.perf_counter()
        tokens = [tokenize(f"{c.heading} {c.text}") for c in chunks]
        tokenize_s = time.perf_counter() - started
        vectors = [hashing.vector(t) for t in tokens]
        for url in modes:
            with tempfile.TemporaryDirectory(prefix="scale-") as scratch:
                root = Path(scratch) / "index"
                root.mkdir()
                write_s = build(root, chunks, vectors, tokens, url)
                retriever = HybridRetriever(root, query_vectors, chroma_url=url)  # type: ignore[arg-type]
                loading = time.perf_counter()
                retriever.index  # noqa: B018 - opening the build is what is timed here
                load_s = time.perf_counter() - loading
                retriever.search(questions[0], k=5)
                latencies = []
                for question in questions:
                    began = time.perf_counter()
                    retriever.search(question, k=5)
                    latencies.append((time.perf_counter() - began) * 1000)
                if url:
                    vector_store.drop(retriever.index.build, retriever.index.manifest["vectors"], url)
            rows.append({
                "chunks": size, "mode": "server" if url else "embedded",
                "write_per_s": size / (write_s + tokenize_s), "load_s": load_s,
                "p50": statistics.median(latencies), "p95": percentile(latencies, 95),
            })
            row = rows[-1]
            print(f"{size:>7} chunks {row['mode']:<8} write {row['write_per_s']:>7.0f} chunks/s  "
                  f"load {load_s:5.1f} s  search p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms", flush=True)

    rate = e5_rate(list(generate(128, seed=11)))
    print(f"\ne5-small embedding on this CPU: {rate:.1f} chunks/s "
          f"(a 100k-chunk corpus would take {100_000 / rate / 3600:.1f} h to embed once; the cache keeps it once)")
    print("\n| chunks | mode | build write rate (chunks/s, after embedding) | open build (s) | search p50 (ms) | "
          "search p95 (ms) |\n|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['chunks']:,} | {row['mode']} | {row['write_per_s']:.0f} | {row['load_s']:.1f} | "
              f"{row['p50']:.1f} | {row['p95']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
