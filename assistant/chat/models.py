"""ChatRequest and ChatResponse (DESIGN.md §3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.eligibility.models import Citation, Profile

ChatStatus = Literal["answered", "clarification", "no_answer", "out_of_scope"]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The deployment's limit (300 characters by default) is checked by the API guard; this is only a hard ceiling.
    message: str = Field(min_length=1, max_length=4000, description="the question (300 characters by default)")
    conversation_id: str | None = Field(default=None, max_length=40, pattern=r"^c_[0-9a-f]{16}$")
    province: str | None = Field(default=None, pattern=r"^[a-z]{2,20}$")
    language: Literal["zh", "en"] | None = None
    profile: Profile | None = None


class ToolCall(BaseModel):
    name: str
    input: dict[str, Any]
    output: Any


class ChatResponse(BaseModel):
    conversation_id: str
    message_id: str
    status: ChatStatus
    language: Literal["zh", "en"]
    answer: str
    citations: list[Citation]
    tools: list[ToolCall] = []
    quick_replies: list[str] = []
    intent: str
    rulebook: str
    answerer: str = "grounded"
