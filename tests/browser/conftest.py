"""Browser tests: the real app in a uvicorn process, Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: ``make test`` installs Debian's ``chromium`` and ``fonts-wqy-microhei``
and every launch names ``/usr/bin/chromium``. Screenshots go to ``eval/reports/screenshots/`` (README names it).
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.fixtures.serving import assistant_server, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ADMIN_TOKEN = "browser-admin-token"
SCREENSHOTS = PROJECT_ROOT / "eval" / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def host_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two 'provincial websites' on other loopback origins: one on the allowlist, one not.

    Tests write their host HTML into ``host_dirs`` (``allowed`` / ``stranger``) and load it from these origins.
    """
    origins: dict[str, str] = {}
    servers = []
    for name in ("allowed", "stranger"):
        folder = tmp_path_factory.mktemp(f"host-{name}")
        port = free_port()
        handler = lambda *a, _dir=str(folder), **k: _Quiet(*a, directory=_dir, **k)  # noqa: E731
        server = socketserver.ThreadingTCPServer(("127.0.0.1", port), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        origins[name] = f"http://127.0.0.1:{port}"
        origins[f"{name}_dir"] = str(folder)
    yield origins
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(
    real_settings: Settings, host_pages: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The assistant on a free loopback port, with the bundled index, a fresh SQLite file, no rate limit, and
    the 'allowed' host page origin on the frame-ancestors and CORS allowlists."""
    database = tmp_path_factory.mktemp("browser-db") / "assistant.sqlite3"
    env = {
        "ASSISTANT_DATA_DIR": str(real_settings.data_dir),
        "ASSISTANT_CORPUS_DIR": str(real_settings.corpus_dir),
        "ASSISTANT_DATABASE_URL": f"sqlite:///{database}",
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
        "ASSISTANT_FRAME_ANCESTORS": json.dumps([host_pages["allowed"]]),
        "ASSISTANT_CORS_ORIGINS": json.dumps([host_pages["allowed"]]),
        "ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN,
        "ASSISTANT_LLM_BASE_URL": "",  # grounded answers only, whatever the calling shell has set
    }
    with assistant_server(env) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh desktop-sized page; dialogs (alert) are recorded in ``page.dialogs`` and dismissed."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
    opened = context.new_page()
    opened.dialogs = []

    def on_dialog(dialog: object) -> None:
        opened.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    opened.on("dialog", on_dialog)
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
