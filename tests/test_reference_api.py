"""The API behind the eligibility and reference views, against the real app on the real index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.eligibility.models import Profile
from assistant.eligibility.rulebook import default_rulebook
from assistant.settings import Settings


@pytest.fixture(scope="module")
def client(real_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(real_settings)) as test_client:
        yield test_client


def corpus_ids(settings: Settings) -> set[str]:
    ids = set()
    for path in settings.corpus_dir.glob("*.md"):
        stem, _, language = path.name.removesuffix(".md").rpartition(".")
        ids.add(f"{stem}-en" if language == "en" else stem)
    return ids


def documents(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/documents", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["documents"])
    return list(body["documents"])


# -- documents ---------------------------------------------------------------------------------------------------
def test_every_bundled_document_is_listed_with_its_provenance(client: TestClient, real_settings: Settings) -> None:
    listed = {d["doc_id"]: d for d in documents(client)}
    assert corpus_ids(real_settings) <= set(listed)
    notice = listed["notice-2025"]
    assert notice["doc_number"] == "工信厅联通装函〔2025〕251号"
    assert notice["issuer"] and notice["url"].startswith("https://www.miit.gov.cn/")
    assert notice["kind"] == "notice" and notice["year"] == 2025 and notice["last_reviewed"] == "2026-11-25"
    assert notice["twin"] == "notice-2025-en" and listed["notice-2025-en"]["twin"] == "notice-2025"
    assert all(d["sections"] > 0 and d["title"] for d in listed.values())


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"province": "yunnan"}, {"yunnan", "yunnan-en"}),
        ({"province": "liaoning", "language": "en"}, {"liaoning-en"}),
        ({"year": 2020}, {"gbt-39116", "gbt-39116-en", "gbt-39117", "gbt-39117-en"}),
        ({"kind": "conditions"}, {"conditions-2025", "conditions-2025-en"}),
        ({"kind": "notice", "year": 2024, "language": "zh"}, {"notice-2024", "plan-2024"}),
    ],
)
def test_filters_narrow_the_list(client: TestClient, params: dict[str, Any], expected: set[str]) -> None:
    assert {d["doc_id"] for d in documents(client, **params)} == expected


def test_each_filter_keeps_only_matching_documents(client: TestClient) -> None:
    english = documents(client, language="en")
    assert english and all(d["language"] == "en" and d["doc_id"].endswith("-en") for d in english)
    provincial = documents(client, kind="provincial")
    assert provincial and all(d["kind"] == "provincial" for d in provincial)
    national = documents(client, province="national")
    assert national and all(d["province"] is None for d in national)
    assert "notice-2025" in {d["doc_id"] for d in national}
    assert documents(client, province="xizang") == []  # a province with no documents: empty, not an error


def test_facets_offer_every_kind_year_and_province(client: TestClient) -> None:
    facets = client.get("/api/documents", params={"province": "yunnan"}).json()["facets"]
    assert {"notice", "provincial", "standard", "guide"} <= set(facets["kind"])
    assert {2024, 2025, 2026, 2020} <= set(facets["year"])
    assert {"yunnan", "jiangsu", "shandong", "liaoning"} <= set(facets["province"])  # facets ignore the filter


def test_an_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/api/sources/no-such-document")
    assert response.status_code == 404
    assert "no-such-document" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/documents", {"year": "abc"}, "year"),
        ("/api/documents", {"year": "1800"}, "year"),
        ("/api/documents", {"kind": "<script>"}, "kind"),
        ("/api/documents", {"province": "Yunnan1"}, "province"),
        ("/api/documents", {"language": "fr"}, "language"),
        ("/api/rules", {"province": "atlantis"}, "province"),
        ("/api/rules", {"province": "YN"}, "province"),
        ("/api/rules", {"as_of": "2025-13-45"}, "as_of"),
        ("/api/rules", {"as_of": "2020-01-01"}, "as_of"),  # before the scheme's first rules
        ("/api/rules", {"language": "fr"}, "language"),
        ("/api/search", {"q": "   "}, "q"),
        ("/api/search", {"q": "先进级", "k": "0"}, "k"),
    ],
)
def test_bad_parameters_get_422_naming_the_field(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(field)


# -- the rulebook table ------------------------------------------------------------------------------------------
def section_texts(client: TestClient, doc_id: str, cache: dict[str, dict[str, str]]) -> dict[str, str]:
    """anchor → the section's text with its sub-sections (what a reader of that section sees)."""
    if doc_id not in cache:
        response = client.get(f"/api/sources/{doc_id}")
        assert response.status_code == 200, f"{doc_id}: {response.text}"
        sections = response.json()["sections"]
        texts = {}
        for i, section in enumerate(sections):
            parts = [section["heading"], section["text"]]
            for deeper in sections[i + 1 :]:
                if deeper["level"] <= section["level"]:
                    break
                parts += [deeper["heading"], deeper["text"]]
            texts[section["anchor"]] = "\n".join(parts)
        cache[doc_id] = texts
    return cache[doc_id]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("as_of", ["2024-11-01", "2025-07-01", "2026-11-25"])
