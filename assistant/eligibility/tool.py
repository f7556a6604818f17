"""The checker as a LangChain StructuredTool (its args schema is the Profile), for the chat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from langchain_core.tools import StructuredTool

from assistant.eligibility.checker import EligibilityChecker
from assistant.eligibility.models import Profile


def eligibility_tool(checker: EligibilityChecker, as_of: dt.date, language: str = "zh") -> StructuredTool:
    """``as_of`` is bound when the tool is made (per request), so the tool itself never reads the clock."""

    def check_eligibility(**fields: Any) -> dict[str, Any]:
        profile = Profile.model_validate(fields)
        return checker.check(profile, as_of, language).model_dump(mode="json")

    return StructuredTool.from_function(
        func=check_eligibility,
        name="check_eligibility",
        description=(
            "Check a manufacturer's eligibility for each smart factory level (basic, advanced, premium, pilot) "
            "from what it has told us; returns per-level status, unmet rules with citations, missing facts "
            "and the next application window."
        ),
        args_schema=Profile,
    )
