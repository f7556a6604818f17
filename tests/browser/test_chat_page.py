"""The chat page in real Chromium against the real app: streamed answers with citations, the quote popover, the
reference link, the walkthrough's quick replies, feedback, copy, language, errors, and markup rendered as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import PHONE

MARKUP = "<img src=x onerror=alert(1)>"
WALKTHROUGH_START = (
    "我们是云南的规上企业，已经是基础级，成熟度自评二级（2026-05-10评的），覆盖生产作业、生产管理、运营管理，"
    "建设已完成，指标省内领先，能申报先进级吗？"
)


def finished_answers(page: Any) -> Any:
    return page.locator(".msg-assistant[aria-busy='false']")


def ask(page: Any, text: str) -> Any:
    """Type a question, press Enter, wait for the streamed answer to finish; return that answer's element."""
    before = finished_answers(page).count()
    page.locator("#question").fill(text)
    with page.expect_response(lambda r: r.url.endswith("/api/chat/stream")) as streamed:
        page.locator("#question").press("Enter")
    response = streamed.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    answer = finished_answers(page).nth(before)
    answer.wait_for(timeout=30_000)
    return answer


def api_answer(base: str, message: str) -> dict[str, Any]:
    """The same question over plain HTTP (a new conversation): what the page must show."""
    response = httpx.post(f"{base}/api/chat", json={"message": message}, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def sse(*events: tuple[str, Any]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)


def test_chinese_question_streams_a_cited_answer(live_server: str, page: Any, screenshots: Path) -> None:
    page.goto(f"{live_server}/")
    assert page.locator("#transcript").get_attribute("aria-live") == "polite"
    assert page.locator(".notice").inner_text().startswith("本助手")
    page.get_by_role("button", name="卓越级智能工厂由谁认定？").wait_for()

    answer = ask(page, "卓越级智能工厂由谁认定？")
    text = answer.locator(".msg-text").inner_text()
    assert "工业和信息化部" in text and "[1]" in text
    assert answer.locator("a.cite").count() >= 1
    assert answer.locator(".sources-list li").count() == answer.locator("a.cite").count()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert not page.locator("#suggestions").is_visible()  # suggestions step aside once the chat has begun
    page.screenshot(path=str(screenshots / "chat-zh-desktop.png"))
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    page.screenshot(path=str(screenshots / "chat-zh-360.png"))


def test_english_question_switches_the_page_to_english(live_server: str, page: Any, screenshots: Path) -> None:
    page.goto(f"{live_server}/")
    answer = ask(page, "What maturity level does the premium level require?")
    text = answer.locator(".msg-text").inner_text()
    assert "Level 3" in text and "[1]" in text
    assert answer.locator("a.cite").count() >= 1
    # The UI follows the question's language: header, notice, buttons and suggestions are now English.
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator(".site-nav a").first.inner_text() == "Chat"
    assert "not the certifying authority" in page.locator(".notice").inner_text()
    assert answer.get_by_role("button", name="Copy answer and sources").is_visible()
    page.screenshot(path=str(screenshots / "chat-en-desktop.png"))
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / "chat-en-360.png"))


def test_citation_shows_its_quote_and_opens_the_reference(live_server: str, page: Any) -> None:
    expected = api_answer(live_server, "卓越级智能工厂由谁认定？")["citations"][0]
    page.goto(f"{live_server}/")
    answer = ask(page, "卓越级智能工厂由谁认定？")
    marker = answer.locator("a.cite").first
    assert marker.inner_text() == f"[{expected['n']}]"
    popover = page.locator("#cite-popover")

    marker.hover()
    popover.wait_for(state="visible")
    assert popover.locator(".pop-quote").text_content() == expected["quote"]
    assert expected["title"] in popover.inner_text()
    assert f"{expected['doc_id']}#{expected['section']}" in popover.inner_text()
    page.mouse.move(5, 5)
    popover.wait_for(state="hidden")

    marker.focus()  # keyboard users get the same quote, described to screen readers
    popover.wait_for(state="visible")
    assert marker.get_attribute("aria-describedby") == "cite-popover"
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")

    with page.expect_navigation() as navigation:
        marker.click()
    assert re.search(rf"/reference\?doc={expected['doc_id']}&section={expected['section']}$", page.url)
    assert navigation.value.status == 200


