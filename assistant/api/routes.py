"""HTTP routes (DESIGN.md §3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from assistant.api.deps import ServicesDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> Any:
    from fastapi.responses import JSONResponse

    if services.retriever.is_ready():
        return {"status": "ready", "build": services.retriever.index.build.name}
    return JSONResponse(status_code=503, content={"status": "not ready", "detail": "the search index is not built"})


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
