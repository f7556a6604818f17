"""Retrieval benchmark: our hybrid retriever vs a naive LangChain baseline on the dev set.

    .venv/bin/python eval/retrieval_eval.py [--skip-build-time] [--show-misses]

Prints Hit@1, Hit@5, MRR and nDCG@10 for both systems (gold = one doc_id#section per question),
query latency p50/p95 of ours, and the time of a full index build from scratch (no embedding cache).
The baseline is what a LangChain tutorial builds: RecursiveCharacterTextSplitter over each file,
Chroma, the same e5 embedder, top-k similarity; a baseline chunk counts for the section it mostly lies in.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_core.embeddings import Embeddings
from loopback import percentile

from assistant.corpus import discover_files
from assistant.retrieval import HybridRetriever, build_index
from assistant.retrieval.cache import EmbeddingCache, text_key
from assistant.retrieval.embeddings import E5Embeddings
from assistant.settings import Settings, get_settings

DATASETS = Path(__file__).resolve().parent / "datasets"
K = 10


def load_questions() -> list[dict[str, str]]:
    questions: list[dict[str, str]] = []
    for path in sorted(DATASETS.glob("retrieval_*.yaml")):
        questions += yaml.safe_load(path.read_text(encoding="utf-8"))
    return questions


def score(rankings: list[list[str]], golds: list[str]) -> dict[str, float]:
    hits1 = hits5 = rr = ndcg = 0.0
    for ranking, gold in zip(rankings, golds, strict=True):
        rank = ranking.index(gold) + 1 if gold in ranking[:K] else None
        if rank:
            hits1 += rank == 1
            hits5 += rank <= 5
            rr += 1 / rank
            ndcg += 1 / math.log2(rank + 1)
    n = len(golds)
    return {"Hit@1": hits1 / n, "Hit@5": hits5 / n, "MRR": rr / n, "nDCG@10": ndcg / n}


class CachedEmbeddings(Embeddings):
    """The same e5 model, with the index's embedding cache, so re-running the baseline is cheap."""

    def __init__(self, inner: E5Embeddings, cache: EmbeddingCache) -> None:
        self.inner, self.cache = inner, cache

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [text_key("baseline/" + E5Embeddings.model_id, t) for t in texts]
        known = self.cache.get_many(keys)
        todo = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in known]
        if todo:
            fresh = dict(zip([k for k, _ in todo], self.inner.embed_documents([t for _, t in todo]), strict=True))
            self.cache.put_many(fresh)
            known.update(fresh)
        return [known[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


_HEADING = re.compile(r"^#{2,6} .*\{#([a-z0-9-]+)\}\s*$", re.MULTILINE)
_ID = re.compile(r"^id:\s*(\S+)", re.MULTILINE)


def naive_baseline(settings: Settings, embedder: E5Embeddings, questions: list[dict[str, str]]) -> list[list[str]]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50, add_start_index=True)
    documents = []
    for path in discover_files([settings.corpus_dir]):
        text = path.read_text(encoding="utf-8")
        doc_id = _ID.search(text).group(1)  # type: ignore[union-attr]
        headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(text)]
        for chunk in splitter.split_documents([Document(page_content=text)]):
            middle = chunk.metadata["start_index"] + len(chunk.page_content) // 2
            anchor = next((a for start, a in reversed(headings) if start <= middle), "summary")
            documents.append(Document(page_content=chunk.page_content, metadata={"key": f"{doc_id}#{anchor}"}))
    cache = EmbeddingCache(settings.embedding_cache_path)
    with tempfile.TemporaryDirectory() as directory:
        store = Chroma.from_documents(documents, CachedEmbeddings(embedder, cache), persist_directory=directory,
                                      collection_metadata={"hnsw:space": "cosine"})
        rankings = []
        for question in questions:
            keys: list[str] = []
            for doc in store.similarity_search(question["q"], k=K * 3):
                if doc.metadata["key"] not in keys:
                    keys.append(doc.metadata["key"])
            rankings.append(keys[:K])
    cache.close()
    return rankings



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-build-time", action="store_true", help="do not time a full build from scratch")
    parser.add_argument("--show-misses", action="store_true", help="list the questions ours misses at 5")
    args = parser.parse_args()

    settings = get_settings()
    build_index(settings)
    questions = load_questions()
    golds = [q["gold"] for q in questions]
    embedder = E5Embeddings()
    retriever = HybridRetriever(settings.index_root, embedder)
    retriever.search("warm up 预热", k=K)

    latencies, ours = [], []
    for question in questions:
        started = time.perf_counter()
        passages = retriever.search(question["q"], k=K)
        latencies.append((time.perf_counter() - started) * 1000)
        ours.append([p.citation_key for p in passages])
    baseline = naive_baseline(settings, embedder, questions)

    n_zh = sum(q["lang"] == "zh" for q in questions)
    print(f"dev set: {len(questions)} questions ({n_zh} zh, {len(questions) - n_zh} en), "
          f"{retriever.index.manifest['chunks']} chunks indexed")
    print(f"{'system':<26}{'Hit@1':>8}{'Hit@5':>8}{'MRR':>8}{'nDCG@10':>9}")
    for name, rankings in (("ours (hybrid e5+BM25)", ours), ("naive LangChain baseline", baseline)):
        m = score(rankings, golds)
        print(f"{name:<26}{m['Hit@1']:>8.3f}{m['Hit@5']:>8.3f}{m['MRR']:>8.3f}{m['nDCG@10']:>9.3f}")
    for language in ("zh", "en"):
        subset = [i for i, q in enumerate(questions) if q["lang"] == language]
        m = score([ours[i] for i in subset], [golds[i] for i in subset])
        b = score([baseline[i] for i in subset], [golds[i] for i in subset])
        print(f"  {language}: ours Hit@5 {m['Hit@5']:.3f} MRR {m['MRR']:.3f} | "
              f"baseline Hit@5 {b['Hit@5']:.3f} MRR {b['MRR']:.3f}")
    gain = score(ours, golds)["Hit@5"] - score(baseline, golds)["Hit@5"]
    print(f"Hit@5 gain over baseline: {gain * 100:+.1f} points")
    print(f"query latency (ours, warm, {len(latencies)} queries): p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 95):.1f} ms")
    if args.show_misses:
        for question, ranking in zip(questions, ours, strict=True):
            if question["gold"] not in ranking[:5]:
                print(f"  MISS {question['q']!r} gold={question['gold']} got={ranking[:3]}")
    if not args.skip_build_time:
        with tempfile.TemporaryDirectory() as directory:
            fresh = Settings(corpus_dir=settings.corpus_dir, data_dir=Path(directory))
            report = build_index(fresh, rebuild=True)
            print(f"full index build from scratch: {report.documents} documents, {report.chunks} chunks in "
                  f"{report.seconds:.1f} s ({report.chunks / report.seconds:.1f} chunks/s)")
        started = time.perf_counter()
        build_index(settings)
        print(f"re-index with nothing changed: {time.perf_counter() - started:.2f} s (in-process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
