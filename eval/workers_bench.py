"""Throughput of POST /api/chat with 1 and with 2 worker processes (`assistant serve --workers N`), on loopback.

C concurrent clients ask questions from the answer dev set for a fixed time against each setting; the database
is a fresh SQLite file, or PostgreSQL with --database-url (conversations and rate-limit counts are shared there).

    .venv/bin/python eval/workers_bench.py [--workers 1 2] [--clients 8] [--seconds 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import percentile, start

from assistant.retrieval import build_index
from assistant.settings import get_settings


def load(base: str, questions: list[str], clients: int, seconds: float) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            i = seed
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                status = http.post("/api/chat", json={"message": questions[i % len(questions)]}).status_code
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
                    errors[0] += status != 200
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), errors[0], latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    build_index(get_settings())
    data = yaml.safe_load((Path(__file__).resolve().parent / "datasets" / "answers.yaml").read_text(encoding="utf-8"))
    questions = [q["q"] for q in data["questions"] if len(q["q"]) <= 300]
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as directory:
            env = {**os.environ, "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
                   "ASSISTANT_DATABASE_URL": args.database_url or f"sqlite:///{directory}/bench.sqlite3"}
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve makes a fresh one for its workers
            process, base = start(["assistant", "serve", "--workers", str(workers)], "/readyz", env)
            try:
                load(base, questions, args.clients, 5)  # warm every worker
                requests, errors, latencies = load(base, questions, args.clients, args.seconds)
            finally:
                process.terminate()
                process.wait(timeout=30)
        rate = requests / args.seconds
        print(f"{workers} worker(s), {args.clients} clients, {args.seconds:.0f} s: {rate:.1f} req/s, "
              f"errors {errors}, p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 95):.1f} ms",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
