"""The eligibility Profile (input) and EligibilityResult (output), as fixed in DESIGN.md §3."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

Level = Literal["basic", "advanced", "premium", "pilot"]
HeldLevel = Literal["none", "basic", "advanced", "premium", "pilot"]
Area = Literal[
    "factory_construction", "rd_design", "production_operations", "production_management", "operations_management"
]
Standing = Literal[
    "below_provincial_average",
    "above_provincial_average",
    "leading_in_province",
    "leading_nationally",
    "leading_globally",
]
Status = Literal["held", "eligible", "not_eligible", "needs_info"]
Language = Literal["zh", "en"]


class ScenarioBuilt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[int, Field(ge=1, le=40, description="scenario number 1–40 in the 2025 guide")]
    uses_ai: StrictBool | None = None


class Profile(BaseModel):
    """What the enterprise tells us. Every field is optional; a missing field a rule needs makes that
    level ``needs_info`` and appears in ``missing``."""

    model_config = ConfigDict(extra="forbid")

    current_level: HeldLevel | None = Field(default=None, description="highest level held")
    province: Annotated[str, Field(pattern=r"^[a-z]{2,20}$", description="lowercase pinyin, e.g. yunnan")] | None = None
    above_designated_size: StrictBool | None = Field(default=None, description="规模以上工业企业")
    independent_legal_person: StrictBool | None = None
    clean_record_3y: StrictBool | None = Field(
        default=None, description="no 较大+ safety/environmental accident, no bad credit, no violations in 3 years"
    )
    clean_quality_record_3y: StrictBool | None = Field(
        default=None,
        description="no 重大+ quality accident in 3 years and not on the serious-dishonesty list (Jiangsu, Shandong)",
    )
    secure_and_controllable: StrictBool | None = None
    organisation_and_talent: StrictBool | None = None
    in_city_cultivation_pool: StrictBool | None = None
    construction_completed: StrictBool | None = None
    areas_covered: list[Area] | None = None
    scenarios_built: list[ScenarioBuilt] | None = None
    # strict: JSON false or "3" is a mistake to report, not a value to coerce
    maturity_level: Annotated[int, Field(ge=0, le=5, strict=True)] | None = Field(
        default=None, description="GB/T 39116 level 0–5"
    )
    maturity_assessed_on: dt.date | None = None
    indicator_standing: Standing | None = None
    ai_applications: StrictBool | None = None
    ai_scenario_share: Annotated[float, Field(ge=0.0, le=1.0, strict=True)] | None = None

    @field_validator("maturity_assessed_on", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        """A date is YYYY-MM-DD; a bare number would otherwise be read as seconds since 1970."""
        if isinstance(value, int | float):
            raise ValueError("give the date as YYYY-MM-DD")
        return value

    @field_validator("scenarios_built", mode="before")
    @classmethod
    def _scenario_ids(cls, value: object) -> object:
        """Accept bare ids (12 or "12") as well as {id, uses_ai} objects."""
        if isinstance(value, list):
            return [
                {"id": item} if isinstance(item, int | str) and not isinstance(item, bool) else item for item in value
            ]
        return value


class Citation(BaseModel):
    n: int | None = None
    doc_id: str
    section: str
    title: str
    url: str | None = None
    quote: str


class RuleNote(BaseModel):
    rule: str
    message: str
    message_en: str
    confidence: str = "C2"
    citations: list[Citation] = []


class Window(BaseModel):
    start: dt.date
    end: dt.date
    status: Literal["open", "upcoming"]
    authority: str
    confidence: str
    note: str | None = None
    citations: list[Citation] = []


class TraceParameter(BaseModel):
    name: str
    value: object
    effective_from: dt.date
    scope: str
    reference: str


class TraceEntry(BaseModel):
    rule: str
    outcome: Literal["met", "unmet", "missing", "not_applicable", "advisory"]
    inputs: list[str]
    parameters: list[TraceParameter]


class LevelResult(BaseModel):
    level: Level
    status: Status
    unmet: list[RuleNote] = []
    missing: list[str] = []
    notes: list[RuleNote] = []
    certifier: str
    next_window: Window | None = None
    window_note: str | None = None
    trace: list[TraceEntry] = []


class Derivation(BaseModel):
    areas_from_scenarios: list[Area]
    ai_share_from_scenarios: float | None
    method: str
    citations: list[Citation] = []


class EligibilityResult(BaseModel):
    as_of: dt.date
    rulebook: str
    province: str | None
    language: Language
    next_level: Level | None
    levels: list[LevelResult]
    missing: list[str]
    derived: Derivation | None = None
    province_note: str | None = None