def test_walkthrough_completes_with_quick_replies(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    answer = ask(page, WALKTHROUGH_START)
    for _ in range(5):
        replies = answer.locator(".quick-replies button")
        if replies.count() == 0:
            break
        assert answer.locator(".msg-text").inner_text().startswith("为核对能否申报先进级")
        before = finished_answers(page).count()
        answer.get_by_role("button", name="都是").click()
        answer = finished_answers(page).nth(before)
        answer.wait_for(timeout=30_000)
    verdict = answer.locator(".msg-text").inner_text()
    assert "结论" in verdict and "先进级" in verdict and "可以申报" in verdict
    assert answer.locator("a.cite").count() >= 2
    # Each quick reply was sent once, in the same conversation: the transcript shows it as the user's turn.
    assert page.locator(".msg-user .msg-text").last.inner_text() == "都是"
    assert page.locator(".quick-replies button:not([disabled])").count() == 0


def test_thumbs_down_with_a_comment_is_stored(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    answer = ask(page, "先进级智能工厂要覆盖哪些环节？")
    answer.get_by_role("button", name="没帮助").click()
    comment = answer.get_by_label("补充说明（可选）")
    assert comment.evaluate("node => node === document.activeElement")
    comment.fill("希望列出每个环节对应的场景编号")
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        answer.get_by_role("button", name="提交反馈").click()
    assert sent.value.status == 204
    payload = json.loads(sent.value.request.post_data)
    assert payload["rating"] == "down" and payload["comment"] == "希望列出每个环节对应的场景编号"
    assert answer.get_by_text("谢谢，反馈已记录。").is_visible()
    assert answer.get_by_role("button", name="没帮助").is_disabled()


def test_copy_puts_the_answer_and_numbered_sources_on_the_clipboard(live_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        answer = ask(page, "卓越级智能工厂由谁认定？")
        answer.get_by_role("button", name="复制回答和来源").click()
        answer.get_by_text("已复制").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        shown = answer.locator(".msg-text").inner_text()
    finally:
        context.close()
    assert copied.startswith(shown.strip()[:20])
    assert "\n\n来源：\n[1] " in copied
    assert "notice-2025#certification" in copied and "/reference?doc=notice-2025&section=certification" in copied


def test_markup_in_a_question_renders_as_text(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    ask(page, f"{MARKUP} 先进级要覆盖哪些环节？")
    assert page.locator(".msg-user .msg-text").last.inner_text() == f"{MARKUP} 先进级要覆盖哪些环节？"
    assert page.locator("#transcript img").count() == 0
    page.wait_for_timeout(300)  # give a (wrongly) created image time to fail and fire onerror
    assert page.dialogs == []


def test_markup_in_a_streamed_answer_and_quote_renders_as_text(live_server: str, page: Any) -> None:
    """A crafted stream (as if a document or an LLM carried markup): the answer text, the source title and the
    quote must all show the markup literally and run nothing."""
    citation = {
        "n": 1,
        "doc_id": "notice-2025",
        "section": "certification",
        "title": f"标题 {MARKUP}",
        "url": None,
        "quote": f"引文 {MARKUP} 结束",
    }
    answer_text = f"回答 {MARKUP} 在此[1]。"
    done = {
        "conversation_id": "c_0123456789abcdef",
        "message_id": "m_1",
        "status": "answered",
        "language": "zh",
        "answer": answer_text,
        "citations": [citation],
        "tools": [],
        "quick_replies": [f"{MARKUP}"],
        "intent": "requirements",
        "rulebook": "test",
        "answerer": "grounded",
    }
    body = sse(("delta", {"text": f"回答 {MARKUP} "}), ("delta", {"text": "在此[1]。"}), ("citations", [citation]),
               ("done", done))
    page.route(
        "**/api/chat/stream",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body),
    )
    page.goto(f"{live_server}/")
    answer = ask(page, "任意问题")
    assert answer.locator(".msg-text").inner_text() == answer_text
    assert answer.locator(".sources-list a").inner_text() == f"标题 {MARKUP}"
    assert answer.locator(".quick-replies button").inner_text() == MARKUP
    answer.locator("a.cite").hover()
    popover = page.locator("#cite-popover")
    popover.wait_for(state="visible")
    assert popover.locator(".pop-quote").inner_text() == f"引文 {MARKUP} 结束"
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


def test_a_too_long_question_is_counted_and_refused_politely(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    counter = page.locator("#counter")
    counter.filter(has_text="0/300").wait_for()
    long_question = "先进级" * 101  # 303 characters
    page.locator("#question").fill(long_question)
    assert counter.inner_text() == "303/300"
    assert "over" in (counter.get_attribute("class") or "")
    page.locator("#question").press("Enter")
    error = page.locator(".msg-error")
    error.wait_for()
    assert "问题太长了：最多 300 个字" in error.inner_text()
    assert page.locator("#question").input_value() == long_question  # kept, so it can be shortened


def test_rate_limit_refusal_says_when_to_retry(live_server: str, page: Any) -> None:
    page.route(
        "**/api/chat/stream",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "42", "Content-Type": "application/json"},
            body=json.dumps({"detail": "too many questions: at most 15 a minute; retry in 42 s"}),
        ),
    )
    page.goto(f"{live_server}/?lang=en")
    page.locator("#question").fill("Who certifies the premium level?")
    page.locator("#question").press("Enter")
    error = page.locator(".msg-error")
    error.wait_for()
    assert "try again in 42 s" in error.inner_text()
    assert error.get_attribute("role") == "alert"


def test_an_llm_answer_names_the_model_and_its_filing_number(live_server: str, page: Any) -> None:
    """The model line appears only when the answer says an LLM wrote it (the suite's live server runs grounded)."""
    config = {"llm_model": "qwen2.5-7b-instruct", "llm_filing_number": "Yunnan-ShiYan-202601", "max_message_chars": 300}
    page.route("**/api/config", lambda route: route.fulfill(json=config))

    def llm_stream(route: Any) -> None:
        real = httpx.post(f"{live_server}/api/chat", json=json.loads(route.request.post_data), timeout=30).json()
        real["answerer"] = "llm:qwen2.5-7b-instruct"
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"},
                      body=sse(("citations", real["citations"]), ("done", real)))

    page.goto(f"{live_server}/")
    grounded = ask(page, "先进级智能工厂要覆盖哪些环节？")
    assert grounded.locator(".model-note").count() == 0
    page.route("**/api/chat/stream", llm_stream)
    rewritten = ask(page, "卓越级智能工厂由谁认定？")
    note = rewritten.locator(".model-note").inner_text()
    assert "qwen2.5-7b-instruct" in note and "备案号：Yunnan-ShiYan-202601" in note


def test_language_switch_relabels_the_page_and_is_remembered(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Switch to English").click()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("button", name="What maturity level does the premium level require?").wait_for()
    assert page.locator("#question").get_attribute("placeholder").startswith("Ask")
    page.reload()
    assert page.locator(".site-nav a").first.inner_text() == "Chat"
    page.get_by_role("button", name="切换到中文").click()
    assert page.locator(".site-nav a").first.inner_text() == "对话"


def test_controls_are_big_enough_to_tap_at_360_px(live_server: str, page: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/")
    ask(page, "卓越级智能工厂由谁认定？")
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .site-nav a, .suggestion')]
             .filter(el => el.offsetParent !== null)
             .map(el => [el.textContent.trim(), el.getBoundingClientRect()])
             .filter(([, r]) => r.height < 44 || r.width < 44)
             .map(([text]) => text)"""
    )
    assert small == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
