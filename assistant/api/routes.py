"""HTTP routes (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.deps import Services, ServicesDep
from assistant.eligibility.ics import windows_calendar
from assistant.eligibility.models import EligibilityResult, Profile
from assistant.eligibility.service import checker_for, parse_as_of, parse_profile
from assistant.errors import InputError, RulebookError


class ErrorDetail(BaseModel):
    """Every 4xx of this API: one readable sentence naming the field and the problem (assistant.api.app)."""

    detail: str


# The app's error handlers answer {"detail": "<sentence>"}, not FastAPI's default list of errors: say so in the
# OpenAPI document, so clients (and schemathesis) validate against what is really sent.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorDetail, "description": "the request is invalid; `detail` names the field"}
}
router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> Any:
    from fastapi.responses import JSONResponse

    if services.retriever.is_ready():
        index = services.retriever.index
        # Without its vectors the assistant still answers, from keyword search: ready, but say so.
        vectors = "ok" if index.vectors_available else "unavailable"
        return {"status": "ready", "build": index.build.name, "vectors": vectors}
    return JSONResponse(status_code=503, content={"status": "not ready", "detail": "the search index is not built"})


@router.get("/metrics", include_in_schema=False)
def metrics(services: ServicesDep) -> Any:
    if services.retriever.is_ready():
        services.metrics.index_chunks.set(len(services.retriever.index.chunks))
    return services.metrics.render()


@router.get("/api/search")
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=300, description="the query")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    province: Annotated[str | None, Query(pattern=r"^[a-z]{2,20}$")] = None,
) -> dict[str, Any]:
    if not q.strip():
        raise HTTPException(status_code=422, detail="q: the query is empty")
    passages = services.retriever.search(q, k=k, province=province)
    return {"results": [p.model_dump() for p in passages]}


@router.get("/api/sources/{doc_id}")
def source(services: ServicesDep, doc_id: str) -> dict[str, Any]:
    document = services.retriever.index.documents.get(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "language": document.language,
        "metadata": document.metadata,
        "sections": [
            {"anchor": s.anchor, "heading": s.heading, "level": s.level, "parent": s.parent, "text": s.text}
            for s in document.sections
        ],
    }


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: Profile
    as_of: str | None = Field(default=None, description="YYYY-MM-DD; default today")
    language: Literal["zh", "en"] = "zh"


def _eligibility(services: Services, profile: Profile, as_of: str | None, language: str) -> EligibilityResult:
    day = parse_as_of(as_of, dt.date.today())  # the only clock read: at the edge, never inside a rule
    try:
        return checker_for(services.settings.corpus_dir).check(profile, day, language)
    except RulebookError as error:
        raise InputError(f"as_of: {error}") from error


@router.post("/api/eligibility", response_model=EligibilityResult)
def eligibility(services: ServicesDep, request: EligibilityRequest) -> EligibilityResult:
    return _eligibility(services, request.profile, request.as_of, request.language)


@router.get("/api/eligibility/calendar.ics", response_class=Response)
def eligibility_calendar(
    services: ServicesDep,
    profile: Annotated[str, Query(max_length=8000, description="the Profile as JSON")] = "{}",
    as_of: Annotated[str | None, Query(description="YYYY-MM-DD; default today")] = None,
    language: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    try:
        data = json.loads(profile)
    except json.JSONDecodeError as error:
        raise InputError("profile: not valid JSON") from error
    result = _eligibility(services, parse_profile(data), as_of, language)
    return Response(
        content=windows_calendar(result),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="smart-factory-windows.ics"'},
    )
