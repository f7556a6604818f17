"""The embeddable widget on 'provincial websites' served from other loopback origins: one on the deployment's
frame-ancestors allowlist, one not. Real Chromium, the real app, the host pages' own origins."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import PHONE

QUESTION = "卓越级智能工厂由谁认定？"
LAUNCHER = "打开智能工厂申报助手"
FRAME = "iframe[title='智能工厂申报助手对话']"
# The shadow root's focused element, or null: the widget keeps its DOM out of the host's CSS.
WIDGET_FOCUS = (
    "(() => { const h = document.querySelector('[data-sfa-widget]');"
    " const a = h && h.shadowRoot.activeElement; return a ? a.className : null; })()"
)


def host_page(folder: str, name: str, assistant: str, **data: str) -> str:
    """A provincial page with a strict CSP of its own (no inline script or style) that embeds the widget."""
    attributes = " ".join(f'data-{key}="{value}"' for key, value in data.items())
    html = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src 'self' {assistant}; frame-src {assistant}; style-src 'self'">
<title>云南省工业和信息化厅 · 智能制造专栏</title>
</head>
<body>
<h1>云南省工业和信息化厅</h1>
<p><a class="host-link" href="#news">智能制造专栏</a></p>
<p>关于组织开展2025年度智能工厂梯度培育工作的通知。</p>
<script src="{assistant}/widget.js" {attributes} defer></script>
</body>
</html>
"""
    Path(folder, name).write_text(html, encoding="utf-8")
    return name


def embed_frame(page: Any, live_server: str) -> Any:
    """The widget's frame, once it has navigated to /embed (it is about:blank for a moment on a busy machine)."""
    for _ in range(150):
        for frame in page.frames:
            if frame.url.startswith(f"{live_server}/embed"):
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("no /embed frame on the page")


def poll(page: Any, target: Any, expression: str, what: str) -> None:
    """Wait until ``expression`` is true in ``target`` (a page or frame). Polled from here because
    wait_for_function would eval() inside pages whose CSP (rightly) forbids it."""
    for _ in range(150):
        if target.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{what} did not happen")


def wait_for_chat_focus(page: Any, live_server: str) -> Any:
    page.locator("[data-sfa-widget] iframe").wait_for()
    poll(page, page, "document.activeElement && document.activeElement.matches('[data-sfa-widget]')",
         "focus moving into the widget")
    frame = embed_frame(page, live_server)
    poll(page, frame, "document.hasFocus() && document.activeElement.id === 'question'",
         "focus reaching the chat's question box")
    return frame


def test_widget_on_an_allowed_site_answers_with_citations(
    live_server: str, host_pages: dict[str, str], page: Any, screenshots: Path
) -> None:
    name = host_page(host_pages["allowed_dir"], "allowed.html", live_server,
                     province="yunnan", lang="zh", color="#b3261e", question=QUESTION)
    page.goto(f"{host_pages['allowed']}/{name}")
    launcher = page.get_by_role("button", name=LAUNCHER)
    box = launcher.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert launcher.get_attribute("aria-expanded") == "false"

    launcher.click()
    assert launcher.get_attribute("aria-expanded") == "true"
    frame = wait_for_chat_focus(page, live_server)
    assert frame.url.startswith(f"{live_server}/embed?")
    assert f"parent={host_pages['allowed'].replace(':', '%3A').replace('/', '%2F')}" in frame.url
    chat = page.frame_locator(FRAME)
    assert chat.locator(".suggestion").first.inner_text() == QUESTION  # the host's first question

    with page.expect_request(lambda r: r.url.endswith("/api/chat/stream")) as sent:
        chat.locator(".suggestion").first.click()
    assert json.loads(sent.value.post_data) == {"message": QUESTION, "province": "yunnan"}
    answer = chat.locator(".msg-assistant[aria-busy='false']")
    answer.wait_for(timeout=30_000)
    assert "工业和信息化部" in answer.locator(".msg-text").inner_text()

    marker = answer.locator("a.cite").first
    assert marker.get_attribute("target") == "_blank" and marker.get_attribute("rel") == "noopener"
    marker.hover()
    popover = chat.locator("#cite-popover")
    popover.wait_for(state="visible")
    assert "卓越级、领航级" in popover.locator(".pop-quote").inner_text()
    page.screenshot(path=str(screenshots / "widget-host-desktop.png"))

    with page.context.expect_page() as opened:
        marker.click()
    reference = opened.value
    reference.wait_for_load_state()
    assert re.search(r"/reference\?doc=notice-2025&section=certification$", reference.url)
    assert reference.url.startswith(live_server)
    reference.close()

    page.set_viewport_size(PHONE)
    panel = page.locator("[data-sfa-widget] .panel")
    assert panel.bounding_box()["width"] == PHONE["width"]  # full screen on a phone
    page.mouse.move(1, 1)
    page.screenshot(path=str(screenshots / "widget-host-360.png"))
    assert page.dialogs == []


