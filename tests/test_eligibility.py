"""The rulebook and checker: YAML cases, references that resolve, determinism, bad profiles."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.corpus.catalog import load_catalog
from assistant.eligibility import EligibilityChecker, Profile, default_rulebook
from assistant.eligibility.service import parse_profile
from assistant.eligibility.tool import eligibility_tool
from assistant.errors import InputError
from assistant.settings import PROJECT_ROOT

CASES = yaml.safe_load((Path(__file__).parent / "eligibility_cases.yaml").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def checker() -> EligibilityChecker:
    return EligibilityChecker(default_rulebook(), load_catalog(PROJECT_ROOT / "corpus"))


def test_there_are_enough_cases_covering_every_check_of_every_level() -> None:
    assert len(CASES) >= 60
    named_rules = {rule for case in CASES for level in case["expect"].get("levels", {}).values()
                   for rule in level.get("unmet", [])}
    expected = {
        f"{level}.{check}"
        for level, checks in {
            "basic": ["requirements", "coverage", "maturity", "assessment_age", "standing"],
            "advanced": ["prerequisite", "construction", "coverage", "maturity", "standing"],
            "premium": ["requirements", "prerequisite", "construction", "coverage", "maturity", "standing", "ai"],
            "pilot": ["prerequisite", "coverage", "maturity", "standing", "ai"],
        }.items()
        for check in checks
    }
    assert expected <= named_rules, expected - named_rules


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], checker: EligibilityChecker) -> None:
    profile = Profile.model_validate(case["profile"])
    result = checker.check(profile, case["as_of"])
    expect = case["expect"]
    assert [lv.level for lv in result.levels] == ["basic", "advanced", "premium", "pilot"]
    if "rulebook" in expect:
        assert result.rulebook == expect["rulebook"]
    if "next_level" in expect:
        assert result.next_level == expect["next_level"]
    if "province_note" in expect:
        assert bool(result.province_note) == expect["province_note"]
    if "derived_areas" in expect:
        assert result.derived is not None and result.derived.areas_from_scenarios == expect["derived_areas"]
    if "derived_share" in expect:
        assert result.derived is not None and result.derived.ai_share_from_scenarios == expect["derived_share"]
    by_level = {lv.level: lv for lv in result.levels}
    for level, wanted in expect.get("levels", {}).items():
        got = by_level[level]
        if "status" in wanted:
            assert got.status == wanted["status"], (got.unmet, got.missing)
        if "unmet" in wanted:
            assert sorted(u.rule for u in got.unmet) == sorted(wanted["unmet"])
            assert all(u.citations and u.message and u.message_en for u in got.unmet)
        if "missing" in wanted:
            assert got.missing == wanted["missing"]
        if "notes" in wanted:
            assert set(wanted["notes"]) <= {n.rule for n in got.notes}
        if "window" in wanted:
            if wanted["window"] is None:
                assert got.next_window is None
            else:
                assert got.next_window is not None
                assert (got.next_window.start, got.next_window.end, got.next_window.status) == (
                    wanted["window"]["start"], wanted["window"]["end"], wanted["window"]["status"])
                assert got.next_window.citations
        if "window_note" in wanted:
            assert bool(got.window_note) == wanted["window_note"]


# What each kind of value must visibly say in its quote, so a reference cannot point at an unrelated sentence.
_NUMERALS = {2: "二级", 3: "三级", 4: "四级"}
_FIELD_WORDS = {"above_designated_size": "规模以上工业企业", "clean_record_3y": "较大及以上",
                "secure_and_controllable": "安全可控", "organisation_and_talent": "组织机制",
                "clean_quality_record_3y": "质量", "independent_legal_person": "独立法人"}


def _evidence(name: str, value: Any) -> list[str]:
    rulebook = default_rulebook()
    if name.startswith("maturity_floor."):
        return [_NUMERALS[value]]
    if name.startswith("coverage."):
        return [rulebook.label("areas", area, "zh") for area in value]
    if name.startswith("standing."):
        return [rulebook.label("standings", value, "zh")]
    if name.endswith("requirements.fields"):
        return [_FIELD_WORDS[field] for field in value]
    if name.startswith("prerequisite."):
        return [rulebook.label("levels", value["level"], "zh")]
    if name.startswith("ai.min_share."):
        return [f"{round(value * 100)}%"]
    if name.startswith("ai.explored."):
        return ["人工智能"]
    if name.startswith("construction."):
        return ["完成"]
    if name.startswith("calendar."):
        return [f"{int(value['start'][:2])}月"]
    if name == "assessment.max_age_days":
        return ["每年"]
    if name.startswith("certifier."):
        return ["自评" if name.endswith("basic") else "认定"]
    if name == "legal_person.levels":
        return ["独立法人资格"]
    if name.startswith("recognition."):
        return ["卓越级", "先进级"]
    if name == "scenario_stage_to_area":
        return ["推断"]
    raise AssertionError(f"no evidence rule for {name}")


def test_every_rulebook_reference_resolves_to_a_section_that_states_the_value() -> None:
    catalog = load_catalog(PROJECT_ROOT / "corpus")
    checked = 0
    for parameter in default_rulebook().all_parameters():
        for dated in parameter.values:
            if dated.value is None:
                continue
            where = f"{parameter.scope}:{parameter.name}@{dated.effective_from}"
            assert dated.reference and catalog.has(dated.reference), f"{where}: {dated.reference} not in corpus"
            text = catalog.section_text(dated.reference)
            assert dated.quote and dated.quote in text, f"{where}: quote not found in {dated.reference}"
            for word in _evidence(parameter.name, dated.value):
                assert word in dated.quote, f"{where}: quote does not mention {word!r}"
            english = catalog.localise(dated.reference, "en")
            assert english != dated.reference, f"{where}: no English twin of {dated.reference}"
            assert dated.quote_en and dated.quote_en in catalog.section_text(english), f"{where}: quote_en not found"
            checked += 1
    for edition in default_rulebook().editions:
        assert catalog.has(edition.reference)
    assert checked >= 30


def test_each_level_has_the_parameters_its_checks_read() -> None:
    rulebook = default_rulebook()
    day = dt.date(2026, 11, 25)
    for level in ("basic", "advanced", "premium", "pilot"):
        for prefix in ("coverage", "maturity_floor", "standing", "certifier", "calendar"):
            assert f"{prefix}.{level}" in rulebook.national, f"{prefix}.{level}"
    assert rulebook.get("prerequisite.pilot", day) is not None
    assert rulebook.get("ai.min_share.premium", day) is not None


def test_same_input_same_output(checker: EligibilityChecker) -> None:
    profile = Profile.model_validate(CASES[0]["profile"] | {"province": "yunnan"})
    first = checker.check(profile, dt.date(2026, 11, 25)).model_dump_json()
    assert all(checker.check(profile, dt.date(2026, 11, 25)).model_dump_json() == first for _ in range(3))


def test_english_results_cite_the_english_sections(checker: EligibilityChecker) -> None:
    profile = Profile(current_level="basic", province="yunnan", maturity_level=1)
    result = checker.check(profile, dt.date(2026, 11, 25), "en")
    unmet = next(u for lv in result.levels for u in lv.unmet if u.rule == "advanced.maturity")
    assert unmet.citations[0].doc_id.endswith("-en")
    assert "Level 2" in unmet.message_en


def test_trace_names_the_parameters_each_verdict_read(checker: EligibilityChecker) -> None:
    result = checker.check(Profile(current_level="basic", maturity_level=2), dt.date(2026, 11, 25))
    advanced = result.levels[1]
    maturity = next(t for t in advanced.trace if t.rule == "advanced.maturity")
    assert maturity.outcome == "met"
    assert maturity.parameters[0].name == "maturity_floor.advanced"
    assert maturity.parameters[0].reference == "conditions-2025#maturity-floors"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"current_level": "gold"}, "current_level"),
        ({"maturity_level": 7}, "maturity_level"),
        ({"maturity_assessed_on": "2026/01/02"}, "maturity_assessed_on"),
        ({"areas_covered": "production_operations"}, "areas_covered"),
        ({"scenarios_built": [41]}, "scenarios_built"),
        ({"ai_scenario_share": 1.5}, "ai_scenario_share"),
        ({"maturty_level": 3}, "maturty_level"),
    ],
)
def test_bad_profiles_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_profile(data)
    assert field in str(caught.value)


def test_assessment_after_as_of_is_refused(checker: EligibilityChecker) -> None:
    with pytest.raises(InputError, match="maturity_assessed_on"):
        checker.check(Profile(maturity_assessed_on=dt.date(2027, 1, 1)), dt.date(2026, 11, 25))


def test_structured_tool_takes_the_profile_schema(checker: EligibilityChecker) -> None:
    tool = eligibility_tool(checker, dt.date(2026, 11, 25))
    assert "maturity_level" in tool.args
    output = tool.invoke({"current_level": "basic", "province": "yunnan", "maturity_level": 1})
    advanced = output["levels"][1]
    assert advanced["level"] == "advanced" and "advanced.maturity" in [u["rule"] for u in advanced["unmet"]]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_api_eligibility(client: TestClient) -> None:
    response = client.post("/api/eligibility", json={"profile": {"current_level": "basic", "province": "yunnan"},
                                                      "as_of": "2026-11-25"})
    assert response.status_code == 200
    body = response.json()
    assert body["next_level"] == "advanced"
    assert body["levels"][1]["next_window"]["start"] == "2027-03-01"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"profile": {"current_level": "gold"}}, "profile.current_level"),
        ({"profile": {"maturity_level": 7}}, "profile.maturity_level"),
        ({"profile": {"maturity_assessed_on": "yesterday"}}, "profile.maturity_assessed_on"),
        ({"profile": {"areas_covered": "rd_design"}}, "profile.areas_covered"),
        ({"profile": {}, "as_of": "25/11/2026"}, "as_of"),
        ({"profile": {}, "as_of": "2019-01-01"}, "as_of"),
        ({"profile": []}, "profile"),
    ],
)
def test_api_rejects_bad_profiles_with_422(client: TestClient, payload: dict[str, Any], needle: str) -> None:
    response = client.post("/api/eligibility", json=payload)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_api_broken_json_is_a_422(client: TestClient) -> None:
    response = client.post("/api/eligibility", content=b'{"profile": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_calendar_download(client: TestClient) -> None:
    profile = json.dumps({"current_level": "basic", "province": "yunnan"})
    response = client.get("/api/eligibility/calendar.ics", params={"profile": profile, "as_of": "2026-11-25"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20270301" in body and "DTEND;VALUE=DATE:20270401" in body
    assert "DTSTART;VALUE=DATE:20270601" in body
    assert client.get("/api/eligibility/calendar.ics", params={"profile": "{oops"}).status_code == 422


def test_cli_check_prints_a_table_and_json(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("current_level: basic\nprovince: yunnan\nmaturity_level: 1\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "assistant", "check", str(profile), "--as-of", "2026-11-25"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "advanced" in run.stdout and "2027-03-01" in run.stdout
    run = subprocess.run([sys.executable, "-m", "assistant", "check", str(profile), "--as-of", "2026-11-25",
                          "--json", "--ics", str(tmp_path / "w.ics")], capture_output=True, text=True, timeout=120)
    assert json.loads(run.stdout)["next_level"] == "advanced"
    assert (tmp_path / "w.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("content", "needle"),
    [("maturity_level: 7\n", "maturity_level"), ("current_level: [basic\n", "not valid YAML"),
     ("scenarios_built: 12\n", "scenarios_built")],
)
def test_cli_check_bad_profile_is_one_line(tmp_path: Path, content: str, needle: str) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(content, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "assistant", "check", str(profile)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert needle in run.stderr and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
