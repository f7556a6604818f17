"""Starting the assistant (or any ASGI app) on a free loopback port for a benchmark, and waiting until ready."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def private_data_dir(project_data: Path, target: Path) -> Path:
    """A data folder of its own for a run, seeded with the project's embedding cache so indexing is quick."""
    target.mkdir(parents=True, exist_ok=True)
    cache = project_data / "embedding-cache.sqlite3"
    if cache.exists():
        shutil.copy(cache, target / cache.name)
    return target


def wait_ready(base: str, ready_path: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{ready_path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        time.sleep(0.1)
    raise RuntimeError(f"{base}{ready_path} was not ready within {timeout:.0f} s")


def start(
    argv: Sequence[str], ready_path: str, env: dict[str, str] | None = None, timeout: float = 120, port: int = 0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m <argv> --port P``; return the process and its base URL once ``ready_path`` answers 200."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", *argv, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, ready_path, process, timeout)
    except RuntimeError:
        process.kill()
        raise
    return process, base


@contextmanager
def running(
    argv: Sequence[str], ready_path: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[str]:
    """Run ``python -m <argv> --port P`` and yield its base URL once ``ready_path`` answers 200."""
    process, base = start(argv, ready_path, env, timeout)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
