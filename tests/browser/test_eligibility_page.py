"""The eligibility view in real Chromium against the real app: form → level ladder, .ics, printable report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

AS_OF = "2026-11-25"
# A Yunnan enterprise that holds basic and has every fact the advanced level needs
# (the same facts as examples/profile-yunnan.yaml).
YES = (
    "above_designated_size",
    "independent_legal_person",
    "clean_record_3y",
    "secure_and_controllable",
    "organisation_and_talent",
    "construction_completed",
)
SCENARIOS = {9: False, 12: False, 24: True, 27: False, 28: True, 30: False, 37: False}


def open_form(page: Page, base: str, lang: str = "zh") -> None:
    page.goto(f"{base}/eligibility?lang={lang}")
    expect(page.locator("#profile-form[data-ready=true]")).to_be_visible()


def fill_yunnan(page: Page) -> None:
    page.select_option("#f-province", "yunnan")
    page.select_option("#f-current_level", "basic")
    for name in YES:
        page.select_option(f"#f-{name}", "true")
    for number, uses_ai in SCENARIOS.items():
        stage = page.locator("details.stage", has=page.locator(f"#scenario-{number}"))
        if stage.get_attribute("open") is None:
            stage.locator("summary").click()
        page.check(f"#scenario-{number}")
        if uses_ai:
            page.check(f"#scenario-{number}-ai")
    page.select_option("#f-maturity_level", "2")
    page.fill("#f-maturity_assessed_on", "2026-04-15")
    page.select_option("#f-indicator_standing", "leading_in_province")
    page.fill("#f-as_of", AS_OF)


def check(page: Page) -> None:
    page.click("#check")
    expect(page.locator("#ladder .rung")).to_have_count(4)


def test_the_ladder_shows_held_and_next_rungs_with_what_is_missing_and_citations(
    live_server: str, page: Page, screenshots: Path
) -> None:
    open_form(page, live_server)
    fill_yunnan(page)
    check(page)

    basic, advanced, premium, pilot = (page.locator(f'.rung[data-level="{lv}"]') for lv in LEVELS)
    expect(basic).to_have_attribute("data-status", "held")
    expect(basic.locator(".badge-held")).to_have_text("已获评")
    expect(advanced).to_have_attribute("data-status", "eligible")
    expect(advanced).to_have_attribute("aria-current", "step")
    expect(advanced.locator(".badge-next")).to_have_text("下一目标")
    # Yunnan's advanced window (March, a single source) with its authority.
    expect(advanced.locator(".window")).to_contain_text("2027-03-01")
    expect(advanced.locator(".window-box")).to_contain_text("云南省工业和信息化厅")

    expect(premium).to_have_attribute("data-status", "not_eligible")
    unmet = premium.locator(".rung-block.unmet li[data-rule]")
    expect(unmet.filter(has_text="须先获评先进级")).to_have_count(1)
    expect(unmet.filter(has_text="三级（集成级）")).to_have_count(1)
    citation = premium.locator('a.cite[href="/reference?doc=notice-2025&section=premium-conditions"]')
    expect(citation.first).to_be_visible()
    expect(premium.locator(".quote").first).not_to_be_empty()
    expect(pilot).to_have_attribute("data-status", "not_eligible")
    # The areas were derived from the scenarios, and the page says so with its source.
    expect(page.locator(".derived")).to_contain_text("生产作业")
    expect(page.locator("#result-meta")).to_contain_text(AS_OF)
    expect(page.locator("#result-meta")).to_contain_text("2025")
    assert page.dialogs == []  # type: ignore[attr-defined]

    expect(page.locator("#ladder")).not_to_contain_text("null")
    expect(page.locator("#ladder")).not_to_contain_text("undefined")

    page.locator("#result").screenshot(path=str(screenshots / "ladder-desktop.png"))
    page.set_viewport_size({"width": 360, "height": 740})
    no_sideways_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert no_sideways_scroll, "the ladder must fit a 360 px screen"
    page.locator("#result").screenshot(path=str(screenshots / "ladder-360.png"))

    # A citation opens the clause in the reference view.
    citation.first.click()
    page.wait_for_url("**/reference?doc=notice-2025&section=premium-conditions")
    expect(page.locator('[data-anchor="premium-conditions"].target')).to_be_visible()


LEVELS = ("basic", "advanced", "premium", "pilot")


def test_an_empty_profile_lists_the_information_each_level_still_needs(live_server: str, page: Page) -> None:
    open_form(page, live_server)
    page.fill("#f-as_of", AS_OF)
    check(page)
    basic = page.locator('.rung[data-level="basic"]')
    expect(basic).to_have_attribute("data-status", "needs_info")
    expect(basic).to_have_attribute("aria-current", "step")
    needed = basic.locator(".rung-block.missing li")
    expect(needed.filter(has_text="是否为规模以上工业企业")).to_have_count(1)
    # "Fill in" jumps to the control that answers it.
    needed.filter(has_text="是否为规模以上工业企业").locator("a.fill").click()
    expect(page.locator("#f-above_designated_size")).to_be_focused()
    # No province given: the page says national rules apply.
    expect(page.locator(".province-note")).to_contain_text("未指定省份")


def test_the_ics_download_holds_the_windows_shown(live_server: str, page: Page, tmp_path: Path) -> None:
    open_form(page, live_server)
    fill_yunnan(page)
    check(page)
    link = page.locator("#ics")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in text
    assert "DTSTART;VALUE=DATE:20270301" in text  # the advanced window the ladder shows
    assert saved.suffix == ".ics"


def test_the_printed_report_has_gaps_windows_sources_and_hides_the_form(
    live_server: str, page: Page, screenshots: Path
) -> None:
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    open_form(page, live_server)
    fill_yunnan(page)
    check(page)
    page.click("#print")
    assert page.evaluate("window.__printed") == 1

    report = page.locator("#report")
    expect(report).to_be_hidden()  # on screen the ladder is the view; the report is for paper
    page.emulate_media(media="print")
    expect(report).to_be_visible()
    expect(page.locator("#profile-form")).to_be_hidden()
    expect(page.locator("#ladder")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(report.locator("h2")).to_have_text("智能工厂梯度培育申报准备报告")
    expect(report.locator(".report-meta")).to_contain_text(AS_OF)
    expect(report.locator(".report-meta")).to_contain_text("规则库版本 2025")
    # What was entered, what to prepare, gaps per level, windows, sources.
    expect(report.locator(".report-table").first).to_contain_text("云南")
    expect(report.locator('.report-level[data-level="premium"]')).to_contain_text("须先获评先进级")
    expect(report.locator("table").last).to_contain_text("2027-03-01")
    expect(report.locator(".report-sources li", has_text="notice-2025#premium-conditions")).to_have_count(1)
    page.screenshot(path=str(screenshots / "report-print-desktop.png"), full_page=True)
    page.emulate_media(media="screen")
    expect(report).to_be_hidden()


@pytest.mark.parametrize(
    ("fill", "field", "words"),
    [
        ({"#f-maturity_assessed_on": "2026-12-01"}, "maturity_assessed_on", "after as_of"),
        ({"#f-ai_scenario_share": "1.5"}, "ai_scenario_share", "less than or equal to 1"),
    ],
)
def test_bad_input_shows_the_api_message_next_to_the_form(
    live_server: str, page: Page, fill: dict[str, Any], field: str, words: str
) -> None:
    open_form(page, live_server)
    page.fill("#f-as_of", AS_OF)
    for selector, value in fill.items():
        page.fill(selector, value)
    page.click("#check")
    error = page.locator("#form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(field)
    expect(error).to_contain_text(words)
    expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result")).to_be_hidden()
    # Fixing the field and checking again clears the message and draws the ladder.
    page.fill(f"#f-{field}", "")
    check(page)
    expect(error).to_be_hidden()


def test_switching_to_english_redraws_the_ladder_with_english_sources(live_server: str, page: Page) -> None:
    open_form(page, live_server)
    fill_yunnan(page)
    check(page)
    page.click(".lang-switch")
    advanced = page.locator('.rung[data-level="advanced"]')
    expect(advanced.locator("h3")).to_have_text("advanced level")
    expect(advanced.locator(".badge-next")).to_have_text("Next step")
    expect(page.locator("#f-province option:checked")).to_contain_text("Yunnan")
    premium = page.locator('.rung[data-level="premium"]')
    expect(premium.locator(".rung-block.unmet")).to_contain_text("You must hold the advanced level first.")
    expect(premium.locator('a.cite[href*="doc=notice-2025-en"]').first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
