"""An iCalendar file of the next application windows in an EligibilityResult."""

from __future__ import annotations

import datetime as dt

from assistant.eligibility.models import EligibilityResult

_LEVEL_NAMES = {
    "basic": ("基础级", "basic"),
    "advanced": ("先进级", "advanced"),
    "premium": ("卓越级", "premium"),
    "pilot": ("领航级", "pilot"),
}


def windows_calendar(result: EligibilityResult) -> bytes:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//smart-factory-assistant//eligibility//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "智能工厂梯度培育申报窗口 / Smart factory application windows")
    for level in result.levels:
        window = level.next_window
        if window is None or level.status == "held":
            continue
        zh, en = _LEVEL_NAMES[level.level]
        event = Event()
        # Stable UID: the same result gives the same file (deterministic, like the checker).
        scope = result.province or "national"
        event.add("uid", f"{level.level}-{window.start.isoformat()}-{scope}@smart-factory-assistant")
        event.add("dtstamp", dt.datetime.combine(result.as_of, dt.time(0, 0), tzinfo=dt.UTC))
        event.add("summary", f"{zh}智能工厂申报窗口 / {en}-level application window")
        event.add("dtstart", window.start)
        event.add("dtend", window.end + dt.timedelta(days=1))  # DTEND of an all-day event is exclusive
        sources = "; ".join(f"{c.doc_id}#{c.section}" for c in window.citations)
        description = [
            f"认定/Authority: {window.authority}",
            f"可信度/Confidence: {window.confidence}",
            window.note or "",
            f"依据/Sources: {sources}",
        ]
        event.add("description", "\n".join(line for line in description if line))
        calendar.add_component(event)
    return bytes(calendar.to_ical())
