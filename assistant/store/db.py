"""SQLAlchemy models and a small store object. Writes are short transactions, so a crash never loses
what was already committed."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    language: Mapped[str] = mapped_column(String(4), default="zh")
    province: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Message(Base):
    __tablename__ = "message"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(32), nullable=True)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tools: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("message.id"))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApprovedAnswer(Base):
    """A canonical answer staff wrote for a question; semantically matching questions get it first."""

    __tablename__ = "approved_answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(4))
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    embedding: Mapped[list[float]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_feedback_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class DisabledDocument(Base):
    """A document staff took out of answers (withdrawn, superseded); it stays in the index and comes back when
    re-enabled."""

    __tablename__ = "disabled_document"

    doc_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class IndexJobRow(Base):
    """A background re-index (``assistant.admin.documents``), in the database so any worker can report it."""

    __tablename__ = "index_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    phase: Mapped[str] = mapped_column(String(16), default="waiting")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    owner: Mapped[str] = mapped_column(String(120), default="")  # "host:pid" of the worker running it
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class RateHit(Base):
    """One allowed question of one client (``assistant.store.limits``); rows older than a minute are deleted."""

    __tablename__ = "rate_hit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)


@dataclass(frozen=True)
class StoredMessage:
    id: str
    role: str
    text: str
    status: str | None


class ConversationStore:
    def __init__(self, url: str, timeout_seconds: float = 5.0) -> None:
        self.engine: Engine = create_engine(
            url,
            future=True,
            json_serializer=lambda o: json.dumps(o, ensure_ascii=False),
            connect_args=_bounded(url, timeout_seconds),
            pool_pre_ping=not url.startswith("sqlite"),  # a restarted server's dead connections are replaced
        )
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Any:
        """A new ORM session (``with store.session() as s:``) for the admin queries in ``assistant.store.reports``."""
        return self._session()

    def transaction(self) -> Any:
        """A session inside one committed transaction (``with store.transaction() as s:``)."""
        return self._session.begin()

    def create_conversation(self, language: str, province: str | None) -> str:
        conversation_id = new_id("c")
        with self._session.begin() as session:
            session.add(Conversation(id=conversation_id, language=language, province=province, state={}))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        with self._session() as session:
            return session.get(Conversation, conversation_id) is not None

    def state(self, conversation_id: str) -> dict[str, Any]:
        with self._session() as session:
            conversation = session.get(Conversation, conversation_id)
            return dict(conversation.state or {}) if conversation else {}

    def save_turn(
        self,
        conversation_id: str,
        question: str,
        answer: str,
        status: str,
        intent: str,
        citations: list[Any],
        tools: list[Any],
        state: dict[str, Any],
        province: str | None,
        message_id: str,
    ) -> None:
        with self._session.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise KeyError(conversation_id)
            conversation.state = state
            if province:
                conversation.province = province
            session.add(Message(id=new_id("m"), conversation_id=conversation_id, role="user", text=question))
            session.add(
                Message(
                    id=message_id,
                    conversation_id=conversation_id,
                    role="assistant",
                    text=answer,
                    status=status,
                    intent=intent,
                    citations=citations,
                    tools=tools,
                )
            )

    def messages(self, conversation_id: str) -> list[StoredMessage]:
        with self._session() as session:
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.role.desc())
            )
            return [StoredMessage(r.id, r.role, r.text, r.status) for r in rows]

    def add_feedback(self, conversation_id: str, message_id: str, rating: str, comment: str | None) -> bool:
        with self._session.begin() as session:
            message = session.get(Message, message_id)
            if message is None or message.conversation_id != conversation_id or message.role != "assistant":
                return False
            session.add(
                Feedback(conversation_id=conversation_id, message_id=message_id, rating=rating, comment=comment)
            )
            return True

    def feedback_count(self) -> int:
        with self._session() as session:
            return len(session.scalars(select(Feedback.id)).all())


def _bounded(url: str, seconds: float) -> dict[str, Any]:
    """No database call may wait forever: SQLite waits this long for another writer's lock; PostgreSQL this long
    to connect and for any one statement (the rate limiter's advisory lock included)."""
    if url.startswith("sqlite"):
        return {"timeout": seconds}
    if url.startswith("postgresql"):
        return {"connect_timeout": max(1, round(seconds)), "options": f"-c statement_timeout={round(seconds * 1000)}"}
    return {}


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
