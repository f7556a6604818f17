"""Application windows: a recurring yearly window (month-day to month-day) from the rulebook, turned
into concrete dates relative to ``as_of``: this year's if it is still ahead or open, else next year's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ConcreteWindow:
    start: dt.date
    end: dt.date
    status: Literal["open", "upcoming"]


def _on(year: int, month_day: str) -> dt.date:
    month, day = (int(part) for part in month_day.split("-"))
    return dt.date(year, month, day)


def next_window(start_md: str, end_md: str, as_of: dt.date) -> ConcreteWindow:
    """``start_md``/``end_md`` are "MM-DD". The window of ``as_of``'s year if as_of ≤ its last day,
    otherwise next year's."""
    for year in (as_of.year, as_of.year + 1):
        start, end = _on(year, start_md), _on(year, end_md)
        if as_of <= end:
            return ConcreteWindow(start, end, "open" if start <= as_of else "upcoming")
    raise AssertionError("unreachable: next year's window always ends after as_of")
