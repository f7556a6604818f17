"""Fault drills against a real uvicorn process on loopback, bounded in time.

kill-reindex: staff upload a document; while the server re-indexes it, the server is killed with SIGKILL. After a
restart the previous build serves, every stored conversation is still there, and the next re-index finishes,
reusing the vectors the killed run had already paid for.

llm-down: the LLM endpoint is refused (nothing listens) or hangs (accepts, never answers). Every question still
gets an answer from the grounded answerer, within 2 s.

chroma-down: the assistant serves an index whose vectors are in a Chroma server; the server is killed with SIGKILL,
then the assistant is pointed at a server that hangs. Every question still gets an answer (keyword search); after
the server restarts, the vectors serve again.

    .venv/bin/python eval/faults.py [kill-reindex|llm-down|chroma-down|all]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback import free_port, percentile, private_data_dir, start, wait_ready

from assistant.retrieval import build_index, current_build
from assistant.retrieval.search import VECTOR_RETRY_SECONDS
from assistant.settings import PROJECT_ROOT, Settings

ADMIN_TOKEN = "faults-drill-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
QUESTIONS = [
    "卓越级智能工厂由谁认定？",
    "What maturity level does the premium level require?",
    "云南先进级什么时候申报？",
]
KEYWORD_ONLY = "assistant_keyword_only_searches_total"
# Answered from retrieved passages, not from the rulebook: these need the vectors (or, without them, the keywords).
RETRIEVAL_QUESTIONS = [
    "智能制造能力成熟度模型有哪些能力要素？",
    "江苏2024年的国家卓越级企业还要申报省先进级吗？",
    "What does the scenario guide say about intelligent warehousing?",
]


def _long_document(sections: int) -> str:
    """A document whose sections are all new text, so re-indexing it has real embedding work to do."""
    front = "---\nid: drill-long-notice\ntitle: 演练用长篇通知\nlanguage: zh\nkind: notice\ndate: 2026-11\n---\n"
    parts = [f"{front}\n# 演练用长篇通知\n"]
    for i in range(sections):
        parts.append(
            f"\n## 第{i + 1}条 {{#s{i + 1}}}\n\n演练条款{i + 1}：企业应于第{i + 1}个工作日前向所在地市工信部门报送"
            f"第{i + 1}批智能工厂建设材料，材料编号为DRILL-{i + 1:04d}，逾期按第{i + 2}批处理。\n"
        )
    return "".join(parts)


def _server_env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
        "ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN,
        **extra,
    }
    if "ASSISTANT_LLM_BASE_URL" not in extra:
        env.pop("ASSISTANT_LLM_BASE_URL", None)
    return env


def kill_during_reindex(workdir: Path, sections: int = 120) -> dict[str, Any]:
    data = private_data_dir(PROJECT_ROOT / "data", workdir / "data")
    build_index(Settings(data_dir=data))
    build_before = current_build(data / "index")
    assert build_before is not None
    env = _server_env(data)
    port = free_port()
    process, base = start(["assistant", "serve"], "/readyz", env, port=port)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            conversations = [http.post("/api/chat", json={"message": q}).json()["conversation_id"] for q in QUESTIONS]
            upload = http.post(
                "/admin/api/documents",
                headers=AUTH,
                files={"file": ("drill.md", _long_document(sections).encode(), "text/markdown")},
            )
            upload.raise_for_status()
            job_id = upload.json()["index_job"]["id"]
            deadline = time.monotonic() + 120
            job: dict[str, Any] = {}
            while time.monotonic() < deadline:
                job = http.get(f"/admin/api/index/jobs/{job_id}", headers=AUTH).json()
                if job["phase"] == "embedding" and job["done"] > 0:
                    break
                if job["state"] in ("done", "failed"):
                    raise RuntimeError(f"the re-index ended before it could be interrupted: {job}")
                time.sleep(0.05)
            killed_at = f"{job['done']}/{job['total']} chunks embedded"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    build_after_kill = current_build(data / "index")
    process, base = start(["assistant", "serve"], "/readyz", env, port=port)
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            ready = http.get("/readyz").json()
            kept = [
                http.get(f"/admin/api/conversations/{cid}", headers=AUTH).status_code == 200 for cid in conversations
            ]
            follow_up = http.post("/api/chat", json={"message": "领航级呢？", "conversation_id": conversations[0]})
            pending = http.get("/admin/api/documents", headers=AUTH).json()["pending_uploads"]
            job = http.post("/admin/api/index", headers=AUTH).json()
            while job["state"] not in ("done", "failed"):
                time.sleep(0.3)
                job = http.get(f"/admin/api/index/jobs/{job['id']}", headers=AUTH).json()
            found = http.get("/api/search", params={"q": "材料编号 DRILL-0007"}).json()["results"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "killed_at": killed_at,
        "serving_build_unchanged": build_after_kill == build_before and ready.get("build") == build_before.name,
        "conversations_kept": f"{sum(kept)}/{len(kept)}",
        "follow_up_status": follow_up.status_code,
        "upload_pending_after_restart": pending,
        "reindex_after_restart": job.get("state"),
        "embedded_after_restart": job.get("result", {}).get("embedded"),
        "reused_after_restart": job.get("result", {}).get("reused"),
        "new_document_found": bool(found) and found[0]["doc_id"] == "drill-long-notice",
    }


class _Silent:
    """A TCP endpoint that accepts connections and never answers (a hung LLM or Chroma server)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        for connection in self.held:
            connection.close()


