"""Eligibility benchmark: checks per second in-process, and /api/eligibility requests per second over
real HTTP (a uvicorn process on loopback, 4 client threads, bounded in time).

    .venv/bin/python eval/eligibility_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import running

from assistant.corpus.catalog import load_catalog
from assistant.eligibility import EligibilityChecker, Profile, default_rulebook
from assistant.settings import PROJECT_ROOT


def profiles() -> list[tuple[Profile, dt.date]]:
    cases = yaml.safe_load((PROJECT_ROOT / "tests" / "eligibility_cases.yaml").read_text(encoding="utf-8"))["cases"]
    return [(Profile.model_validate(c["profile"]), c["as_of"]) for c in cases]


def in_process(seconds: float) -> float:
    checker = EligibilityChecker(default_rulebook(), load_catalog(PROJECT_ROOT / "corpus"))
    inputs = profiles()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for profile, as_of in inputs:
            checker.check(profile, as_of)
        done += len(inputs)
    return done / (time.perf_counter() - started)


def over_http(seconds: float, clients: int = 4) -> tuple[float, list[float]]:
    with running(
        ["uvicorn", "--factory", "assistant.api:create_app", "--host", "127.0.0.1", "--log-level", "warning"],
        "/healthz",
    ) as base:
        bodies = [{"profile": p.model_dump(mode="json", exclude_none=True), "as_of": str(d)} for p, d in profiles()]
        latencies: list[float] = []
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds

        def worker(offset: int) -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                i = offset
                while time.perf_counter() < deadline:
                    t = time.perf_counter()
                    response = client.post("/api/eligibility", json=bodies[i % len(bodies)])
                    assert response.status_code == 200, response.text
                    with lock:
                        latencies.append((time.perf_counter() - t) * 1000)
                    i += 1

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return len(latencies) / (time.perf_counter() - started), latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    rate = in_process(args.seconds)
    print(f"in-process: {rate:,.0f} checks/s (all four levels per check, {len(profiles())} case profiles)")
    throughput, latencies = over_http(args.seconds)
    ordered = sorted(latencies)
    print(
        f"HTTP /api/eligibility (uvicorn, 1 worker, 4 clients, loopback): {throughput:,.0f} req/s, "
        f"p50 {statistics.median(ordered):.1f} ms, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
