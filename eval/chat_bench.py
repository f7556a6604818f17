"""Chat latency over real HTTP: POST /api/chat (offline grounded answerer) and time to the first SSE event
of /api/chat/stream, against a uvicorn process on loopback. Bounded: a fixed number of requests.

    .venv/bin/python eval/chat_bench.py [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import percentile, running

from assistant.retrieval import build_index
from assistant.settings import get_settings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    build_index(get_settings())
    data = yaml.safe_load((Path(__file__).resolve().parent / "datasets" / "answers.yaml").read_text(encoding="utf-8"))
    questions = [q["q"] for q in data["questions"] if len(q["q"]) <= 300]
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "ASSISTANT_DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3",
               "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}  # one client asking hundreds of questions on purpose
        with running(["assistant", "serve"], "/readyz", env) as base, httpx.Client(base_url=base, timeout=30) as client:
            for question in questions[:5]:  # warm the model, jieba and Chroma
                client.post("/api/chat", json={"message": question})
            latencies = []
            for i in range(args.requests):
                started = time.perf_counter()
                response = client.post("/api/chat", json={"message": questions[i % len(questions)]})
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            first_events = []
            for i in range(min(50, args.requests)):
                started = time.perf_counter()
                with client.stream(
                    "POST", "/api/chat/stream", json={"message": questions[i % len(questions)]}
                ) as stream:
                    for line in stream.iter_lines():
                        if line.startswith("event:"):
                            first_events.append((time.perf_counter() - started) * 1000)
                            break
    print(
        f"POST /api/chat over HTTP ({len(latencies)} requests, 1 client, grounded answerer): "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )
    print(
        f"/api/chat/stream time to first SSE event ({len(first_events)} requests): "
        f"p50 {statistics.median(first_events):.1f} ms, p95 {percentile(first_events, 95):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
