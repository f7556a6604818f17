"""The web side over plain HTTP: pages, /widget.js, security headers, the frame-ancestors and CORS allowlists,
and the public /api/config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from assistant.api.app import create_app
from assistant.settings import Settings

ALLOWED = "https://gxt.yn.gov.cn"
STRANGER = "https://evil.example"


@pytest.fixture(scope="module")
def client(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("web-db") / "assistant.sqlite3"
    settings = real_settings.model_copy(
        update={
            "database_url": f"sqlite:///{database}",
            "rate_limit_per_minute": 0,
            "frame_ancestors": [ALLOWED],
            "cors_origins": [ALLOWED],
            "llm_filing_number": "Yunnan-ShiYan-202601",
        }
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _csp(response: object) -> dict[str, str]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def test_chat_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'aria-live="polite"' in response.text
    policy = _csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'self'"  # only /embed may be framed by other sites
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_pages_carry_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", "/embed"):
        text = client.get(path).text
        assert "<style" not in text and " style=" not in text
        assert "<script>" not in text and "<script type=\"module\">" not in text


def test_embed_may_be_framed_only_by_the_allowlist(client: TestClient) -> None:
    response = client.get("/embed", params={"province": "yunnan", "parent": ALLOWED})
    assert response.status_code == 200
    ancestors = _csp(response)["frame-ancestors"].split()
    assert ancestors == ["'self'", ALLOWED]
    assert STRANGER not in response.headers["content-security-policy"]


def test_widget_script_loads_cross_origin_as_javascript(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Origin": STRANGER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers
    # postMessage always names its target origin; a wildcard would leak messages to whoever framed the host.
    assert "postMessage(" in response.text and ', "*")' not in response.text


def test_static_files_have_their_types(client: TestClient) -> None:
    css = client.get("/static/base.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    module = client.get("/static/chat.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    assert client.get("/static/nope.js").status_code == 404


def test_cors_answers_only_allowlisted_origins_on_the_api(client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/api/chat", headers={"Origin": ALLOWED, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    refused = client.options("/api/chat", headers={"Origin": STRANGER, **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    simple = client.get("/api/config", headers={"Origin": ALLOWED})
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-origin" not in client.get("/api/config", headers={"Origin": STRANGER}).headers
    # Pages are never shared cross-origin, even with an allowlisted origin.
    assert "access-control-allow-origin" not in client.get("/", headers={"Origin": ALLOWED}).headers


def test_refusals_carry_cors_and_nosniff_headers(client: TestClient) -> None:
    too_long = client.post("/api/chat", json={"message": "问" * 400}, headers={"Origin": ALLOWED})
    assert too_long.status_code == 422
    assert "300" in too_long.json()["detail"]
    assert too_long.headers["access-control-allow-origin"] == ALLOWED
    assert too_long.headers["x-content-type-options"] == "nosniff"


def test_public_config_names_no_model_without_an_llm(client: TestClient) -> None:
    config = client.get("/api/config").json()
    assert config == {"llm_model": None, "llm_filing_number": "Yunnan-ShiYan-202601", "max_message_chars": 300}


def test_public_config_names_the_model_but_never_the_key(real_settings: Settings, database_url: str) -> None:
    settings = real_settings.model_copy(
        update={
            "database_url": database_url,
            "llm_base_url": "http://127.0.0.1:9/v1",
            "llm_model": "qwen2.5-7b-instruct",
            "llm_api_key": "sk-very-secret",
            "llm_filing_number": "Beijing-XiaoZhi-20240315",
            "max_message_chars": 200,
        }
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/config")
    assert response.json() == {
        "llm_model": "qwen2.5-7b-instruct",
        "llm_filing_number": "Beijing-XiaoZhi-20240315",
        "max_message_chars": 200,
    }
    assert "sk-very-secret" not in response.text and "127.0.0.1:9" not in response.text


def test_api_docs_keep_working_without_the_page_policy(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers  # Swagger UI needs its inline script


def test_origin_lists_accept_json_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_FRAME_ANCESTORS", "https://gxt.yn.gov.cn, https://*.jiangsu.gov.cn/")
    monkeypatch.setenv("ASSISTANT_CORS_ORIGINS", '["http://127.0.0.1:8080"]')
    settings = Settings()
    assert settings.frame_ancestors == ["https://gxt.yn.gov.cn", "https://*.jiangsu.gov.cn"]
    assert settings.cors_origins == ["http://127.0.0.1:8080"]
    monkeypatch.setenv("ASSISTANT_FRAME_ANCESTORS", "")
    assert Settings().frame_ancestors == []


@pytest.mark.parametrize(
    "value", ["https://a.gov.cn; script-src *", "'unsafe-inline'", "gxt.yn.gov.cn", "https://a.gov.cn/path"]
)
def test_origin_lists_refuse_anything_but_origins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ASSISTANT_FRAME_ANCESTORS", value)
    with pytest.raises(ValidationError, match="not an origin"):
        Settings()