def test_a_site_not_on_the_allowlist_cannot_frame_the_chat(
    live_server: str, host_pages: dict[str, str], page: Any
) -> None:
    name = host_page(host_pages["stranger_dir"], "stranger.html", live_server, province="yunnan")
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "frame-ancestors" in message.text else None)
    page.goto(f"{host_pages['stranger']}/{name}")
    launcher = page.get_by_role("button", name=LAUNCHER)
    with page.expect_response(lambda r: "/embed?" in r.url) as embed:
        launcher.click()
    policy = embed.value.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {host_pages['allowed']}" in policy
    assert host_pages["stranger"] not in policy

    fallback = page.locator("[data-sfa-widget] .fallback")
    fallback.wait_for(timeout=20_000)
    assert "此网站未获准嵌入申报助手" in fallback.inner_text()
    link = fallback.get_by_role("link", name="在新窗口中打开助手")
    assert link.get_attribute("href") == f"{live_server}/?lang=zh&province=yunnan"
    assert link.get_attribute("target") == "_blank"
    # The chat never ran inside the stranger's page.
    assert not any(frame.url.startswith(live_server) for frame in page.frames)
    assert page.locator(FRAME).count() == 0
    assert blocked, "Chromium did not report the frame-ancestors refusal"
    # The launcher still behaves: Escape closes and focus returns to it.
    page.keyboard.press("Escape")
    assert page.evaluate(WIDGET_FOCUS) == "launcher"
    assert launcher.get_attribute("aria-expanded") == "false"


def test_keyboard_only_use_of_the_widget(live_server: str, host_pages: dict[str, str], page: Any) -> None:
    name = host_page(host_pages["allowed_dir"], "keyboard.html", live_server, province="yunnan", lang="en")
    page.goto(f"{host_pages['allowed']}/{name}")
    page.get_by_role("button", name="Open the smart factory certification assistant").wait_for()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate(WIDGET_FOCUS) == "launcher":
            break
    assert page.evaluate(WIDGET_FOCUS) == "launcher"

    page.keyboard.press("Enter")
    frame = wait_for_chat_focus(page, live_server)
    page.keyboard.type("What maturity level does the premium level require?")
    page.keyboard.press("Enter")
    answer = frame.locator(".msg-assistant[aria-busy='false']")
    answer.wait_for(timeout=30_000)
    assert "Level 3" in answer.inner_text()
    assert answer.locator("a.cite").count() >= 1

    frame.locator("#question").focus()
    page.keyboard.press("Escape")
    poll(page, page, f"{WIDGET_FOCUS} === 'launcher'", "focus returning to the launcher")
    assert not page.locator("[data-sfa-widget] .panel").is_visible()

    # Reopen: the conversation is still there, and Tab can leave the widget again (no keyboard trap).
    page.keyboard.press("Enter")
    frame = wait_for_chat_focus(page, live_server)
    assert frame.locator(".msg-assistant").count() == 1
    left = False
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.classList.contains('host-link')"):
            left = True
            break
    assert left, "Tab never left the widget"


def test_the_close_button_and_forged_messages(live_server: str, host_pages: dict[str, str], page: Any) -> None:
    name = host_page(host_pages["allowed_dir"], "messages.html", live_server, lang="zh")
    page.goto(f"{host_pages['allowed']}/{name}")
    page.get_by_role("button", name=LAUNCHER).click()
    wait_for_chat_focus(page, live_server)
    panel = page.locator("[data-sfa-widget] .panel")

    # A "close" that claims to come from the chat but comes from the host window itself is ignored ...
    page.evaluate("window.postMessage({source: 'sfa-embed', type: 'close'}, '*')")
    page.wait_for_timeout(300)
    assert panel.is_visible()
    # ... while the chat's own Escape closes it.
    page.frame_locator(FRAME).locator("#question").press("Escape")
    panel.wait_for(state="hidden")

    page.get_by_role("button", name=LAUNCHER).click()
    wait_for_chat_focus(page, live_server)
    close = page.get_by_role("button", name="关闭助手")
    box = close.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    close.click()
    panel.wait_for(state="hidden")
    assert page.evaluate(WIDGET_FOCUS) == "launcher"
