"""The helpdesk admin: documents and re-index, conversation logs, feedback, analytics, approved answers.

Every route needs ``Authorization: Bearer <ASSISTANT_ADMIN_TOKEN>``. With no token configured the admin does not
exist (404), so a deployment that never set one exposes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from assistant.admin.approved import ApprovedAnswers
from assistant.admin.documents import DisabledDocuments, IndexJobs, save_upload, twins, uploads_dir
from assistant.admin.reports import DAILY_COLUMNS, Reports, to_csv
from assistant.api.deps import Services, ServicesDep
from assistant.eligibility.models import Citation
from assistant.retrieval.search import query_language
from assistant.settings import PROJECT_ROOT

ADMIN_PREFIX = "/admin/api"
ADMIN_UPLOAD_PATH = f"{ADMIN_PREFIX}/documents"
_PAGE = PROJECT_ROOT / "web" / "admin.html"


def require_admin(services: ServicesDep, request: Request) -> Services:
    token = services.settings.admin_token
    if token is None or not token.get_secret_value():
        raise HTTPException(status_code=404, detail="Not Found")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(
            status_code=401,
            detail="admin: a valid 'Authorization: Bearer <token>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return services


AdminDep = Annotated[Services, Depends(require_admin)]
# Ids and offsets beyond a 64-bit integer would reach the database driver and fail there (a 500): refuse them here.
RowId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"  # control characters (NUL above all) never reach the database
router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin"])
page_router = APIRouter()


@page_router.get("/admin", include_in_schema=False)
def admin_page(services: ServicesDep) -> FileResponse:
    if services.settings.admin_token is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return FileResponse(_PAGE, media_type="text/html")


def _parts(services: Services) -> tuple[ApprovedAnswers, DisabledDocuments, IndexJobs, Reports]:
    if services.approved is None or services.disabled is None or services.jobs is None or services.reports is None:
        raise HTTPException(status_code=503, detail="admin services are not configured in this app")
    return services.approved, services.disabled, services.jobs, services.reports


# -- documents and the index -------------------------------------------------------------------------
@router.get("/documents")
def list_documents(services: AdminDep) -> dict[str, Any]:
    _, disabled, jobs, _ = _parts(services)
    uploads = uploads_dir(services.settings).resolve()
    reasons = disabled.reasons()
    documents = services.retriever.index.documents if services.retriever.is_ready() else {}
    items = []
    for document in sorted(documents.values(), key=lambda d: d.doc_id):
        source = Path(document.source_path).resolve()
        items.append(
            {
                "doc_id": document.doc_id,
                "title": document.title,
                "language": document.language,
                "kind": document.metadata.get("kind"),
                "province": document.metadata.get("province"),
                "date": document.metadata.get("date"),
                "sections": len(document.sections),
                "origin": "upload" if source.is_relative_to(uploads) else "bundled",
                "file": source.name,
                "disabled": document.doc_id in reasons,
                "disabled_reason": reasons.get(document.doc_id),
            }
        )
    indexed = {item["file"] for item in items if item["origin"] == "upload"}
    pending = sorted(p.name for p in uploads.glob("*") if p.is_file() and not p.name.startswith("."))
    latest = jobs.latest()
    return {
        "documents": items,
        "pending_uploads": [name for name in pending if name not in indexed],
        "index_job": latest.as_dict() if latest else None,
    }


@router.post("/documents", status_code=202)
async def upload_document(services: AdminDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    _, _, jobs, _ = _parts(services)
    content = await file.read()
    documents = services.retriever.index.documents if services.retriever.is_ready() else {}
    known = {doc_id: document.source_path for doc_id, document in documents.items()}
    saved = save_upload(services.settings, file.filename or "", content, known)
    job = jobs.start()
    return {"document": saved, "index_job": job.as_dict()}


@router.delete("/documents/{doc_id}")
def delete_upload(services: AdminDep, doc_id: str) -> dict[str, Any]:
    _, _, jobs, _ = _parts(services)
    document = services.retriever.index.documents.get(doc_id)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    source = Path(document.source_path).resolve()
    if not source.is_relative_to(uploads_dir(services.settings).resolve()):
        raise HTTPException(status_code=409, detail="bundled documents cannot be deleted here; disable them instead")
    source.unlink(missing_ok=True)
    return {"deleted": doc_id, "index_job": jobs.start().as_dict()}


class DisableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disabled: StrictBool
    reason: str | None = Field(default=None, max_length=500, pattern=NO_CONTROL)


@router.put("/documents/{doc_id}/disabled")
def set_disabled(services: AdminDep, doc_id: str, request: DisableRequest) -> dict[str, Any]:
    _, disabled, _, _ = _parts(services)
    if doc_id not in services.retriever.index.documents:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    disabled.set(doc_id, request.disabled, request.reason)
    return {"doc_ids": sorted(twins(doc_id)), "disabled": request.disabled}


@router.post("/index", status_code=202)
def start_index(services: AdminDep) -> dict[str, Any]:
    _, _, jobs, _ = _parts(services)
    return jobs.start().as_dict()


@router.get("/index/jobs/{job_id}")
def index_job(services: AdminDep, job_id: RowId) -> dict[str, Any]:
    _, _, jobs, _ = _parts(services)
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no index job {job_id}")
    return job.as_dict()


# -- conversations, feedback, analytics ----------------------------------------------------------------
@router.get("/conversations")
def conversations(
    services: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> dict[str, Any]:
    return _parts(services)[3].conversations(limit, offset)


@router.get("/conversations/{conversation_id}")
def conversation(services: AdminDep, conversation_id: str) -> dict[str, Any]:
    found = _parts(services)[3].conversation(conversation_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no conversation {conversation_id!r}")
    return found


@router.get("/feedback")
def feedback(
    services: AdminDep,
    rating: Annotated[Literal["up", "down"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    return {"items": _parts(services)[3].feedback(rating, limit)}


Days = Annotated[int, Query(ge=1, le=366, description="how many days back, today included")]


@router.get("/analytics")
def analytics(services: AdminDep, days: Days = 30) -> dict[str, Any]:
    return _parts(services)[3].analytics(days, _today())


def _csv(text: str, name: str) -> Response:
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/analytics.csv", response_class=Response)
def analytics_csv(services: AdminDep, days: Days = 30) -> Response:
    report = _parts(services)[3].analytics(days, _today())
    return _csv(to_csv(("date", *DAILY_COLUMNS), report["per_day"]), f"analytics-{report['until']}.csv")


QUESTION_COLUMNS = ("date", "conversation_id", "message_id", "language", "question", "status", "intent", "rating")


@router.get("/questions.csv", response_class=Response)
def questions_csv(
    services: AdminDep,
    days: Days = 30,
    status: Annotated[Literal["answered", "clarification", "no_answer", "out_of_scope"] | None, Query()] = None,
) -> Response:
    since = _today() - dt.timedelta(days=days - 1)
    rows = [row for row in _parts(services)[3].questions(since) if status is None or row["status"] == status]
    return _csv(to_csv(QUESTION_COLUMNS, rows), f"questions-{status or 'all'}-{_today().isoformat()}.csv")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()  # messages are stamped in UTC; days are counted the same way


# -- approved answers ----------------------------------------------------------------------------------
class ApprovedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=300, pattern=NO_CONTROL)
    language: Literal["zh", "en"]
    answer: str = Field(min_length=1, max_length=4000, pattern=NO_CONTROL, description="the answer with [n] markers")
    citations: list[Citation] = Field(default_factory=list, max_length=20)


class FromFeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(
        min_length=1, max_length=4000, pattern=NO_CONTROL, description="the corrected answer with [n] markers"
    )
    citations: list[Citation] | None = Field(
        default=None, max_length=20, description="default: the citations of the answer that got the thumbs-down"
    )
    question: str | None = Field(
        default=None, max_length=300, pattern=NO_CONTROL, description="default: the question that was asked"
    )


def _catalog(services: Services) -> Any:
    return services.chat.catalog()


@router.get("/approved")
def list_approved(services: AdminDep) -> dict[str, Any]:
    return {"items": _parts(services)[0].list()}


@router.post("/approved", status_code=201)
def add_approved(services: AdminDep, request: ApprovedRequest) -> dict[str, Any]:
    approved = _parts(services)[0]
    new_id = approved.add(request.question, request.language, request.answer, request.citations, _catalog(services))
    return {"id": new_id}


@router.post("/feedback/{feedback_id}/approve", status_code=201)
def approve_from_feedback(services: AdminDep, feedback_id: RowId, request: FromFeedbackRequest) -> dict[str, Any]:
    """One step from a thumbs-down to an approved answer: the user's question, staff's corrected answer."""
    approved, _, _, reports = _parts(services)
    item = reports.feedback_item(feedback_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"no feedback {feedback_id}")
    question = (request.question or item["question"]).strip()
    if not question:
        raise HTTPException(status_code=422, detail="question: the rated answer has no question to approve for")
    citations = request.citations if request.citations is not None else item["citations"]
    language = query_language(question)
    new_id = approved.add(
        question,
        language,
        request.answer,
        [Citation.model_validate(c) for c in citations],
        _catalog(services),
        source_feedback_id=feedback_id,
    )
    return {"id": new_id, "question": question, "language": language}


class ActiveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: StrictBool


@router.put("/approved/{answer_id}/active")
def set_approved_active(services: AdminDep, answer_id: RowId, request: ActiveRequest) -> dict[str, Any]:
    if not _parts(services)[0].set_active(answer_id, request.active):
        raise HTTPException(status_code=404, detail=f"no approved answer {answer_id}")
    return {"id": answer_id, "active": request.active}
