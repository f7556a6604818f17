"""Starting the assistant (or any ASGI app) on a free loopback port for a benchmark, and waiting until ready."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    argv: Sequence[str], ready_path: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[str]:
    """Run ``python -m <argv> --port P`` and yield its base URL once ``ready_path`` answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", *argv, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}{ready_path}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{' '.join(argv)} was not ready within {timeout:.0f} s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
