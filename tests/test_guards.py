"""Guards on a public site: question length, body size, rate limit, personal data; and /metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.api.app import build_services
from assistant.api.guards import personal_data
from assistant.settings import Settings
from assistant.store import ConversationStore
from assistant.store.limits import RateLimiter


@pytest.fixture
def make_client(real_settings: Settings, database_url: str):  # type: ignore[no-untyped-def]
    def make(**overrides: object) -> TestClient:
        settings = real_settings.model_copy(update={"database_url": database_url, **overrides})
        return TestClient(create_app(settings, build_services(settings)))

    return make


def test_the_301st_character_is_refused(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    assert client.post("/api/chat", json={"message": "先进级" + "的" * 297}).status_code == 200
    response = client.post("/api/chat", json={"message": "先进级" + "的" * 298})
    assert response.status_code == 422 and "300" in response.json()["detail"]


def test_the_limit_is_a_setting(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_message_chars=20)
    assert (
        client.post("/api/chat", json={"message": "先进级要覆盖哪些环节，成熟度要几级，谁来认定？"}).status_code == 422
    )


def test_the_16th_question_in_a_minute_gets_429_with_retry_after(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    headers = {"X-Client-Id": "enterprise-a"}
    for _ in range(15):
        assert client.post("/api/chat", json={"message": "你好"}, headers=headers).status_code == 200
    refused = client.post("/api/chat", json={"message": "你好"}, headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1 and "retry in" in refused.json()["detail"]
    # Another client is not affected.
    assert client.post("/api/chat", json={"message": "你好"}, headers={"X-Client-Id": "b"}).status_code == 200


def test_rate_limit_window_slides_and_zero_turns_it_off(database_url: str) -> None:
    store = ConversationStore(database_url)
    now = [1_000.0]
    client = "slide"
    limiter = RateLimiter(store.engine, 2, clock=lambda: now[0])
    assert limiter.check(client) is None and limiter.check(client) is None
    assert limiter.check(client) == pytest.approx(60.0)
    now[0] += 30
    assert limiter.check(client) == pytest.approx(30.0)
    now[0] += 30
    assert limiter.check(client) is None
    assert all(RateLimiter(store.engine, 0).check(client) is None for _ in range(100))


def test_two_workers_sharing_a_database_count_together(real_settings: Settings, database_url: str) -> None:
    """Two app instances over one database stand for two workers behind a balancer."""
    settings = real_settings.model_copy(update={"database_url": database_url, "rate_limit_per_minute": 15})
    first, second = TestClient(create_app(settings)), TestClient(create_app(settings))
    headers = {"X-Client-Id": "enterprise-shared"}
    for i in range(15):
        worker = first if i % 2 else second
        assert worker.post("/api/chat", json={"message": "你好"}, headers=headers).status_code == 200
    assert first.post("/api/chat", json={"message": "你好"}, headers=headers).status_code == 429
    assert second.post("/api/chat", json={"message": "你好"}, headers=headers).status_code == 429
    # A conversation started on one worker goes on on the other.
    started = first.post("/api/chat", json={"message": "卓越级由谁认定？"}, headers={"X-Client-Id": "other"}).json()
    follow = second.post("/api/chat", json={"message": "领航级呢？", "conversation_id": started["conversation_id"]},
                         headers={"X-Client-Id": "other"})
    assert follow.status_code == 200 and follow.json()["conversation_id"] == started["conversation_id"]


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("我的手机是13812345678，先进级怎么报？", "mobile"),
        ("法人身份证110101199003071234，能报卓越级吗", "id_card"),
        ("我们统一社会信用代码91350100M000100Y43", "credit_code"),
        ("结果发到 manager@example.com", "email"),
        ("补贴打到6222021234567890128这张卡", "bank_card"),
    ],
)
def test_personal_data_is_rejected_and_never_stored(make_client, message: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert personal_data(message) == [kind]
    client = make_client()
    response = client.post("/api/chat", json={"message": message})
    assert response.status_code == 422 and "个人" in response.json()["detail"]
    store = client.app.state.services.chat.store  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        texts = [row[0] for row in connection.exec_driver_sql("SELECT text FROM message")]
    assert all(message not in text for text in texts)


@pytest.mark.parametrize(
    "text", ["GB/T 39116-2020", "工信厅联通装函〔2025〕251号", "成熟度3.55分，2026-05-10自评", "1234567890123456"]
)
def test_policy_numbers_are_not_personal_data(text: str) -> None:
    assert personal_data(text) == []


def test_a_body_over_16_kb_gets_413(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    response = client.post(
        "/api/chat", content=b'{"message": "' + b"a" * 17_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "16384" in response.json()["detail"]


def test_metrics_count_requests_answers_and_refusals(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    client.post("/api/chat", json={"message": "卓越级由谁认定？"})
    client.post("/api/chat", json={"message": "今天天气怎么样"})
    client.post("/api/chat", json={"message": "手机13812345678"})
    text = client.get("/metrics").text
    assert 'assistant_answers_total{answerer="grounded",status="answered"} 1.0' in text
    assert 'assistant_refusals_total{reason="personal_data"} 1.0' in text
    assert 'assistant_refusals_total{reason="out_of_scope"} 1.0' in text
    assert 'assistant_requests_total{method="POST",route="/api/chat",status="200"} 2.0' in text
    assert "assistant_request_seconds_bucket" in text and "assistant_index_chunks 5" in text


def test_logs_are_json_and_carry_question_text_only_when_enabled(make_client) -> None:  # type: ignore[no-untyped-def]
    import io
    import json
    import logging

    from assistant.logs import JsonFormatter

    question = "卓越级智能工厂由谁认定？"
    for enabled in (False, True):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        loggers = [logging.getLogger("assistant.chat"), logging.getLogger("assistant.requests")]
        for logger in loggers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
        try:
            client = make_client(log_message_text=enabled, rate_limit_per_minute=0)
            assert client.get("/api/search", params={"q": question}).status_code == 200
            assert client.post("/api/chat", json={"message": question}).status_code == 200
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        chat = [entry for entry in lines if entry["event"] == "chat"]
        requests = [entry for entry in lines if entry["event"] == "request"]
        assert chat and requests
        assert chat[0]["status"] == "answered" and chat[0]["chars"] == len(question)
        assert {"ts", "level", "logger", "conversation_id", "intent"} <= set(chat[0])
        assert all("?" not in entry["path"] for entry in requests)  # never the query string
        assert all(len(entry["client"]) == 12 for entry in requests)  # a hash, not the address
        assert (question in stream.getvalue()) is enabled
