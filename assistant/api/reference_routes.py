"""The API behind the eligibility view and the helpdesk reference view.

- ``GET /api/vocabulary``  the rulebook's labels (levels, areas, standings, maturity levels, profile fields) and
  the provinces, so the pages label the profile form in zh/en without inventing wording of their own;
- ``GET /api/scenarios``   the 40 typical scenarios of the 2025 guide grouped by their 8 stages;
- ``GET /api/documents``   the indexed documents with their provenance front matter, filterable by kind, year,
  province and language;
- ``GET /api/rules``       the rulebook in force on a day for a province: every parameter, its value, validity,
  scope and the clause (reference + verbatim quote) that states it.

Everything is read from the rulebook loader and the loaded index; nothing here parses YAML or Markdown itself.
(The HTML pages ``/eligibility`` and ``/reference`` are served by ``assistant.api.web_routes``.)
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from assistant.api.deps import ServicesDep
from assistant.corpus.catalog import EN_SUFFIX
from assistant.corpus.models import Document
from assistant.eligibility.rulebook import (
    NATIONAL,
    Parameter,
    Resolved,
    Rulebook,
    _read_yaml,
    default_rulebook,
    default_rules_dir,
)
from assistant.eligibility.service import checker_for, parse_as_of
from assistant.errors import InputError, RulebookError
from assistant.provinces import PROVINCES

router = APIRouter()

Language = Literal["zh", "en"]
_SLUG = r"^[a-z]{2,20}$"
# "national" in the province filter means the documents that belong to no province.
NATIONAL_FILTER = "national"

# How the reference view names each rule family; UI wording only, the values themselves come from the rulebook.
_FAMILIES: dict[str, dict[str, str]] = {
    "basic_requirements": {"zh": "基本要求", "en": "Basic requirements"},
    "provincial_requirements": {"zh": "省级附加要求", "en": "Provincial extra requirements"},
    "legal_person": {"zh": "独立法人资格", "en": "Independent legal person"},
    "prerequisite": {"zh": "前置级别", "en": "Prerequisite level"},
    "recognition": {"zh": "直接认定", "en": "Direct recognition"},
    "construction": {"zh": "建设完成", "en": "Construction completed"},
    "coverage": {"zh": "覆盖的建设领域", "en": "Construction areas covered"},
    "maturity_floor": {"zh": "成熟度最低等级", "en": "Minimum maturity level"},
    "assessment": {"zh": "成熟度自评估时效", "en": "Self-assessment age"},
    "standing": {"zh": "技术经济指标水平", "en": "Indicator standing"},
    "ai.explored": {"zh": "人工智能应用探索", "en": "AI applications explored"},
    "ai.min_share": {"zh": "人工智能场景占比", "en": "Share of scenarios using AI"},
    "certifier": {"zh": "认定主体", "en": "Certifier"},
    "calendar": {"zh": "申报窗口", "en": "Application window"},
    "scenario_stage_to_area": {"zh": "场景环节与建设领域的对应", "en": "Scenario stages → construction areas"},
}
_WORDS = {
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "days": {"zh": "{n} 天", "en": "{n} days"},
    "or_above": {"zh": "{label}及以上", "en": "{label} or above"},
    "yearly": {"zh": "每年 {start} 至 {end}，{authority}", "en": "every year {start} to {end}, {authority}"},
    "recognised": {"zh": "已获评{levels}者直接认定", "en": "recognised directly when holding the {levels}"},
}


# -- labels ----------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _stage_labels() -> dict[str, dict[str, str]]:
    """The 8 stage names of the scenario guide (the loader keeps only the scenarios, not their stage names)."""
    stages: dict[str, dict[str, str]] = _read_yaml(default_rules_dir() / "scenarios.yaml")["stages"]
    return stages


def _province_entries() -> list[dict[str, str]]:
    entries = []
    for province, words in PROVINCES.items():
        english = next((w for w in words[1:] if w.isascii() and w != province), province)
        entries.append({"id": province, "zh": words[0], "en": english.title()})
    return entries


def _join(language: str) -> str:
    return "、" if language == "zh" else ", "


def _labels(rulebook: Rulebook, group: str, keys: list[str], language: str) -> str:
    return _join(language).join(rulebook.label(group, key, language) for key in keys)


def _family(name: str) -> tuple[str, str | None]:
    """``coverage.advanced`` → (``coverage``, ``advanced``); ``ai.min_share.pilot`` → (``ai.min_share``, ``pilot``)."""
    parts = name.split(".")
    level = parts[-1] if parts[-1] in default_rulebook().labels["order"]["levels"] else None
    base = parts[:-1] if level else parts
    family = ".".join(base)
    return (family if family in _FAMILIES else base[0]), level


def display_value(rulebook: Rulebook, name: str, value: Any, language: str) -> str:
    """A parameter's value in words, with the rulebook's own labels and message templates."""
    family, _level = _family(name)
    if family in ("basic_requirements", "provincial_requirements"):
        return _labels(rulebook, "fields", list(value), language)
    if family == "legal_person":
        return _labels(rulebook, "levels", list(value), language)
    if family == "prerequisite":
        required = rulebook.label("held_levels", value["level"], language)
        if value.get("alternatives"):
            alternatives = _labels(rulebook, "fields", list(value["alternatives"]), language)
            return rulebook.message(
                "prerequisite_or_alternative", language, required=required, alternatives=alternatives
            )
        key = "prerequisite" if value.get("strict", True) else "prerequisite_in_principle"
        return rulebook.message(key, language, required=required)
    if family == "recognition":
        levels = _labels(rulebook, "held_levels", list(value.get("when_held", [])), language)
        return _WORDS["recognised"][language].format(levels=levels)
    if family == "construction" and value is True:
        return rulebook.message("construction", language)
    if family == "coverage":
        return _labels(rulebook, "areas", list(value), language)
    if family == "maturity_floor":
        return _WORDS["or_above"][language].format(label=rulebook.label("maturity_levels", str(value), language))
    if family == "assessment":
        return _WORDS["days"][language].format(n=value)
    if family == "standing":
        return rulebook.label("standings", str(value), language)
    if family == "ai.explored" and value is True:
        return rulebook.message("ai_explored", language)
    if family == "ai.min_share":
        return f"≥ {float(value):.0%}"
    if family == "certifier" and isinstance(value, dict):
        return str(value.get(language) or value.get("zh"))
    if family == "calendar" and isinstance(value, dict):
        authority = value.get("authority", {})
        return _WORDS["yearly"][language].format(
            start=value["start"], end=value["end"], authority=authority.get(language, "")
        )
    if family == "scenario_stage_to_area" and isinstance(value, dict):
        stages = _stage_labels()
        return "; ".join(
            f"{stages[stage][language] if stage in stages else stage} → {rulebook.label('areas', area, language)}"
            for stage, area in value.items()
        )
    if isinstance(value, bool):
        return _WORDS["yes" if value else "no"][language]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# -- vocabulary and scenarios ------------------------------------------------------------------------------------
@router.get("/api/vocabulary")
def vocabulary() -> dict[str, Any]:
    """Labels for the profile form and the ladder (zh/en), straight from the rulebook's vocabulary."""
    rulebook = default_rulebook()
    wanted = ("order", "levels", "held_levels", "areas", "standings", "maturity_levels", "fields")
    return {
        "labels": {group: rulebook.labels[group] for group in wanted},
        "provinces": _province_entries(),
        "provinces_with_rules": rulebook.provinces,
    }