def llm_down(workdir: Path, rounds: int = 5) -> dict[str, Any]:
    data = private_data_dir(PROJECT_ROOT / "data", workdir / "data")
    build_index(Settings(data_dir=data))
    hung = _Silent()
    endpoints = {"refused": f"http://127.0.0.1:{free_port()}/v1", "hanging": f"http://127.0.0.1:{hung.port}/v1"}
    report: dict[str, Any] = {}
    try:
        for name, url in endpoints.items():
            env = _server_env(data, ASSISTANT_LLM_BASE_URL=url, ASSISTANT_LLM_TIMEOUT_SECONDS="1.5")
            process, base = start(["assistant", "serve"], "/readyz", env)
            try:
                report[name] = _ask_rounds(base, QUESTIONS, rounds, "assistant_llm_fallbacks_total")
            finally:
                process.terminate()
                process.wait(timeout=30)
    finally:
        hung.close()
    return report


def _ask_rounds(base: str, questions: list[str], rounds: int, metric: str) -> dict[str, Any]:
    """Ask every question ``rounds`` times; the statuses, answerers, latencies, /readyz and one metric's value."""
    latencies, statuses, answerers, cited = [], set(), set(), 0
    with httpx.Client(base_url=base, timeout=60) as http:
        for _ in range(rounds):
            for question in questions:
                began = time.perf_counter()
                response = http.post("/api/chat", json={"message": question})
                latencies.append(time.perf_counter() - began)
                statuses.add(response.status_code)
                if response.status_code == 200:
                    answerers.add(response.json()["answerer"])
                    cited += bool(response.json()["citations"])
        vectors = http.get("/readyz").json().get("vectors")
        values = [line.rsplit(" ", 1)[1] for line in http.get("/metrics").text.splitlines() if line.startswith(metric)]
    return {
        "questions": len(latencies),
        "statuses": sorted(statuses),
        "answerers": sorted(answerers),
        "answered_with_citations": cited,
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3),
        "readyz_vectors": vectors,
        metric: values[0] if values else None,
    }


def _chroma(folder: Path, port: int) -> subprocess.Popen[bytes]:
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}", "/api/v2/heartbeat", process, 60)
    return process


def chroma_down(workdir: Path, rounds: int = 5) -> dict[str, Any]:
    chroma_port = free_port()
    chroma = _chroma(workdir / "chroma", chroma_port)
    url = f"http://127.0.0.1:{chroma_port}"
    data = private_data_dir(PROJECT_ROOT / "data", workdir / "data")
    report: dict[str, Any] = {}
    try:
        build_index(Settings(data_dir=data, chroma_url=url))
        env = _server_env(data, ASSISTANT_CHROMA_URL=url)
        process, base = start(["assistant", "serve"], "/readyz", env)
        try:
            report["healthy"] = _ask_rounds(base, RETRIEVAL_QUESTIONS, rounds, KEYWORD_ONLY)
            chroma.send_signal(signal.SIGKILL)
            chroma.wait(timeout=30)
            report["killed"] = _ask_rounds(base, RETRIEVAL_QUESTIONS, rounds, KEYWORD_ONLY)
            chroma = _chroma(workdir / "chroma", chroma_port)
            time.sleep(VECTOR_RETRY_SECONDS + 1)  # the assistant leaves a failed server alone this long
            report["restarted"] = _ask_rounds(base, RETRIEVAL_QUESTIONS, rounds, KEYWORD_ONLY)
        finally:
            process.terminate()
            process.wait(timeout=30)
        hung = _Silent()
        try:
            process, base = start(
                ["assistant", "serve"], "/readyz", _server_env(data, ASSISTANT_CHROMA_URL=f"http://127.0.0.1:{hung.port}")
            )
            try:
                report["hanging"] = _ask_rounds(base, RETRIEVAL_QUESTIONS, rounds, KEYWORD_ONLY)
            finally:
                process.terminate()
                process.wait(timeout=30)
        finally:
            hung.close()
    finally:
        chroma.terminate()
        chroma.wait(timeout=30)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drill", nargs="?", choices=["kill-reindex", "llm-down", "chroma-down", "all"], default="all")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="faults-") as scratch:
        if args.drill in ("kill-reindex", "all"):
            result = kill_during_reindex(Path(scratch) / "kill")
            print("kill -9 during re-index:")
            for key, value in result.items():
                print(f"  {key}: {value}")
            ok &= result["serving_build_unchanged"] and result["reindex_after_restart"] == "done"
        if args.drill in ("llm-down", "all"):
            result = llm_down(Path(scratch) / "llm")
            print("LLM endpoint down:")
            for name, figures in result.items():
                print(f"  {name}: {figures}")
                ok &= figures["max_s"] < 2 and figures["statuses"] == [200]
        if args.drill in ("chroma-down", "all"):
            result = chroma_down(Path(scratch) / "chroma")
            print("Chroma server down:")
            for name, figures in result.items():
                print(f"  {name}: {figures}")
                ok &= figures["statuses"] == [200] and figures["answered_with_citations"] == figures["questions"]
            ok &= result["killed"]["readyz_vectors"] == "unavailable" and result["restarted"]["readyz_vectors"] == "ok"
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
