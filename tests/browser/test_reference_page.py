"""The helpdesk reference view in real Chromium against the real app: search, documents, rulebook, scenarios."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, Route, expect

ATTACK = "<img src=x onerror=alert(1)>"


def open_reference(page: Page, base: str, query: str = "") -> None:
    page.goto(f"{base}/reference{query}")
    expect(page.locator("body[data-ready=true]")).to_be_attached()


def test_search_highlights_the_hit_terms_and_opens_the_section(live_server: str, page: Page, screenshots: Path) -> None:
    open_reference(page, live_server)
    page.fill("#q", "先进级要覆盖哪些环节")
    page.press("#q", "Enter")
    hits = page.locator("#search-results .hit")
    expect(hits.first).to_be_visible()
    expect(page.locator("#tab-search")).to_have_attribute("aria-selected", "true")
    # The best passage is the coverage clause, and the words it shares with the question are marked.
    marks = page.locator("#search-results mark")
    assert marks.count() > 0
    marked = {text for text in marks.all_inner_texts()}
    assert "先进级" in "".join(marked) or "覆盖" in "".join(marked), marked
    assert not ({"哪些"} & marked)  # question words are not highlighted
    coverage = page.locator('#search-results .hit[data-doc="conditions-2025"][data-section="coverage"]')
    expect(coverage).to_be_visible()
    page.screenshot(path=str(screenshots / "reference-desktop.png"), full_page=False)

    coverage.locator(".hit-title a").click()
    page.wait_for_url("**/reference?doc=conditions-2025&section=coverage&hl=*")
    target = page.locator('[data-anchor="coverage"]')
    expect(target).to_have_class("doc-section target")
    expect(target).to_be_focused()
    expect(target.locator("mark").first).to_be_visible()
    # Back returns to the results.
    page.go_back()
    expect(page.locator("#tab-search")).to_have_attribute("aria-selected", "true")
    expect(hits.first).to_be_visible()


def test_a_citation_link_opens_the_document_at_that_section(live_server: str, page: Page, screenshots: Path) -> None:
    open_reference(page, live_server, "?doc=plan-2024&section=four-levels")
    expect(page.locator("#doc-title")).to_have_text("智能工厂梯度培育行动实施方案要点")
    target = page.locator('[data-anchor="four-levels"]')
    expect(target).to_have_class("doc-section target")
    expect(target).to_have_attribute("aria-current", "location")
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(page.locator(".doc-section.target")).to_have_count(1)
    # Provenance: 文号, issuer, date, official link and last reviewed.
    provenance = page.locator("#doc-view .provenance")
    expect(provenance).to_contain_text("工信厅联通装函〔2024〕399号")
    expect(provenance).to_contain_text("工业和信息化部办公厅等六部门")
    expect(provenance).to_contain_text("2026-11-25")
    expect(provenance.locator('a[href="http://yinzheng.org/article/20241113/9448.html"]')).to_have_attribute(
        "rel", "noopener noreferrer"
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    expect(page.locator('[data-anchor="four-levels"]')).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshots / "reference-360.png"), full_page=False)


def test_english_opens_the_english_twin_at_the_same_section(live_server: str, page: Page) -> None:
    open_reference(page, live_server, "?doc=plan-2024&section=four-levels&lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#doc-title")).to_contain_text("Implementation Plan")
    expect(page.locator('[data-anchor="four-levels"].target')).to_be_focused()
    assert "doc=plan-2024-en" in page.url
    # Switching the page to Chinese swaps to the Chinese twin, same section.
    page.click(".lang-switch")
    expect(page.locator("#doc-title")).to_have_text("智能工厂梯度培育行动实施方案要点")
    expect(page.locator('[data-anchor="four-levels"].target')).to_be_visible()


def test_an_unknown_document_or_section_says_so(live_server: str, page: Page) -> None:
    open_reference(page, live_server, "?doc=no-such-document")
    expect(page.locator("#doc-view .error")).to_contain_text("no-such-document")
    open_reference(page, live_server, "?doc=plan-2024&section=no-such-section")
    expect(page.locator("#doc-view .error")).to_contain_text("no-such-section")
    expect(page.locator("#doc-title")).to_be_visible()


def test_browsing_by_province_kind_and_year(live_server: str, page: Page) -> None:
    open_reference(page, live_server)
    items = page.locator("#doc-list .doc-item")
    expect(items.first).to_be_visible()
    everything = items.count()
    page.select_option("#filter-province", "yunnan")
    expect(items).to_have_count(1)  # the Chinese one: the language filter follows the page language
    expect(items.first).to_have_attribute("data-doc", "yunnan")
    expect(items.first.locator(".provenance")).to_contain_text("2026-11-25")
    page.select_option("#filter-language", "")
    expect(items).to_have_count(2)
    page.select_option("#filter-province", "")
    page.select_option("#filter-language", "zh")
    page.select_option("#filter-kind", "standard")
    page.select_option("#filter-year", "2020")
    expect(items).to_have_count(2)
    expect(page.locator("#doc-list")).to_contain_text("GB/T 39116-2020")
    page.select_option("#filter-kind", "")
    page.select_option("#filter-year", "")
    expect(items).to_have_count(everything)
    # Opening from the list shows the document beside it.
    items.first.locator("a.doc-link").click()
    expect(page.locator("#doc-title")).to_be_visible()
    expect(items.first.locator("a.doc-link")).to_have_attribute("aria-current", "page")


def test_the_rulebook_table_shows_each_rule_with_its_clause(live_server: str, page: Page) -> None:
    open_reference(page, live_server, "?view=rules")
    expect(page.locator("#tab-rules")).to_have_attribute("aria-selected", "true")
    rows = page.locator("#rules-body tr")
    expect(rows.first).to_be_visible()
    page.select_option("#rules-province", "yunnan")
    page.fill("#rules-as-of", "2026-11-25")
    page.click("#rules-form button[type=submit]")
    expect(page.locator("#rules-meta")).to_contain_text("2026-11-25")
    expect(page.locator("#rules-meta")).to_contain_text("规则库版本 2025")
    premium_floor = page.locator('#rules-body tr[data-rule="maturity_floor.premium"]')
    expect(premium_floor).to_contain_text("三级（集成级）及以上")
    clause = premium_floor.locator('a.cite[href="/reference?doc=conditions-2025&section=maturity-floors"]')
    expect(clause).to_be_visible()
    expect(premium_floor.locator(".quote")).to_contain_text("卓越级")
    yunnan_window = page.locator('#rules-body tr[data-rule="calendar.advanced"]')
    expect(yunnan_window).to_contain_text("云南")
    expect(yunnan_window).to_contain_text("03-01")
    # Every row names its clause.
    assert rows.count() == page.locator("#rules-body tr a.cite").count()
    # An impossible date gets the API's message, not a blank table.
    page.fill("#rules-as-of", "2020-01-01")
    page.click("#rules-form button[type=submit]")
    expect(page.locator("#rules-error")).to_contain_text("as_of")
    # The clause link opens the section.
    page.fill("#rules-as-of", "2026-11-25")
    page.click("#rules-form button[type=submit]")
    expect(page.locator("#rules-error")).to_be_hidden()
    clause.click()
    expect(page.locator('[data-anchor="maturity-floors"].target')).to_be_focused()


def test_the_scenarios_are_listed_by_stage(live_server: str, page: Page) -> None:
    open_reference(page, live_server)
    page.click("#tab-scenarios")
    stages = page.locator("#stages .stage-card")
    expect(stages).to_have_count(8)
    expect(page.locator("#stages li[data-scenario]")).to_have_count(40)
    expect(page.locator('.stage-card[data-stage="operations_management"]')).to_contain_text("产品精准营销")
    # Arrow keys move between tabs (WAI-ARIA tabs pattern).
    page.focus("#tab-scenarios")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tab-rules")).to_be_focused()
    expect(page.locator("#panel-rules")).to_be_visible()


def test_markup_in_sources_and_search_results_renders_as_text(live_server: str, page: Page) -> None:
    def crafted_search(route: Route) -> None:
        hit = {
            "doc_id": "evil",
            "section": "s1",
            "title": f"标题 {ATTACK}",
            "heading": ATTACK,
            "url": "javascript:alert(1)",
            "text": f"先进级 {ATTACK} 覆盖",
            "score": 1.0,
            "language": "zh",
            "kind": "notice",
            "province": None,
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"results": [hit]}))

    def crafted_source(route: Route) -> None:
        body = {
            "doc_id": "evil",
            "title": f"文件 {ATTACK}",
            "language": "zh",
            "metadata": {"url": "javascript:alert(1)", "issuer": ATTACK, "doc_number": ATTACK},
            "sections": [
                {"anchor": "s1", "heading": ATTACK, "level": 2, "parent": None, "text": f"- {ATTACK}\n{ATTACK}"}
            ],
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/search?*", crafted_search)
    page.route("**/api/sources/evil", crafted_source)
    open_reference(page, live_server)
    page.fill("#q", "先进级")
    page.press("#q", "Enter")
    hit = page.locator("#search-results .hit")
    expect(hit).to_contain_text(ATTACK)
    assert hit.locator("img").count() == 0
    hit.locator(".hit-title a").click()
    view = page.locator("#doc-view")
    expect(view.locator('[data-anchor="s1"]')).to_contain_text(ATTACK)
    expect(view.locator("#doc-title")).to_have_text(f"文件 {ATTACK}")
    assert page.locator("#main img").count() == 0
    # A javascript: URL is shown as text, never as a link.
    assert view.locator('a[href^="javascript"]').count() == 0
    expect(view.locator(".provenance")).to_contain_text("javascript:alert(1)")
    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    assert page.dialogs == []  # type: ignore[attr-defined]
