"""The helpdesk admin over HTTP: token, uploads and re-index, disabling, logs, feedback, analytics, approved answers.

Each test gets its own data folder with the real corpus indexed (the project's embedding cache is copied in, so
the build reuses every vector) and its own SQLite file.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.retrieval import build_index
from assistant.settings import Settings
from tests.fixtures.serving import seed_data_dir

TOKEN = "adm-test-token-1f2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

UPLOAD = """---
id: test-circular-2026
title: 测试省2026年智能工厂补充通知
language: zh
kind: notice
province: testprov
date: 2026-11
url: https://example.org/test-circular
---

# 测试省2026年智能工厂补充通知

## 受理窗口 {#window}

测试省2026年先进级智能工厂申报材料由青藤市工信局于十二月十五日前统一报送，逾期不再受理。
"""


@pytest.fixture
def isolated(real_settings: Settings, tmp_path: Path, database_url: str) -> Settings:
    data = seed_data_dir(real_settings, tmp_path / "data")
    settings = Settings(
        corpus_dir=real_settings.corpus_dir,
        data_dir=data,
        admin_token=TOKEN,
        rate_limit_per_minute=0,
        max_upload_bytes=64_000,
        database_url=database_url,
    )
    build_index(settings)
    return settings


@pytest.fixture
def client(isolated: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(isolated)) as test_client:
        yield test_client


def _wait_for_job(client: TestClient, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/admin/api/index/jobs/{job_id}", headers=AUTH).json()
        if job["state"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError("the index job did not finish")


def _ask(client: TestClient, message: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/chat", json={"message": message, **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_admin_does_not_exist_without_a_token(real_settings: Settings, database_url: str) -> None:
    settings = real_settings.model_copy(update={"database_url": database_url, "admin_token": None})
    with TestClient(create_app(settings)) as plain:
        assert plain.get("/admin/api/documents", headers=AUTH).status_code == 404
        assert plain.get("/admin").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["none", "wrong", "no-scheme", "basic"],
)
def test_admin_refuses_requests_without_the_token(client: TestClient, headers: dict[str, str]) -> None:
    for method, path in [("GET", "/admin/api/documents"), ("GET", "/admin/api/analytics.csv"),
                         ("POST", "/admin/api/index"), ("GET", "/admin/api/feedback")]:
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path)
        assert "Bearer" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_upload_reindexes_in_the_background_and_the_document_answers(client: TestClient) -> None:
    before = client.get("/api/search", params={"q": "青藤市工信局 十二月十五日"}).json()["results"]
    assert all(r["doc_id"] != "test-circular-2026" for r in before)

    response = client.post("/admin/api/documents", headers=AUTH,
                           files={"file": ("补充通知.md", UPLOAD.encode(), "text/markdown")})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["document"]["doc_id"] == "test-circular-2026"
    job = _wait_for_job(client, body["index_job"]["id"])
    assert job["state"] == "done", job
    assert job["result"]["documents"] == 43 and job["result"]["embedded"] >= 1

    listing = client.get("/admin/api/documents", headers=AUTH).json()
    uploaded = [d for d in listing["documents"] if d["doc_id"] == "test-circular-2026"]
    assert uploaded and uploaded[0]["origin"] == "upload" and not listing["pending_uploads"]
    hits = client.get("/api/search", params={"q": "青藤市工信局 十二月十五日"}).json()["results"]
    assert hits[0]["doc_id"] == "test-circular-2026", [(h["doc_id"], h["section"], h["score"]) for h in hits]
    # The chat may cite it: its citation validates against the new build, not only the bundled corpus.
    answer = _ask(client, "青藤市工信局负责什么？")
    assert any(c["doc_id"] == "test-circular-2026" for c in answer["citations"]), answer


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("setup.exe", b"MZ\x90\x00", 422, "unsupported"),
        ("empty.md", b"   \n", 422, "empty"),
        ("noext", b"hello", 422, "extension"),
        ("big.md", b"# x\n\n" + "很长的文字。".encode() * 6000, 413, "larger"),
        ("clash.md", b"---\nid: notice-2025\ntitle: x\n---\n\n# x\n\n## a\n\ntext here.\n", 422, "already used"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    client: TestClient, isolated: Settings, name: str, content: bytes, status: int, words: str
) -> None:
    response = client.post("/admin/api/documents", headers=AUTH, files={"file": (name, content)})
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert not [p for p in (isolated.data_dir / "uploads").glob("*") if p.is_file()]


def test_a_disabled_document_and_its_twin_leave_the_answers_until_enabled(client: TestClient) -> None:
    query = "云南省先进级智能工厂申报时间"
    assert any(r["doc_id"].startswith("yunnan") for r in client.get("/api/search", params={"q": query, "k": 10})
               .json()["results"])
    response = client.put("/admin/api/documents/yunnan/disabled", headers=AUTH,
                          json={"disabled": True, "reason": "superseded by the 2027 plan"})
    assert response.status_code == 200 and response.json()["doc_ids"] == ["yunnan", "yunnan-en"]
    time.sleep(2.1)  # the disabled list is re-read at most every 2 s
    for q in (query, "Yunnan advanced level application window"):
        results = client.get("/api/search", params={"q": q, "k": 20}).json()["results"]
        assert not any(r["doc_id"] in ("yunnan", "yunnan-en") for r in results)
    listing = {d["doc_id"]: d for d in client.get("/admin/api/documents", headers=AUTH).json()["documents"]}
    assert listing["yunnan"]["disabled"] and listing["yunnan"]["disabled_reason"] == "superseded by the 2027 plan"

    client.put("/admin/api/documents/yunnan-en/disabled", headers=AUTH, json={"disabled": False})
    time.sleep(2.1)
    results = client.get("/api/search", params={"q": query, "k": 10}).json()["results"]
    assert any(r["doc_id"] == "yunnan" for r in results)
    assert client.put("/admin/api/documents/nope/disabled", headers=AUTH, json={"disabled": True}).status_code == 404


def test_conversation_logs_show_every_turn(client: TestClient) -> None:
    first = _ask(client, "卓越级智能工厂由谁认定？")
    _ask(client, "领航级呢？", conversation_id=first["conversation_id"])
    listing = client.get("/admin/api/conversations", headers=AUTH).json()
    assert listing["total"] == 1 and listing["items"][0]["messages"] == 4
    detail = client.get(f"/admin/api/conversations/{first['conversation_id']}", headers=AUTH).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["messages"][0]["text"] == "卓越级智能工厂由谁认定？"
    assert detail["messages"][1]["citations"]
    assert client.get("/admin/api/conversations/c_0000000000000000", headers=AUTH).status_code == 404


def test_thumbs_down_becomes_an_approved_answer_in_one_step(client: TestClient) -> None:
    asked = _ask(client, "卓越级智能工厂由谁认定？")
    rated = client.post("/api/feedback", json={"conversation_id": asked["conversation_id"],
                                               "message_id": asked["message_id"], "rating": "down",
                                               "comment": "请直接说是工信部等六部门"})
    assert rated.status_code == 204
    feedback = client.get("/admin/api/feedback", params={"rating": "down"}, headers=AUTH).json()["items"]
    assert feedback[0]["comment"] == "请直接说是工信部等六部门"
    assert feedback[0]["question"] == "卓越级智能工厂由谁认定？"

    citation = asked["citations"][0]
    corrected = f"卓越级智能工厂的认定按通知组织实施，详见所引条款[{citation['n']}]。"
    made = client.post(f"/admin/api/feedback/{feedback[0]['id']}/approve", headers=AUTH, json={"answer": corrected})
    assert made.status_code == 201, made.text
    assert made.json()["language"] == "zh"

    paraphrase = _ask(client, "卓越级智能工厂是哪个部门认定的？")
    assert paraphrase["intent"] == "approved"
    assert paraphrase["answer"] == corrected.replace(f"[{citation['n']}]", "[1]")
    assert paraphrase["citations"][0]["quote"] == citation["quote"]
    # The same question about another level, or another question about this level, is not this answer.
    assert _ask(client, "先进级智能工厂由谁认定？")["intent"] != "approved"
    assert _ask(client, "卓越级智能工厂需要什么成熟度？")["intent"] != "approved"
    assert _ask(client, "Who certifies the premium level?")["intent"] != "approved"  # stored in Chinese only

    approved = client.get("/admin/api/approved", headers=AUTH).json()["items"]
    assert approved[0]["hits"] == 1 and approved[0]["source_feedback_id"] == feedback[0]["id"]
    client.put(f"/admin/api/approved/{approved[0]['id']}/active", headers=AUTH, json={"active": False})
    assert _ask(client, "卓越级智能工厂是哪个部门认定的？")["intent"] != "approved"


def test_an_approved_answer_with_an_unverifiable_quote_is_refused(client: TestClient) -> None:
    fake = {"doc_id": "notice-2025", "section": "summary", "title": "x", "quote": "卓越级无需任何成熟度。"}
    response = client.post("/admin/api/approved", headers=AUTH, json={
        "question": "卓越级需要成熟度吗？", "language": "zh", "answer": "不需要[1]。", "citations": [fake]})
    assert response.status_code == 422 and "quote not found" in response.json()["detail"]
    missing = client.post("/admin/api/approved", headers=AUTH, json={
        "question": "卓越级需要成熟度吗？", "language": "zh", "answer": "不需要[2]。", "citations": []})
    assert missing.status_code == 422 and "[2] has no citation" in missing.json()["detail"]
    assert client.get("/admin/api/approved", headers=AUTH).json()["items"] == []


def test_analytics_count_the_day_and_export_as_csv(client: TestClient) -> None:
    answered = _ask(client, "卓越级智能工厂由谁认定？")
    _ask(client, "今天天气怎么样？")
    _ask(client, "=HYPERLINK(\"http://x\") 智能工厂证书有效期几年？")
    client.post("/api/feedback", json={"conversation_id": answered["conversation_id"],
                                       "message_id": answered["message_id"], "rating": "down"})
    report = client.get("/admin/api/analytics", params={"days": 7}, headers=AUTH).json()
    assert report["questions"] == 3 and len(report["per_day"]) == 7
    today = report["per_day"][-1]
    assert today["questions"] == 3 and today["out_of_scope"] == 1 and today["thumbs_down"] == 1
    assert report["thumbs_down_rate"] == 1.0
    assert dict(report["top_intents"])

    exported = client.get("/admin/api/analytics.csv", params={"days": 7}, headers=AUTH)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 7 and rows[-1]["questions"] == "3" and rows[-1]["thumbs_down"] == "1"

    questions = client.get("/admin/api/questions.csv", headers=AUTH).content.decode("utf-8").lstrip("\ufeff")
    table = list(csv.DictReader(io.StringIO(questions)))
    assert {row["question"] for row in table} >= {"卓越级智能工厂由谁认定？", "今天天气怎么样？"}
    formula = [row["question"] for row in table if "HYPERLINK" in row["question"]]
    assert formula and formula[0].startswith("'=")  # a spreadsheet shows it, never runs it
    assert client.get("/admin/api/analytics", params={"days": 0}, headers=AUTH).status_code == 422
