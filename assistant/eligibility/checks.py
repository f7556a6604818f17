"""One small pure function per clause. Each reads the profile facts and the rulebook parameters in
force (through ``Params``) and returns an Outcome; none holds a literal threshold, reads a clock or does I/O.
Messages are rendered later from templates in ``rules/vocabulary.yaml``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from assistant.eligibility.models import Profile
from assistant.eligibility.rulebook import Resolved

OutcomeStatus = Literal["met", "unmet", "missing", "not_applicable", "advisory"]


class Params(Protocol):
    def get(self, name: str) -> Resolved | None: ...

    def rank(self, group: str, key: str) -> int: ...


@dataclass(frozen=True)
class Facts:
    """The profile plus what was derived from it (areas and AI share from the scenarios built)."""

    profile: Profile
    areas: frozenset[str] | None
    ai_share: float | None
    as_of: dt.date


@dataclass
class Outcome:
    status: OutcomeStatus
    inputs: list[str]
    parameters: list[Resolved]
    missing: list[str] = field(default_factory=list)
    message: str | None = None  # a template key in vocabulary.yaml
    values: dict[str, Any] = field(default_factory=dict)
    advisories: list[tuple[str, dict[str, Any], Resolved]] = field(default_factory=list)


def _not_applicable(inputs: list[str] | None = None) -> Outcome:
    return Outcome("not_applicable", inputs or [], [])


def requirements(level: str, facts: Facts, params: Params) -> Outcome:
    """基础要求: every listed profile fact must be true (plus legal-person status for some levels)."""
    candidates = (params.get("basic_requirements.fields"), params.get("provincial_requirements.fields"))
    used = [p for p in candidates if p is not None and p.value]
    fields: list[str] = [field for p in used for field in p.value]
    legal = params.get("legal_person.levels")
    if legal is not None and level in (legal.value or []):
        fields.append("independent_legal_person")
        used.append(legal)
    if not fields:
        return _not_applicable()
    missing = [f for f in fields if getattr(facts.profile, f) is None]
    failed = [f for f in fields if getattr(facts.profile, f) is False]
    if failed:
        return Outcome("unmet", fields, used, missing, "requirements", {"fields": failed})
    if missing:
        return Outcome("missing", fields, used, missing)
    return Outcome("met", fields, used)


def prerequisite(level: str, facts: Facts, params: Params) -> Outcome:
    """The level that must be held first (or, for advanced, the city cultivation pool)."""
    rule = params.get(f"prerequisite.{level}")
    if rule is None or rule.value is None:
        return _not_applicable(["current_level"])
    required = rule.value["level"]
    alternatives: list[str] = list(rule.value.get("alternatives", []))
    inputs = ["current_level", *alternatives]
    held = facts.profile.current_level
    if held is not None and params.rank("held_levels", held) >= params.rank("held_levels", required):
        return Outcome("met", inputs, [rule])
    if any(getattr(facts.profile, alt) is True for alt in alternatives):
        return Outcome("met", inputs, [rule])
    missing = (["current_level"] if held is None else []) + [
        alt for alt in alternatives if getattr(facts.profile, alt) is None
    ]
    if held is None or missing:
        return Outcome("missing", inputs, [rule], missing)
    values = {"required": required, "alternatives": alternatives}
    if rule.value.get("strict", True):
        key = "prerequisite_or_alternative" if alternatives else "prerequisite"
        return Outcome("unmet", inputs, [rule], [], key, values)
    return Outcome("advisory", inputs, [rule], [], None, {}, [("prerequisite_in_principle", values, rule)])


def construction(level: str, facts: Facts, params: Params) -> Outcome:
    rule = params.get(f"construction.{level}")
    if rule is None or not rule.value:
        return _not_applicable(["construction_completed"])
    done = facts.profile.construction_completed
    if done is None:
        return Outcome("missing", ["construction_completed"], [rule], ["construction_completed"])
    if not done:
        return Outcome("unmet", ["construction_completed"], [rule], [], "construction")
    return Outcome("met", ["construction_completed"], [rule])


def coverage(level: str, facts: Facts, params: Params) -> Outcome:
    rule = params.get(f"coverage.{level}")
    if rule is None or not rule.value:
        return _not_applicable(["areas_covered"])
    inputs = ["areas_covered", "scenarios_built"]
    if facts.areas is None:
        return Outcome("missing", inputs, [rule], ["areas_covered"])
    lacking = [area for area in rule.value if area not in facts.areas]
    if lacking:
        return Outcome("unmet", inputs, [rule], [], "coverage", {"required": list(rule.value), "lacking": lacking})
    return Outcome("met", inputs, [rule])


def maturity(level: str, facts: Facts, params: Params) -> Outcome:
    rule = params.get(f"maturity_floor.{level}")
    if rule is None or rule.value is None:
        return _not_applicable(["maturity_level"])
    reached = facts.profile.maturity_level
    if reached is None:
        return Outcome("missing", ["maturity_level"], [rule], ["maturity_level"])
    if reached < int(rule.value):
        return Outcome("unmet", ["maturity_level"], [rule], [], "maturity", {"floor": rule.value, "reached": reached})
    return Outcome("met", ["maturity_level"], [rule])


def assessment_age(level: str, facts: Facts, params: Params) -> Outcome:
    """The self-assessment is redone every year, before applying: it must not be older than the limit."""
    rule = params.get("assessment.max_age_days")
    if rule is None or rule.value is None:
        return _not_applicable(["maturity_assessed_on"])
    assessed = facts.profile.maturity_assessed_on
    if assessed is None:
        return Outcome("missing", ["maturity_assessed_on"], [rule], ["maturity_assessed_on"])
    age = (facts.as_of - assessed).days
    if age > int(rule.value):
        values = {"assessed_on": assessed.isoformat(), "age": age, "limit": rule.value}
        return Outcome("unmet", ["maturity_assessed_on"], [rule], [], "assessment_age", values)
    return Outcome("met", ["maturity_assessed_on"], [rule])


def standing(level: str, facts: Facts, params: Params) -> Outcome:
    rule = params.get(f"standing.{level}")
    if rule is None or rule.value is None:
        return _not_applicable(["indicator_standing"])
    current = facts.profile.indicator_standing
    if current is None:
        return Outcome("missing", ["indicator_standing"], [rule], ["indicator_standing"])
    if params.rank("standings", current) < params.rank("standings", rule.value):
        values = {"required": rule.value, "current": current}
        return Outcome("unmet", ["indicator_standing"], [rule], [], "standing", values)
    return Outcome("met", ["indicator_standing"], [rule])


def ai(level: str, facts: Facts, params: Params) -> Outcome:
    """AI: premium must have explored AI applications; premium and pilot have a reported minimum AI share."""
    explored_rule = params.get(f"ai.explored.{level}")
    share_rule = params.get(f"ai.min_share.{level}")
    used = [r for r in (explored_rule, share_rule) if r is not None and r.value]
    if not used:
        return _not_applicable(["ai_applications", "ai_scenario_share"])
    inputs = ["ai_applications", "ai_scenario_share", "scenarios_built"]
    missing: list[str] = []
    if explored_rule is not None and explored_rule.value:
        if facts.profile.ai_applications is False:
            return Outcome("unmet", inputs, used, [], "ai_explored")
        if facts.profile.ai_applications is None and not facts.ai_share:
            missing.append("ai_applications")
    if share_rule is not None and share_rule.value:
        if facts.ai_share is None:
            missing.append("ai_scenario_share")
        elif facts.ai_share < float(share_rule.value):
            values = {"share": facts.ai_share, "minimum": share_rule.value}
            return Outcome("unmet", inputs, used, [], "ai_share", values)
    if missing:
        return Outcome("missing", inputs, used, missing)
    return Outcome("met", inputs, used)


Check = Callable[[str, Facts, Params], Outcome]

CHECKS: dict[str, Check] = {
    "requirements": requirements,
    "prerequisite": prerequisite,
    "construction": construction,
    "coverage": coverage,
    "maturity": maturity,
    "assessment_age": assessment_age,
    "standing": standing,
    "ai": ai,
}
