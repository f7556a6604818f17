"""What helpdesk staff read: conversation logs, feedback with comments, analytics and their CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from assistant.store.db import Conversation, ConversationStore, Feedback, Message

# A cell a spreadsheet would run as a formula (CSV injection): such cells are prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _question_of(messages: Sequence[Message]) -> dict[str, str]:
    """Each assistant message id → the user question just before it in the same conversation."""
    questions: dict[str, str] = {}
    last_question: dict[str, str] = {}
    for message in messages:
        if message.role == "user":
            last_question[message.conversation_id] = message.text
        else:
            questions[message.id] = last_question.get(message.conversation_id, "")
    return questions


def _ordered(session: Any, *conditions: Any) -> list[Message]:
    query = select(Message).order_by(Message.conversation_id, Message.created_at, Message.role.desc())
    if conditions:
        query = query.where(*conditions)
    return list(session.scalars(query))


class Reports:
    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def conversations(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        with self.store.session() as session:
            total = session.scalar(select(func.count(Conversation.id))) or 0
            counts = (
                select(Message.conversation_id, func.count(Message.id).label("messages"))
                .group_by(Message.conversation_id)
                .subquery()
            )
            rows = session.execute(
                select(Conversation, counts.c.messages)
                .outerjoin(counts, counts.c.conversation_id == Conversation.id)
                .order_by(Conversation.created_at.desc(), Conversation.id)
                .limit(limit)
                .offset(offset)
            )
            items = [
                {
                    "id": conversation.id,
                    "created_at": _iso(conversation.created_at),
                    "language": conversation.language,
                    "province": conversation.province,
                    "messages": messages or 0,
                }
                for conversation, messages in rows
            ]
        return {"total": total, "items": items}

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        with self.store.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                return None
            messages = _ordered(session, Message.conversation_id == conversation_id)
            ratings = {
                f.message_id: {"rating": f.rating, "comment": f.comment}
                for f in session.scalars(select(Feedback).where(Feedback.conversation_id == conversation_id))
            }
            return {
                "id": conversation.id,
                "created_at": _iso(conversation.created_at),
                "language": conversation.language,
                "province": conversation.province,
                "messages": [
                    {
                        "id": m.id,
                        "role": m.role,
                        "text": m.text,
                        "status": m.status,
                        "intent": m.intent,
                        "citations": m.citations,
                        "created_at": _iso(m.created_at),
                        "feedback": ratings.get(m.id),
                    }
                    for m in messages
                ],
            }

    def feedback(self, rating: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.store.session() as session:
            query = select(Feedback, Message).join(Message, Message.id == Feedback.message_id)
            if rating:
                query = query.where(Feedback.rating == rating)
            rows = list(session.execute(query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)))
            conversations = {message.conversation_id for _, message in rows}
            questions = _question_of(_ordered(session, Message.conversation_id.in_(conversations)))
            return [
                {
                    "id": feedback.id,
                    "created_at": _iso(feedback.created_at),
                    "rating": feedback.rating,
                    "comment": feedback.comment,
                    "conversation_id": feedback.conversation_id,
                    "message_id": message.id,
                    "question": questions.get(message.id, ""),
                    "answer": message.text,
                    "status": message.status,
                    "intent": message.intent,
                    "citations": message.citations,
                }
                for feedback, message in rows
            ]

    def feedback_item(self, feedback_id: int) -> dict[str, Any] | None:
        return next((item for item in self.feedback(limit=10_000) if item["id"] == feedback_id), None)

    def questions(self, since: dt.date) -> list[dict[str, Any]]:
        """Every answered turn since ``since``: its question, status, intent and any rating."""
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        with self.store.session() as session:
            messages = _ordered(session, Message.created_at >= start)
            questions = _question_of(messages)
            ratings = {f.message_id: f.rating for f in session.scalars(select(Feedback))}
            rows = session.execute(select(Conversation.id, Conversation.language))
            languages = {row.id: row.language for row in rows}
        return [
            {
                "date": m.created_at.date().isoformat(),
                "conversation_id": m.conversation_id,
                "message_id": m.id,
                "language": languages.get(m.conversation_id, ""),
                "question": questions.get(m.id, ""),
                "status": m.status,
                "intent": m.intent,
                "rating": ratings.get(m.id, ""),
            }
            for m in messages
            if m.role == "assistant"
        ]

    def analytics(self, days: int, today: dt.date) -> dict[str, Any]:
        since = today - dt.timedelta(days=days - 1)
        turns = self.questions(since)
        per_day: dict[str, Counter[str]] = defaultdict(Counter)
        for turn in turns:
            counter = per_day[turn["date"]]
            counter["questions"] += 1
            counter[str(turn["status"])] += 1
            if turn["rating"]:
                counter[f"thumbs_{turn['rating']}"] += 1
        rated = [t for t in turns if t["rating"]]
        down = sum(1 for t in rated if t["rating"] == "down")
        return {
            "since": since.isoformat(),
            "until": today.isoformat(),
            "questions": len(turns),
            "per_day": [
                {
                    "date": (since + dt.timedelta(days=i)).isoformat(),
                    **{key: per_day[(since + dt.timedelta(days=i)).isoformat()][key] for key in DAILY_COLUMNS},
                }
                for i in range(days)
            ],
            "top_intents": Counter(str(t["intent"]) for t in turns).most_common(10),
            "no_answer": [
                {"date": t["date"], "question": t["question"], "conversation_id": t["conversation_id"]}
                for t in turns
                if t["status"] == "no_answer"
            ],
            "rated": len(rated),
            "thumbs_down": down,
            "thumbs_down_rate": round(down / len(rated), 4) if rated else None,
        }


DAILY_COLUMNS = ("questions", "answered", "clarification", "no_answer", "out_of_scope", "thumbs_up", "thumbs_down")


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV with a BOM so Excel opens the Chinese text as UTF-8; formula-looking cells are neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(row.get(column, "")) for column in header])
    return buffer.getvalue()
