"""Chat routes: /api/chat, its SSE stream, feedback, and the OpenAI-compatible /v1/chat/completions."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.deps import Services, ServicesDep
from assistant.api.guards import describe_personal_data, personal_data, retry_after
from assistant.api.routes import ERROR_RESPONSES
from assistant.chat.models import ChatRequest, ChatResponse
from assistant.chat.safety import strip_invisible

router = APIRouter(responses=ERROR_RESPONSES)
chat_log = logging.getLogger("assistant.chat")
_PIECES = re.compile(r"[^。！？!?.]*[。！？!?.]?\s*")
# Control characters have no place in a question; NUL in particular is refused by PostgreSQL text columns (a 500).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _client(http: Request) -> str:
    """Who the rate limit counts: the X-Client-Id header, else the widget's cookie, else the IP address."""
    return (
        http.headers.get("x-client-id")
        or http.cookies.get("sfa_client")
        or (http.client.host if http.client else "unknown")
    )[:64]


def _guard(services: Services, request: ChatRequest, http: Request) -> None:
    settings, metrics = services.settings, services.metrics
    limit = settings.max_message_chars
    if len(request.message) > limit:
        metrics.refusals.labels("too_long").inc()
        raise HTTPException(status_code=422, detail=f"message: at most {limit} characters (got {len(request.message)})")
    if settings.reject_personal_data:
        kinds = personal_data(request.message)
        if kinds:  # refused before anything is stored or logged
            metrics.refusals.labels("personal_data").inc()
            raise HTTPException(status_code=422, detail=describe_personal_data(kinds))
    wait = services.rate_limiter.check(_client(http))
    if wait is not None:
        metrics.refusals.labels("rate_limit").inc()
        seconds = retry_after(wait)
        raise HTTPException(
            status_code=429,
            headers={"Retry-After": str(seconds)},
            detail=f"too many questions: at most {settings.rate_limit_per_minute} a minute; retry in {seconds} s",
        )


def _answer(services: Services, request: ChatRequest, http: Request) -> ChatResponse:
    if not strip_invisible(request.message).strip():  # zero-width and bidi characters alone are empty too
        raise HTTPException(status_code=422, detail="message: the message is empty")
    if _CONTROL.search(request.message):
        raise HTTPException(status_code=422, detail="message: control characters (such as NUL) are not allowed")
    _guard(services, request, http)
    if request.conversation_id and not services.chat.store.exists(request.conversation_id):
        raise HTTPException(status_code=404, detail=f"conversation_id: no conversation {request.conversation_id!r}")
    response = services.chat.answer(request)
    services.metrics.answers.labels(response.status, response.answerer).inc()
    if response.status == "out_of_scope":
        services.metrics.refusals.labels(response.intent).inc()
    if services.chat.answerer is not None and response.status == "answered" and response.answerer == "grounded":
        services.metrics.fallbacks.inc()
    event: dict[str, Any] = {
        "conversation_id": response.conversation_id,
        "message_id": response.message_id,
        "status": response.status,
        "intent": response.intent,
        "answerer": response.answerer,
        "language": response.language,
        "chars": len(request.message),
        "citations": len(response.citations),
    }
    if services.settings.log_message_text:
        event["text"] = request.message
    chat_log.info("chat", extra=event)
    return response


@router.post("/api/chat", response_model=ChatResponse)
def chat(services: ServicesDep, request: ChatRequest, http: Request) -> ChatResponse:
    return _answer(services, request, http)


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/api/chat/stream", response_class=StreamingResponse)
def chat_stream(services: ServicesDep, request: ChatRequest, http: Request) -> StreamingResponse:
    response = _answer(services, request, http)

    def events() -> Iterator[str]:
        for piece in _PIECES.findall(response.answer):
            if piece:
                yield _sse("delta", {"text": piece})
        yield _sse("citations", [c.model_dump(mode="json") for c in response.citations])
        yield _sse("done", response.model_dump(mode="json"))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(max_length=40)
    message_id: str = Field(max_length=40)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")


@router.post("/api/feedback", status_code=204, response_class=Response)
def feedback(services: ServicesDep, request: FeedbackRequest) -> Response:
    stored = services.chat.store.add_feedback(
        request.conversation_id, request.message_id, request.rating, request.comment
    )
    if not stored:
        raise HTTPException(status_code=404, detail="no such assistant message in that conversation")
    return Response(status_code=204)


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class OpenAIChatRequest(BaseModel):
    model: str = "smart-factory-assistant"
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = None
    model_config = ConfigDict(extra="allow")


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _with_sources(response: ChatResponse) -> str:
    if not response.citations:
        return response.answer
    label = "来源" if response.language == "zh" else "Sources"
    lines = [f"[{c.n}] {c.title} — {c.doc_id}#{c.section}" for c in response.citations]
    return f"{response.answer}\n\n{label}:\n" + "\n".join(lines)


@router.post("/v1/chat/completions")
def openai_chat(services: ServicesDep, body: Annotated[OpenAIChatRequest, Body()], http: Request) -> Any:
    question = next((_text(m.content) for m in reversed(body.messages) if m.role == "user"), "").strip()
    if not question:
        raise HTTPException(status_code=422, detail="messages: there is no user message with text")
    if len(question) > 4000:
        raise HTTPException(status_code=422, detail="messages: the last user message is too long")
    response = _answer(services, ChatRequest(message=question), http)
    content = _with_sources(response)
    created = int(time.time())
    completion_id = f"chatcmpl-{response.message_id}"
    if not body.stream:
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": len(question),
                "completion_tokens": len(content),
                "total_tokens": len(question) + len(content),
            },
        }

    def chunks() -> Iterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for piece in _PIECES.findall(content):
            if piece:
                yield chunk({"content": piece})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")