@router.get("/api/scenarios")
def scenarios() -> dict[str, Any]:
    """The 40 typical scenarios (2025 guide) grouped by stage, in the guide's order."""
    rulebook = default_rulebook()
    stages = _stage_labels()
    groups: dict[str, dict[str, Any]] = {}
    for number in sorted(rulebook.scenarios):
        scenario = rulebook.scenarios[number]
        stage = str(scenario["stage"])
        group = groups.setdefault(
            stage, {"id": stage, **stages.get(stage, {"zh": stage, "en": stage}), "scenarios": []}
        )
        group["scenarios"].append({"id": number, "zh": scenario["zh"], "en": scenario["en"]})
    return {
        "source": {"doc_id": "scenario-guide-2025", "section": "stage-mapping"},
        "stages": list(groups.values()),
        "count": len(rulebook.scenarios),
    }


# -- documents --------------------------------------------------------------------------------------------------
def _twin(document: Document, documents: dict[str, Document]) -> str | None:
    if document.doc_id.endswith(EN_SUFFIX):
        base = document.doc_id[: -len(EN_SUFFIX)]
        return base if base in documents else None
    twin = f"{document.doc_id}{EN_SUFFIX}"
    return twin if twin in documents else None


def _document_summary(document: Document, documents: dict[str, Document]) -> dict[str, Any]:
    meta = document.metadata
    year = meta.get("year")
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "language": document.language,
        "kind": document.kind,
        "year": int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
        "province": document.province,
        "doc_number": meta.get("doc_number"),
        "issuer": meta.get("issuer"),
        "date": str(meta["date"]) if meta.get("date") is not None else None,
        "url": meta.get("url"),
        "last_reviewed": str(meta["last_reviewed"]) if meta.get("last_reviewed") is not None else None,
        "twin": _twin(document, documents),
        "sections": len(document.sections),
    }


