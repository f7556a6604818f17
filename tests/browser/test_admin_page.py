"""The helpdesk admin page in Chromium: sign in with the token, see documents, turn a thumbs-down into an
approved answer, read the analytics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import ADMIN_TOKEN, DESKTOP, PHONE


def test_staff_sign_in_and_approve_an_answer_from_a_thumbs_down(
    live_server: str, page: Any, screenshots: Path
) -> None:
    question = "卓越级智能工厂由谁组织认定？"
    asked = httpx.post(f"{live_server}/api/chat", json={"message": question}, timeout=30).json()
    rated = httpx.post(f"{live_server}/api/feedback", timeout=30, json={
        "conversation_id": asked["conversation_id"], "message_id": asked["message_id"], "rating": "down",
        "comment": "<img src=x onerror=alert(1)> 太长了"})
    assert rated.status_code == 204

    page.goto(f"{live_server}/admin")
    page.get_by_label("管理令牌").fill("wrong-token")
    page.get_by_role("button", name="进入").click()
    page.get_by_text("令牌无效").wait_for()
    page.get_by_label("管理令牌").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="进入").click()
    documents = page.locator("#documents-table tbody tr")
    documents.first.wait_for()
    assert not page.get_by_label("管理令牌").is_visible()  # signed in: the token form is gone
    assert documents.count() >= 42
    assert page.locator("#documents-table").get_by_text("notice-2025", exact=True).count() == 1

    page.get_by_role("button", name="用户反馈").click()
    item = page.locator(".admin-item").filter(has_text=question).first
    item.wait_for()
    assert "<img src=x onerror=alert(1)> 太长了" in item.inner_text()  # a comment is text, never markup
    assert page.dialogs == []
    answer = item.locator("textarea")
    answer.fill(answer.input_value())  # staff may edit; the original answer with its markers is valid as is
    item.get_by_role("button", name="设为标准答案").click()
    page.get_by_text("已保存。").wait_for()

    again = httpx.post(f"{live_server}/api/chat", json={"message": question}, timeout=30).json()
    assert again["intent"] == "approved"

    page.get_by_role("button", name="统计").click()
    page.locator("#analytics-summary dd").first.wait_for()
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(screenshots / "admin-analytics-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshots / "admin-analytics-360.png"), full_page=True)
