"""Reading profile facts out of what the user writes: free statements ("我们是规上企业，成熟度二级")
anywhere in a message, and short replies ("是", "否", "都是", "2", "2026-05-10") to the questions just asked."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from assistant.chat.router import detect_province, normalise

BOOL_FIELDS = (
    "above_designated_size",
    "independent_legal_person",
    "clean_record_3y",
    "clean_quality_record_3y",
    "secure_and_controllable",
    "organisation_and_talent",
    "in_city_cultivation_pool",
    "construction_completed",
    "ai_applications",
)
_YES = re.compile(
    r"^(是|是的|对|对的|有|有的|已|已经|已完成|符合|满足|具备|没问题|yes|y|yeah|yep|true|correct|done|we do|we are)$"
)
_NO = re.compile(
    r"^(否|不是|没有|无|未|尚未|还没有|还没|不符合|不满足|不具备|no|n|nope|false|not yet|we don't|we are not)$"
)
_ALL_YES = re.compile(
    r"都是|都有|全部是|全是|都符合|都满足|都已|都具备|all yes|yes to all|yes,? all|all of them|yes for all"
)
_ALL_NO = re.compile(r"都不是|都没有|全部否|都不|all no|no to all|none of them")
_LEVEL_ANSWERS = {
    "none": ("还没有", "尚无", "没有", "都没有", "无", "none", "not yet", "no level", "nothing"),
    "basic": ("基础级", "basic"),
    "advanced": ("先进级", "advanced"),
    "premium": ("卓越级", "premium"),
    "pilot": ("领航级", "pilot"),
}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "零": 0}
_AREAS = {
    "factory_construction": ("工厂建设", "factory construction"),
    "rd_design": ("研发设计", "r&d", "research and development", "研发"),
    "production_operations": ("生产作业", "production operation"),
    "production_management": ("生产管理", "production management"),
    "operations_management": ("运营管理", "经营管理", "operations management", "operation management"),
}
_STANDINGS = [
    (
        "leading_globally",
        ("全球领先", "国际领先", "世界领先", "leading globally", "global lead", "world-leading", "globally leading"),
    ),
    (
        "leading_nationally",
        ("国内领先", "全国领先", "国内同行业领先", "leading nationally", "national lead", "nationally leading"),
    ),
    (
        "leading_in_province",
        (
            "省内领先",
            "省内同行业领先",
            "全省领先",
            "leading in the province",
            "provincial lead",
            "leading in our province",
        ),
    ),
    ("above_provincial_average", ("高于平均", "高于省内", "高于全省", "above average", "above the provincial average")),
    ("below_provincial_average", ("低于平均", "低于省内", "below average", "below the provincial average")),
]
_DATE = re.compile(r"(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _level_answer(text: str) -> str | None:
    lowered = text.lower()
    for level in ("pilot", "premium", "advanced", "basic"):
        if any(word in lowered for word in _LEVEL_ANSWERS[level]):
            return level
    if any(lowered.strip() == word or lowered.startswith(word) for word in _LEVEL_ANSWERS["none"]):
        return "none"
    if lowered.strip(" .。!！") in ("no", "否", "无", "没", "不是"):
        return "none"
    return None


def _maturity(text: str, pending: bool) -> int | None:
    lowered = text.lower()
    match = re.search(
        r"(?:成熟度|成熟渡|maturity|cmmm|gb/?t\s*39116)[^\d一二两三四五]{0,12}([0-5一二两三四五])\s*(?:级)?", lowered
    )
    if not match:
        match = re.search(r"(?:level|l)\s*([0-5])\b", lowered) if "maturity" in lowered or pending else None
    if not match and pending:
        match = re.fullmatch(r"\s*([0-5一二两三四五])\s*(?:级|级别)?\s*[。.]?\s*", lowered)
    if not match:
        return None
    value = match.group(1)
    return _CN_DIGITS.get(value, int(value) if value.isdigit() else None)


def _share(text: str, pending: bool) -> float | None:
    match = re.search(r"(\d{1,3}(?:\.\d+)?)\s*%", text)
    if match and (pending or re.search(r"ai|人工智能|智能化场景|场景", text.lower())):
        return min(1.0, float(match.group(1)) / 100)
    if pending:
        match = re.fullmatch(r"\s*(0?\.\d+|1(?:\.0+)?|0)\s*", text)
        if match:
            return float(match.group(1))
    return None


def _free_booleans(lowered: str) -> dict[str, bool]:
    found: dict[str, bool] = {}
    if re.search(r"不是规上|非规上|不属于规模以上|not above designated size|below designated size", lowered):
        found["above_designated_size"] = False
    elif re.search(r"规上|规模以上|above designated size|above-designated-size", lowered):
        found["above_designated_size"] = True
    if re.search(r"不是独立法人|非独立法人|分支机构|not an independent legal person|a branch", lowered):
        found["independent_legal_person"] = False
    elif re.search(r"独立法人|independent legal", lowered):
        found["independent_legal_person"] = True
    if re.search(
        r"(建设|建成).{0,4}(已完成|完成了|已经完成)|已(经)?建成|已建设完成|construction (is )?(completed|finished|done)|fully built",
        lowered,
    ):
        found["construction_completed"] = True
    elif re.search(
        r"(还在|正在|尚未|未)建设|未建成|没建完|under construction|not (yet )?(completed|finished)", lowered
    ):
        found["construction_completed"] = False
    if re.search(
        r"(没有|未|无)(发生)?.{0,6}(事故|违法|不良信用)|no (safety |environmental )?accident|clean record", lowered
    ):
        found["clean_record_3y"] = True
    if re.search(r"培育库|cultivation pool", lowered):
        found["in_city_cultivation_pool"] = not re.search(r"(没有|未|不在).{0,4}培育库|not in the .{0,20}pool", lowered)
    if re.search(r"安全可控|secure and controllable", lowered):
        found["secure_and_controllable"] = not re.search(r"不.{0,2}安全可控|not secure", lowered)
    if re.search(r"专业(人才|团队)|人才队伍|组织机制|professional team|dedicated team", lowered):
        found["organisation_and_talent"] = not re.search(r"没有.{0,4}(团队|人才|机制)|no (team|dedicated)", lowered)
    if re.search(r"(已|有|探索|应用了?)(了)?.{0,4}(人工智能|ai)(应用)?|using ai|use ai|ai applications", lowered):
        found["ai_applications"] = not re.search(
            r"(没有|未|尚未).{0,6}(人工智能|ai)|no ai|not (yet )?(use|using) ai", lowered
        )
    return found


def extract_facts(message: str, pending: list[str]) -> dict[str, Any]:
    """Facts stated in ``message``; ``pending`` are the fields the assistant just asked for, in order."""
    text = normalise(message)
    lowered = text.lower()
    facts: dict[str, Any] = {}

    province = detect_province(text)
    if province:
        facts["province"] = province
    held = re.search(
        r"(已经?是|已获评|已评上|评上了|已被认定为?|持有|获评了?|目前是)\s*(基础级|先进级|卓越级|领航级)"
        r"|(already|currently) (hold|holds|have|are|is) (a |an |the )?(basic|advanced|premium|pilot)"
        r"|we are (a |an )?(basic|advanced|premium|pilot)|already (a |an |the )?(basic|advanced|premium|pilot)",
        lowered,
    )
    if held:
        facts["current_level"] = _level_answer(held.group(0))
    elif re.search(
        r"(还没有|尚未|没有)(获评|评上|任何)|not (yet )?(rated|certified) at any level|hold no level", lowered
    ):
        facts["current_level"] = "none"
    maturity = _maturity(text, pending[:1] == ["maturity_level"])
    if maturity is not None:
        facts["maturity_level"] = maturity
    date = _DATE.search(text)
    if date:
        with contextlib.suppress(ValueError):  # an impossible date such as 2026-13-45 is asked for again
            facts["maturity_assessed_on"] = dt.date(int(date.group(1)), int(date.group(2)), int(date.group(3)))
    areas = [area for area, words in _AREAS.items() if any(w in lowered for w in words)]
    if areas:
        facts["areas_covered"] = areas
    for standing, words in _STANDINGS:
        if any(w in lowered for w in words):
            facts["indicator_standing"] = standing
            break
    share = _share(text, "ai_scenario_share" in pending)
    if share is not None:
        facts["ai_scenario_share"] = share
    facts.update({k: v for k, v in _free_booleans(lowered).items() if k not in facts})
    facts.update(_replies(text, lowered, pending, facts))
    return facts


def _replies(text: str, lowered: str, pending: list[str], already: dict[str, Any]) -> dict[str, Any]:
    """Short answers to the questions just asked: booleans in order, or a level, or 'all yes'."""
    answers: dict[str, Any] = {}
    open_fields = [f for f in pending if f not in already]
    if not open_fields:
        return answers
    if "current_level" in open_fields:
        level = _level_answer(text)
        if level is not None:
            answers["current_level"] = level
    booleans = [f for f in open_fields if f in BOOL_FIELDS]
    if not booleans:
        return answers
    if _ALL_YES.search(lowered):
        return answers | dict.fromkeys(booleans, True)
    if _ALL_NO.search(lowered):
        return answers | dict.fromkeys(booleans, False)
    parts = [p.strip().lower() for p in re.split(r"[,，、;；/\s]+", text) if p.strip()]
    values = [True if _YES.match(p) else False if _NO.match(p) else None for p in parts]
    values = [v for v in values if v is not None]
    if len(values) == 1:
        answers[booleans[0]] = values[0]
    elif values:
        answers.update(dict(zip(booleans, values, strict=False)))
    return answers
