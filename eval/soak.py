"""Soak: N concurrent clients asking real questions for a fixed time against a uvicorn process on loopback.

Reports requests, errors, throughput, latency p50/p95/p99, and the server's RSS after warm-up and at the end.
Bounded in time; loopback only; the server gets its own data folder and SQLite file.

    .venv/bin/python eval/soak.py [--clients 20] [--seconds 600]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import percentile, private_data_dir, rss_mib, start

from assistant.retrieval import build_index
from assistant.settings import PROJECT_ROOT, Settings

WARM_UP_REQUESTS = 200


def questions() -> list[str]:
    data = yaml.safe_load((Path(__file__).resolve().parent / "datasets" / "answers.yaml").read_text(encoding="utf-8"))
    return [q["q"] for q in data["questions"] if len(q["q"]) <= 300]


def client_loop(
    base: str, asks: list[str], stop_at: float, seed: int, latencies: list[float], statuses: Counter[str]
) -> None:
    rng = random.Random(seed)
    lock = threading.Lock()
    with httpx.Client(base_url=base, timeout=30, headers={"X-Client-Id": f"soak-{seed}"}) as http:
        conversation: str | None = None
        while time.monotonic() < stop_at:
            body: dict[str, object] = {"message": rng.choice(asks)}
            if conversation and rng.random() < 0.3:
                body["conversation_id"] = conversation  # some clients go on in the same conversation
            started = time.perf_counter()
            try:
                response = http.post("/api/chat", json=body)
                key = str(response.status_code)
                if response.status_code == 200:
                    conversation = response.json()["conversation_id"]
            except httpx.HTTPError as error:
                key = type(error).__name__
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[key] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()

    data = private_data_dir(PROJECT_ROOT / "data", Path(tempfile.mkdtemp(prefix="soak-")) / "data")
    build_index(Settings(data_dir=data))
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("ASSISTANT_LLM_BASE_URL", None)
    process, base = start(["assistant", "serve"], "/readyz", env)
    asks = questions()
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            for i in range(WARM_UP_REQUESTS):  # load every lazy part before measuring memory
                http.post("/api/chat", json={"message": asks[i % len(asks)]}).raise_for_status()
        rss_start = rss_mib(process.pid)
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        stop_at = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(target=client_loop, args=(base, asks, stop_at, seed, latencies, statuses))
            for seed in range(args.clients)
        ]
        samples = []
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            time.sleep(min(30.0, max(0.5, args.seconds / 20)))
            samples.append(rss_mib(process.pid))
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss_end = rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)

    total = sum(statuses.values())
    errors = total - statuses.get("200", 0)
    print(f"soak: {args.clients} clients for {elapsed:.0f} s against POST /api/chat (grounded answerer)")
    print(f"requests {total}, errors {errors} {dict(statuses)}, throughput {total / elapsed:.1f} req/s")
    print(
        f"latency ms: p50 {statistics.median(latencies):.1f}, p95 {percentile(latencies, 95):.1f}, "
        f"p99 {percentile(latencies, 99):.1f}, max {max(latencies):.1f}"
    )
    growth = (rss_end - rss_start) / rss_start * 100
    print(
        f"server RSS MiB: after warm-up {rss_start:.0f}, end {rss_end:.0f} ({growth:+.1f}%), "
        f"peak sampled {max(samples, default=rss_end):.0f}"
    )
    return 0 if errors == 0 and growth < 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