@pytest.mark.parametrize("province", [None, "yunnan", "jiangsu", "shandong", "zhejiang"])
def test_every_rule_row_cites_a_section_that_exists_and_quotes_it(
    client: TestClient, province: str | None, as_of: str, language: str
) -> None:
    params = {"as_of": as_of, "language": language, **({"province": province} if province else {})}
    response = client.get("/api/rules", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rules"], "the rulebook table is empty"
    cache: dict[str, dict[str, str]] = {}
    for row in body["rules"]:
        citation = row["citation"]
        assert citation is not None, f"{row['name']} has no clause"
        texts = section_texts(client, citation["doc_id"], cache)
        assert citation["section"] in texts, f"{row['name']}: {citation['doc_id']}#{citation['section']} is missing"
        if language == "en" and citation["doc_id"].endswith("-en"):
            assert row["reference"] == f"{citation['doc_id'][:-3]}#{citation['section']}"
        for line in filter(None, (citation["quote"] or "").splitlines()):
            assert line.strip() in texts[citation["section"]], f"{row['name']}: quote not in its section"
        assert row["value"] is not None and row["value_text"]["zh"] and row["value_text"]["en"]
        assert row["effective_from"] <= as_of
        assert row["valid_until"] is None or row["valid_until"] > as_of


def test_rules_follow_the_date_and_the_province(client: TestClient) -> None:
    early = client.get("/api/rules", params={"as_of": "2025-01-01"}).json()
    late = client.get("/api/rules", params={"as_of": "2026-11-25"}).json()
    assert early["edition"]["id"] == "2024" and late["edition"]["id"] == "2025"
    early_rows = {r["name"]: r for r in early["rules"]}
    late_rows = {r["name"]: r for r in late["rules"]}
    # 2024 asked for advanced "in principle"; 2025 made it mandatory and added the basic prerequisite.
    assert "原则上" in early_rows["prerequisite.premium"]["value_text"]["zh"]
    assert early_rows["prerequisite.premium"]["valid_until"] == "2025-06-30"
    assert late_rows["prerequisite.premium"]["value_text"]["zh"] == "须先获评先进级。"
    assert "prerequisite.advanced" not in early_rows and "prerequisite.advanced" in late_rows
    assert late_rows["maturity_floor.premium"]["value_text"]["en"] == "Level 3 (integrated) or above"
    assert late_rows["ai.min_share.pilot"]["value_text"]["zh"] == "≥ 60%"

    yunnan = {r["name"]: r for r in client.get("/api/rules", params={"province": "yunnan"}).json()["rules"]}
    assert yunnan["calendar.advanced"]["scope"] == "yunnan"
    assert "03-01" in yunnan["calendar.advanced"]["value_text"]["zh"]
    assert "calendar.advanced" not in late_rows  # no national advanced window
    jiangsu = {r["name"]: r for r in client.get("/api/rules", params={"province": "jiangsu"}).json()["rules"]}
    assert jiangsu["provincial_requirements.fields"]["scope"] == "jiangsu"
    assert jiangsu["recognition.advanced"]["citation"]["section"] == "premium-recognition"
    zhejiang = client.get("/api/rules", params={"province": "zhejiang"}).json()
    assert zhejiang["province_has_rules"] is False and {r["scope"] for r in zhejiang["rules"]} == {"national"}


# -- vocabulary and scenarios ------------------------------------------------------------------------------------
def test_the_vocabulary_labels_every_profile_field_in_both_languages(client: TestClient) -> None:
    body = client.get("/api/vocabulary").json()
    fields = body["labels"]["fields"]
    assert set(Profile.model_fields) <= set(fields)
    assert all(label["zh"] and label["en"] for label in fields.values())
    assert body["labels"]["order"]["levels"] == ["basic", "advanced", "premium", "pilot"]
    assert {"id": "yunnan", "zh": "云南", "en": "Yunnan"} in body["provinces"]
    assert set(body["provinces_with_rules"]) == set(default_rulebook().provinces)


def test_the_40_scenarios_come_grouped_by_their_8_stages(client: TestClient) -> None:
    body = client.get("/api/scenarios").json()
    stages = body["stages"]
    assert len(stages) == 8 and body["count"] == 40
    numbers = [s["id"] for stage in stages for s in stage["scenarios"]]
    assert numbers == list(range(1, 41))
    by_stage = {stage["id"]: stage for stage in stages}
    assert by_stage["production_management"]["zh"] == "生产管理"
    assert 33 in {s["id"] for s in by_stage["operations_management"]["scenarios"]}  # the FACTS_2 correction
    assert all(s["zh"] and s["en"] for stage in stages for s in stage["scenarios"])
