"""The eligibility checker: profile + as_of (+ province) → EligibilityResult, every verdict citing its
clause. Deterministic: ``as_of`` is an input and nothing here reads the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assistant.corpus.catalog import Catalog
from assistant.eligibility.calendar import next_window
from assistant.eligibility.checks import CHECKS, Facts, Outcome
from assistant.eligibility.models import (
    Citation,
    Derivation,
    EligibilityResult,
    LevelResult,
    Profile,
    RuleNote,
    TraceEntry,
    TraceParameter,
    Window,
)
from assistant.eligibility.rulebook import Resolved, Rulebook
from assistant.errors import InputError


@dataclass
class BoundParams:
    """The rulebook as seen on one day from one province (what the checks receive)."""

    rulebook: Rulebook
    day: dt.date
    province: str | None
    _seen: dict[str, Resolved | None] = field(default_factory=dict)

    def get(self, name: str) -> Resolved | None:
        if name not in self._seen:
            self._seen[name] = self.rulebook.get(name, self.day, self.province)
        return self._seen[name]

    def rank(self, group: str, key: str) -> int:
        order: list[str] = self.rulebook.labels["order"][group]
        return order.index(key)


class EligibilityChecker:
    def __init__(self, rulebook: Rulebook, catalog: Catalog) -> None:
        self.rulebook = rulebook
        self.catalog = catalog
        # Citations and messages depend only on their inputs; caching them keeps a check well under 1 ms.
        self._cite_cached = lru_cache(maxsize=4096)(self._cite)
        self._traces: dict[tuple[Any, ...], TraceEntry] = {}
        self._notes: dict[tuple[Any, ...], RuleNote] = {}
        self._windows: dict[tuple[Any, ...], tuple[Window | None, str | None]] = {}
        self._bound: dict[tuple[dt.date, str | None], BoundParams] = {}
        self._render = lru_cache(maxsize=8192)(self._render_uncached)

    # -- citations ---------------------------------------------------------------------------------
    def cite(self, resolved: Resolved, language: str) -> Citation | None:
        dated = resolved.dated
        if not dated.reference:
            return None
        return self._cite_cached(dated.reference, dated.quote or "", dated.quote_en, language)

    def _cite(self, reference: str, quote: str, quote_en: str | None, language: str) -> Citation:
        if language == "en" and quote_en:
            localised = self.catalog.localise(reference, "en")
            if localised != reference:
                reference, quote = localised, quote_en
        document = self.catalog.document_of(reference)
        doc_id, _, section = reference.partition("#")
        return Citation.model_construct(
            n=None,
            doc_id=doc_id,
            section=section,
            title=document.title if document else doc_id,
            url=str(document.metadata.get("url")) if document and document.metadata.get("url") else None,
            quote=quote,
        )

    def _cites(self, params: list[Resolved], language: str) -> list[Citation]:
        seen: set[tuple[str, str]] = set()
        citations = []
        for resolved in params:
            citation = self.cite(resolved, language)
            if citation and (citation.doc_id, citation.section) not in seen:
                seen.add((citation.doc_id, citation.section))
                citations.append(citation)
        return citations

    # -- messages ----------------------------------------------------------------------------------
    def _render_uncached(self, key: str, frozen_values: tuple[tuple[str, Any], ...], language: str) -> str:
        values = {name: list(value) if isinstance(value, tuple) else value for name, value in frozen_values}
        spec = self.rulebook.messages[key]
        groups: dict[str, str] = dict(spec.get("labels", {}))  # type: ignore[arg-type]
        shown: dict[str, Any] = {}
        separator = "、" if language == "zh" else ", "
        for name, value in values.items():
            group = groups.get(name)
            if group and isinstance(value, list):
                shown[name] = separator.join(self.rulebook.label(group, v, language) for v in value) or "—"
            elif group:
                shown[name] = self.rulebook.label(group, str(value), language)
            elif isinstance(value, float):
                shown[name] = f"{value:.0%}"
            else:
                shown[name] = value
        return self.rulebook.message(key, language, **shown)

    def _note(self, rule: str, key: str, values: dict[str, Any], params: list[Resolved], language: str) -> RuleNote:
        cache_key = (
            rule,
            key,
            tuple(sorted((k, str(v)) for k, v in values.items())),
            tuple((p.name, p.scope, p.dated.effective_from) for p in params),
            language,
        )
        note = self._notes.get(cache_key)
        if note is None:
            note = self._build_note(rule, key, values, params, language)
            if len(self._notes) < 20_000:
                self._notes[cache_key] = note
        return note

    def _build_note(
        self, rule: str, key: str, values: dict[str, Any], params: list[Resolved], language: str
    ) -> RuleNote:
        confidence = min((p.dated.confidence for p in params), key=_confidence_rank, default="C2")
        frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
        return RuleNote.model_construct(
            rule=rule,
            message=self._render(key, frozen, "zh"),
            message_en=self._render(key, frozen, "en"),
            confidence=confidence,
            citations=self._cites(params, language),
        )

    def _params(self, day: dt.date, province: str | None) -> BoundParams:
        params = self._bound.get((day, province))
        if params is None:
            params = BoundParams(self.rulebook, day, province)
            if len(self._bound) < 4096:
                self._bound[(day, province)] = params
        return params

    def window(self, level: str, day: dt.date, province: str | None, language: str) -> tuple[Window | None, str | None]:
        """The next window for a level (or the note saying why there is none), as the checker reports it."""
        return self._window(level, self._params(day, province), language)

    # -- the check ---------------------------------------------------------------------------------
    def check(self, profile: Profile, as_of: dt.date, language: str = "zh") -> EligibilityResult:
        edition = self.rulebook.edition(as_of)
        province = profile.province
        params = self._params(as_of, province)
        if profile.maturity_assessed_on is not None and profile.maturity_assessed_on > as_of:
            raise InputError(
                f"maturity_assessed_on: {profile.maturity_assessed_on.isoformat()} is after as_of {as_of.isoformat()}"
            )
        facts, derivation = self._facts(profile, as_of, params, language)
        order: list[str] = self.rulebook.labels["order"]["levels"]
        held_rank = params.rank("held_levels", profile.current_level) if profile.current_level else 0
        levels = [self._level(level, facts, params, held_rank, language) for level in order]
        next_level = next((lv.level for lv in levels if lv.status != "held"), None)
        missing: list[str] = []
        for level_result in levels:
            missing += [f for f in level_result.missing if f not in missing]
        return EligibilityResult.model_construct(
            as_of=as_of,
            rulebook=edition.id,
            province=province,
            language="en" if language == "en" else "zh",
            next_level=next_level,
            levels=levels,
            missing=missing,
            derived=derivation,
            province_note=self._province_note(province, language),
        )

    def _province_note(self, province: str | None, language: str) -> str | None:
        if province is None:
            return self.rulebook.message("no_province", language)
        if province not in self.rulebook.overlays:
            return self.rulebook.message("province_without_overlay", language, province=province)
        return None

    def _facts(
        self, profile: Profile, as_of: dt.date, params: BoundParams, language: str
    ) -> tuple[Facts, Derivation | None]:
        areas: set[str] | None = set(profile.areas_covered) if profile.areas_covered is not None else None
        share = profile.ai_scenario_share
        derivation = None
        if profile.scenarios_built:
            mapping = params.get("scenario_stage_to_area")
            if mapping is None:
                raise InputError("scenarios_built: no scenario guide is in force on that date")
            stage_to_area: dict[str, str] = mapping.value
            derived_areas = []
            for built in profile.scenarios_built:
                stage = self.rulebook.scenarios[built.id]["stage"]
                area = stage_to_area[stage]
                if area not in derived_areas:
                    derived_areas.append(area)
            areas = (areas or set()) | set(derived_areas)
            marked = [b for b in profile.scenarios_built if b.uses_ai is not None]
            derived_share = (
                round(sum(1 for b in marked if b.uses_ai) / len(profile.scenarios_built), 4) if marked else None
            )
            if share is None:
                share = derived_share
            area_order: list[str] = self.rulebook.labels["order"]["areas"]
            derivation = Derivation(
                areas_from_scenarios=sorted(derived_areas, key=area_order.index),  # type: ignore[arg-type]
                ai_share_from_scenarios=derived_share,
                method=self.rulebook.message("derivation", language, count=len(profile.scenarios_built)),
                citations=self._cites([mapping], language),
            )
        facts = Facts(
            profile=profile, areas=frozenset(areas) if areas is not None else None, ai_share=share, as_of=as_of
        )
        return facts, derivation

    def _level(self, level: str, facts: Facts, params: BoundParams, held_rank: int, language: str) -> LevelResult:
        certifier = self._certifier(level, params, language)
        window, window_note = self._window(level, params, language)
        notes = self._recognition_notes(level, facts, params, language)
        if held_rank >= params.rank("held_levels", level):
            return LevelResult.model_construct(level=level, status="held", certifier=certifier, notes=notes)
        unmet: list[RuleNote] = []
        missing: list[str] = []
        trace: list[TraceEntry] = []
        for check_name, check in CHECKS.items():
            rule_id = f"{level}.{check_name}"
            outcome = check(level, facts, params)
            trace.append(self._trace(rule_id, outcome))
            if outcome.status == "unmet" and outcome.message:
                unmet.append(self._note(rule_id, outcome.message, outcome.values, outcome.parameters, language))
            missing += [f for f in outcome.missing if f not in missing]
            for key, values, resolved in outcome.advisories:
                notes.append(self._note(rule_id, key, values, [resolved], language))
            if outcome.status == "met":
                notes += self._value_notes(rule_id, outcome.parameters, language)
        status = "not_eligible" if unmet else "needs_info" if missing else "eligible"
        return LevelResult.model_construct(
            level=level,
            status=status,
            unmet=unmet,
            missing=missing,
            notes=notes,
            certifier=certifier,
            next_window=window,
            window_note=window_note,
            trace=trace,
        )

    def _value_notes(self, rule_id: str, parameters: list[Resolved], language: str) -> list[RuleNote]:
        """A parameter can carry a caveat (e.g. premium coverage is "in principle"): show it with the verdict."""
        return [
            RuleNote.model_construct(
                rule=rule_id,
                message=p.dated.note,
                message_en=p.dated.note_en or p.dated.note,
                confidence=p.dated.confidence,
                citations=self._cites([p], language),
            )
            for p in parameters
            if p.dated.note
        ]

    def _recognition_notes(self, level: str, facts: Facts, params: BoundParams, language: str) -> list[RuleNote]:
        rule = params.get(f"recognition.{level}")
        held = facts.profile.current_level
        if rule is None or not rule.value or held not in rule.value.get("when_held", []):
            return []
        return self._value_notes(f"{level}.prerequisite", [rule], language)

    def _certifier(self, level: str, params: BoundParams, language: str) -> str:
        rule = params.get(f"certifier.{level}")
        return str(rule.value[language]) if rule is not None and rule.value else ""

    def _window(self, level: str, params: BoundParams, language: str) -> tuple[Window | None, str | None]:
        key = (level, params.day, params.province, language)
        if key not in self._windows:
            window = self._compute_window(level, params, language)
            if len(self._windows) >= 20_000:
                self._windows.clear()
            self._windows[key] = window
        return self._windows[key]

    def _compute_window(self, level: str, params: BoundParams, language: str) -> tuple[Window | None, str | None]:
        rule = params.get(f"calendar.{level}")
        if rule is None:
            return None, None
        note = (rule.dated.note_en if language == "en" else rule.dated.note) or rule.dated.note
        if not rule.value:
            return None, note
        concrete = next_window(str(rule.value["start"]), str(rule.value["end"]), params.day)
        return (
            Window.model_construct(
                start=concrete.start,
                end=concrete.end,
                status=concrete.status,
                authority=str(rule.value["authority"][language]),
                confidence=rule.dated.confidence,
                note=note,
                citations=self._cites([rule], language),
            ),
            None,
        )

    def _trace(self, rule_id: str, outcome: Outcome) -> TraceEntry:
        key = (
            rule_id,
            outcome.status,
            tuple(outcome.inputs),
            tuple((p.name, p.scope, p.dated.effective_from) for p in outcome.parameters),
        )
        entry = self._traces.get(key)
        if entry is None:
            entry = TraceEntry(
                rule=rule_id,
                outcome=outcome.status,
                inputs=outcome.inputs,
                parameters=[
                    TraceParameter(
                        name=p.name,
                        value=p.value,
                        effective_from=p.dated.effective_from,
                        scope=p.scope,
                        reference=p.dated.reference or "",
                    )
                    for p in outcome.parameters
                ],
            )
            if len(self._traces) < 20_000:  # a few hundred distinct entries in practice
                self._traces[key] = entry
        return entry


def _confidence_rank(confidence: str) -> int:
    """Weakest first, so a note shows the least certain source it rests on."""
    order = ["UNV", "INF", "C1", "C2"]
    return order.index(confidence) if confidence in order else len(order)
