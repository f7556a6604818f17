"""The fuzz suite: schemathesis over the whole OpenAPI of the real app, and hand-made malformed requests.

The app runs on a temporary data dir with the bundled corpus indexed by the real embedder, a temporary SQLite
file and an admin token (so the admin API exists and is fuzzed behind its token). Every operation must answer
without a 5xx and with a response that matches its schema; oversize, malformed, wrong-type, unknown-field and
mixed-encoding bodies must get a clear 4xx naming the problem (or a 200 when the text is valid), and a stored
conversation must survive all of it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from assistant.api import create_app
from assistant.api.app import build_services
from assistant.retrieval import build_index
from assistant.settings import Settings
from tests.fixtures.serving import seed_data_dir

ADMIN_TOKEN = "adm-fuzz-4c1d9e"
# Operations that start a background re-index: fuzzed without the token (their 401 path) so a run stays bounded.
_REINDEXING = {
    ("POST", "/admin/api/documents"),
    ("DELETE", "/admin/api/documents/{doc_id}"),
    ("POST", "/admin/api/index"),
}
CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.negative_data_rejection,  # a body or parameter that breaks the schema must get a 4xx
]
# A generated body may exceed the 16 kB limit: 413 is a correct way to reject it.
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422, 429]}}}
)


@pytest.fixture(scope="module")
def fuzz_settings(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = seed_data_dir(real_settings, tmp_path_factory.mktemp("fuzz-data"))
    settings = Settings(
        corpus_dir=real_settings.corpus_dir,
        data_dir=data_dir,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('fuzz-db') / 'assistant.sqlite3'}",
        admin_token=ADMIN_TOKEN,
        rate_limit_per_minute=0,
    )
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings: Settings) -> FastAPI:
    return create_app(fuzz_settings, build_services(fuzz_settings))


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames the running node through ``node._nodeid``, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_5xx_and_matches_its_schema(case: Any) -> None:
    operation = (case.method.upper(), case.path)
    headers = {"X-Client-Id": "fuzz"}
    if case.path.startswith("/admin/") and operation not in _REINDEXING:
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    case.call_and_validate(headers=headers, checks=CHECKS)


# -- explicit malformed inputs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(fuzz_app: FastAPI) -> TestClient:
    return TestClient(fuzz_app)


@pytest.fixture(scope="module")
def stored(client: TestClient) -> dict[str, Any]:
    """A conversation stored before the bad requests, checked again after them."""
    response = client.post("/api/chat", json={"message": "先进级要覆盖哪些环节？"})
    assert response.status_code == 200
    return dict(response.json())


PROFILE = {"province": "yunnan", "current_level": "basic", "maturity_level": 2}
JSON = {"content-type": "application/json"}


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# (method, path, body bytes, content type) → the 4xx it must get and a word its detail must contain
# Bodies that are not UTF-8 fail in FastAPI's own body parsing: a 400 ("There was an error parsing the body").
NOT_UTF8 = (400, 422)
BAD_REQUESTS: list[tuple[str, str, bytes, str, int | tuple[int, ...], str]] = [
    # oversize: the body limit answers before anything is parsed
    ("POST", "/api/chat", json.dumps({"message": "先" * 6000}).encode(), "application/json", 413, "larger than"),
    (
        "POST",
        "/api/eligibility",
        json.dumps({"profile": {"x": "y" * 20000}}).encode(),
        "application/json",
        413,
        "larger than",
    ),
    ("POST", "/api/chat", b"{" + b" " * 17000 + b"}", "application/json", 413, "larger than"),
    # malformed JSON
    ("POST", "/api/chat", b'{"message": "hi', "application/json", 422, "JSON"),
    ("POST", "/api/chat", b"", "application/json", 422, ""),
    ("POST", "/api/chat", b"null", "application/json", 422, ""),
    ("POST", "/api/chat", b"[]", "application/json", 422, ""),
    ("POST", "/api/chat", b"message=hi", "application/x-www-form-urlencoded", 422, ""),
    ("POST", "/api/eligibility", b'{"profile": {', "application/json", 422, "JSON"),
    ("POST", "/api/eligibility", b"\xef\xbb\xbf{}", "application/json", 422, ""),
    # wrong types and unknown fields
    ("POST", "/api/chat", b'{"message": 12}', "application/json", 422, "message"),
    ("POST", "/api/chat", b'{"message": {"text": "hi"}}', "application/json", 422, "message"),
    ("POST", "/api/chat", b'{"message": "hi", "province": 7}', "application/json", 422, "province"),
    ("POST", "/api/chat", b'{"message": "hi", "language": ["zh"]}', "application/json", 422, "language"),
    ("POST", "/api/chat", b'{"message": "hi", "role": "system"}', "application/json", 422, "role"),
    ("POST", "/api/chat", b'{"message": "hi", "profile": "basic"}', "application/json", 422, "profile"),
    ("POST", "/api/eligibility", b'{"profile": []}', "application/json", 422, "profile"),
    ("POST", "/api/eligibility", b'{"profile": {"maturity_level": "high"}}', "application/json", 422, "maturity_level"),
    ("POST", "/api/eligibility", b'{"profile": {"maturity_level": 99}}', "application/json", 422, "maturity_level"),
    (
        "POST",
        "/api/eligibility",
        json.dumps({"profile": PROFILE, "as_of": "yesterday"}).encode(),
        "application/json",
        422,
        "as_of",
    ),
    (
        "POST",
        "/api/eligibility",
        json.dumps({"profile": PROFILE, "as_of": "1999-01-01"}).encode(),
        "application/json",
        422,
        "as_of",
    ),
    (
        "POST",
        "/api/eligibility",
        json.dumps({"profile": PROFILE, "debug": True}).encode(),
        "application/json",
        422,
        "debug",
    ),
    (
        "POST",
        "/api/eligibility",
        json.dumps({"profile": {**PROFILE, "admin": True}}).encode(),
        "application/json",
        422,
        "admin",
    ),
    # mixed encodings
    ("POST", "/api/chat", '{"message": "先进级要覆盖哪些环节"}'.encode("gbk"), "application/json", NOT_UTF8, ""),
    ("POST", "/api/chat", b'{"message": "\xff\xfe\xfd"}', "application/json", NOT_UTF8, ""),
    ("POST", "/api/chat", b'{"message": "\xe5\x85"}', "application/json", NOT_UTF8, ""),
    (
        "POST",
        "/api/eligibility",
        '{"profile": {"province": "云南"}}'.encode("gb18030"),
        "application/json",
        NOT_UTF8,
        "",
    ),
    ("POST", "/api/chat", b'{"message": "\\ud800"}', "application/json", 422, "message"),
    ("POST", "/api/chat", b'{"message": "abc\\udfff"}', "application/json", 422, "message"),
    ("POST", "/api/chat", b'{"message": "\\u0000\\u0000"}', "application/json", 422, "control characters"),
    (
        "POST",
        "/api/chat",
        b'{"message": "\\u5148\\u8fdb\\u7ea7\\u0000"}',
        "application/json",
        422,
        "control characters",
    ),
    (
        "POST",
        "/v1/chat/completions",
        b'{"messages": [{"role": "user", "content": "a\\u0000b"}]}',
        "application/json",
        422,
        "control characters",
    ),
    (
        "POST",
        "/api/feedback",
        b'{"conversation_id": "c", "message_id": "m", "rating": "up", "comment": "\\u0000"}',
        "application/json",
        422,
        "comment",
    ),
    ("POST", "/api/chat", b'{"message": "\x00"}', "application/json", 422, ""),
    ("POST", "/api/chat", b'{"message": "\\u200b\\u200b\\u200b"}', "application/json", 422, "empty"),
    ("POST", "/api/chat", b'{"message": "\\u202e\\u202d"}', "application/json", 422, "empty"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status", "needle"),
    BAD_REQUESTS,
    ids=[f"{m} {p} #{n}" for n, (m, p, *_rest) in enumerate(BAD_REQUESTS)],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient,
    stored: dict[str, Any],
    method: str,
    path: str,
    body: bytes,
    content_type: str,
    status: int | tuple[int, ...],
    needle: str,
) -> None:
    response = client.request(method, path, content=body, headers={"content-type": content_type})
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail, "the 4xx must say what is wrong"
    assert needle in detail


@pytest.mark.parametrize(
    "query",
    [
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 301},
        {"q": "先进级", "k": "many"},
        {"q": "先进级", "k": "0"},
        {"q": "先进级", "k": "51"},
        {"q": "先进级", "province": "Yunnan!"},
        {"q": "先进级", "province": "云南"},
        {},
    ],
)
def test_bad_searches_get_a_clear_4xx(client: TestClient, stored: dict[str, Any], query: dict[str, str]) -> None:
    response = client.get("/api/search", params=query)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=%FF%FE",  # invalid UTF-8 percent-escapes
        "/api/search?q=%E5%85",  # a truncated UTF-8 character
        "/api/search?q=%00%00",
        "/api/search?q=%ED%A0%80",  # a lone surrogate, UTF-8-encoded
        "/api/sources/%FF",
        "/api/sources/%00",
        "/api/eligibility/calendar.ics?profile=%7B%22a%22",
        "/api/eligibility/calendar.ics?profile=%FF",
        "/api/eligibility/calendar.ics?profile=%5B%5D",
    ],
)
def test_mis_encoded_urls_never_get_a_5xx(client: TestClient, stored: dict[str, Any], url: str) -> None:
    response = client.get(url)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    if response.status_code != 200:
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "message",
    [
        "先进级要覆盖哪些环节？\u200b",  # a zero-width space inside a real question
        "\u202b先进级由谁认定？\u202c",  # right-to-left embedding around it
        "ما هي متطلبات المستوى المتقدم؟",  # Arabic, right to left
        "Who certifies the ＰＲＥＭＩＵＭ level?",  # full-width letters
        "先進級要覆蓋哪些環節？",  # traditional characters
        "e\u0301\u0301\u0301 advanced level?",  # stacked combining marks
        "🏭🏭🏭 先进级 🏭",
    ],
)
def test_unusual_but_valid_text_is_answered(client: TestClient, stored: dict[str, Any], message: str) -> None:
    response = client.post("/api/chat", json={"message": message})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] in ("answered", "clarification", "no_answer", "out_of_scope") and body["answer"]


def test_utf16_json_is_read_as_text(client: TestClient, stored: dict[str, Any]) -> None:
    """JSON in UTF-16 (with its byte-order mark) is valid text: it is answered, not refused."""
    body = '{"message": "先进级要覆盖哪些环节？"}'.encode("utf-16")
    response = client.post("/api/chat", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert "生产作业" in response.json()["answer"]


def test_wrong_methods_and_content_types(client: TestClient, stored: dict[str, Any]) -> None:
    assert client.get("/api/chat").status_code == 405
    assert client.put("/api/eligibility", json={"profile": {}}).status_code == 405
    response = client.post("/api/chat", content=b"<message>hi</message>", headers={"content-type": "application/xml"})
    assert response.status_code == 422 and response.json()["detail"]


def test_the_stored_conversation_survives_the_bad_requests(client: TestClient, stored: dict[str, Any]) -> None:
    """Runs last in this file: after every bad request above, the conversation is still there and continues."""
    follow_up = client.post(
        "/api/chat", json={"message": "卓越级由谁认定？", "conversation_id": stored["conversation_id"]}
    )
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["conversation_id"] == stored["conversation_id"]
    feedback = client.post(
        "/api/feedback",
        json={"conversation_id": stored["conversation_id"], "message_id": stored["message_id"], "rating": "up"},
    )
    assert feedback.status_code == 204
    messages = client.get(
        f"/admin/api/conversations/{stored['conversation_id']}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert messages.status_code == 200, messages.text
    assert "先进级要覆盖哪些环节？" in messages.text and "卓越级由谁认定？" in messages.text