@router.get("/api/documents")
def list_documents(
    services: ServicesDep,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_-]{2,30}$", description="notice, provincial, …")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    province: Annotated[
        str | None, Query(pattern=_SLUG, description="lowercase pinyin, or 'national' for documents of no province")
    ] = None,
    language: Annotated[Language | None, Query()] = None,
) -> dict[str, Any]:
    documents = services.retriever.index.documents
    disabled = services.retriever.excluded()  # documents staff disabled are out of the answers and of this list
    visible = [_document_summary(d, documents) for d in documents.values() if d.doc_id not in disabled]
    facets = {
        "kind": sorted({d["kind"] for d in visible}),
        "year": sorted({d["year"] for d in visible if d["year"] is not None}, reverse=True),
        "province": sorted({d["province"] for d in visible if d["province"]}),
        "language": sorted({d["language"] for d in visible}),
    }
    chosen = [
        d
        for d in visible
        if (kind is None or d["kind"] == kind)
        and (year is None or d["year"] == year)
        and (
            province is None
            or (province == NATIONAL_FILTER and not d["province"])
            or (province != NATIONAL_FILTER and d["province"] == province)
        )
        and (language is None or d["language"] == language)
    ]
    chosen.sort(key=lambda d: (-(d["year"] or 0), d["kind"], d["doc_id"]))
    return {"documents": chosen, "total": len(chosen), "facets": facets}


# -- the rulebook as a table ------------------------------------------------------------------------------------
def _parameter(rulebook: Rulebook, resolved: Resolved) -> Parameter:
    if resolved.scope == NATIONAL:
        return rulebook.national[resolved.name]
    return rulebook.overlays[resolved.scope][resolved.name]


def _valid_until(parameter: Parameter, effective_from: dt.date) -> str | None:
    """The day the next dated value replaces this one (exclusive), if the rulebook already has one."""
    later = [v.effective_from for v in parameter.values if v.effective_from > effective_from]
    return min(later).isoformat() if later else None


@router.get("/api/rules")
def rules(
    services: ServicesDep,
    province: Annotated[str | None, Query(pattern=_SLUG, description="lowercase pinyin, e.g. yunnan")] = None,
    as_of: Annotated[str | None, Query(description="YYYY-MM-DD; default today")] = None,
    language: Annotated[Language, Query()] = "zh",
) -> dict[str, Any]:
    if province is not None and province not in PROVINCES:
        raise HTTPException(status_code=422, detail=f"province: unknown province {province!r}; use lowercase pinyin")
    day = parse_as_of(as_of, dt.date.today())  # the clock is read here, at the edge, never inside a rule
    rulebook = default_rulebook()
    try:
        edition = rulebook.edition(day)
    except RulebookError as error:
        raise InputError(f"as_of: {error}") from error
    checker = checker_for(services.settings.corpus_dir)
    names = list(rulebook.national)
    if province:
        names += [name for name in rulebook.overlays.get(province, {}) if name not in rulebook.national]
    rows = []
    for name in names:
        resolved = rulebook.get(name, day, province)
        if resolved is None or resolved.value is None:
            continue  # not in force on that day (switched off, or not yet introduced)
        dated = resolved.dated
        family, level = _family(name)
        citation = checker.cite(resolved, language)
        parameter = _parameter(rulebook, resolved)
        rows.append(
            {
                "name": name,
                "family": family,
                "family_label": _FAMILIES.get(family, {"zh": family, "en": family}),
                "level": level,
                "description": parameter.description,
                "scope": resolved.scope,
                "value": dated.value,
                "value_text": {lang: display_value(rulebook, name, dated.value, lang) for lang in ("zh", "en")},
                "effective_from": dated.effective_from.isoformat(),
                "valid_until": _valid_until(parameter, dated.effective_from),
                "confidence": dated.confidence,
                "note": {"zh": dated.note, "en": dated.note_en or dated.note} if dated.note else None,
                "last_reviewed": parameter.last_reviewed.isoformat() if parameter.last_reviewed else None,
                "reference": dated.reference,
                "citation": citation.model_dump() if citation else None,
            }
        )
    return {
        "as_of": day.isoformat(),
        "province": province,
        "province_has_rules": bool(province and province in rulebook.overlays),
        "edition": {
            "id": edition.id,
            "effective_from": edition.effective_from.isoformat(),
            "reference": edition.reference,
        },
        "rules": rows,
    }
