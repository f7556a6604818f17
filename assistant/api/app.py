"""The FastAPI app factory."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from assistant import __version__
from assistant.admin.approved import ApprovedAnswers
from assistant.admin.documents import DisabledDocuments, IndexJobs
from assistant.admin.reports import Reports
from assistant.api.admin_routes import ADMIN_UPLOAD_PATH
from assistant.api.admin_routes import page_router as admin_page_router
from assistant.api.admin_routes import router as admin_router
from assistant.api.chat_routes import router as chat_router
from assistant.api.deps import Services
from assistant.api.guards import BodySizeLimit
from assistant.api.metrics import Metrics
from assistant.api.reference_routes import router as reference_router
from assistant.api.routes import ERROR_RESPONSES, router
from assistant.api.web_routes import install_pages, install_web_security
from assistant.api.web_routes import router as web_router
from assistant.chat.llm import LLMAnswerer
from assistant.chat.service import ChatService
from assistant.eligibility.service import checker_for
from assistant.errors import AssistantError, IndexError_, InputError
from assistant.retrieval import HybridRetriever, make_embedder
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from assistant.store import ConversationStore
from assistant.store.limits import RateLimiter

WEB_DIR = PROJECT_ROOT / "web"
database_log = logging.getLogger("assistant.database")


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="智能工厂梯度培育申报助手 API", version=__version__, responses=ERROR_RESPONSES)
    app.state.services = services or build_services(settings)
    app.include_router(router)
    app.include_router(chat_router)
    app.include_router(reference_router)
    app.include_router(admin_router)
    app.include_router(admin_page_router)
    app.include_router(web_router)
    services_ = app.state.services
    app.middleware("http")(services_.metrics.middleware)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={ADMIN_UPLOAD_PATH: settings.max_upload_bytes},  # documents staff upload are bigger than questions
    )
    _install_error_handlers(app)
    _install_pages(app, WEB_DIR)
    install_web_security(app, settings)  # outermost: CSP/nosniff on every page, CORS on the API only
    return app


def worker_app() -> FastAPI:
    """The app of one worker process under ``assistant serve --workers N`` (settings from the environment)."""
    from assistant.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format)
    return create_app(settings)


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = ConversationStore(settings.sqlalchemy_url, settings.database_timeout_seconds)
    disabled = DisabledDocuments(store)
    embedder = make_embedder(settings)
    metrics = Metrics()
    retriever = HybridRetriever(
        settings.index_root,
        embedder,
        excluded=disabled,
        chroma_url=settings.chroma_url,
        chroma_timeout_seconds=settings.chroma_timeout_seconds,
        on_keyword_only=metrics.keyword_only.inc,
    )
    checker = checker_for(settings.corpus_dir)
    answerer = LLMAnswerer.from_settings(settings) if settings.llm_base_url else None
    approved = ApprovedAnswers(store, embedder)
    chat = ChatService(checker, retriever, store, answerer=answerer, approved=approved)
    return Services(
        settings=settings,
        retriever=retriever,
        chat=chat,
        rate_limiter=RateLimiter(store.engine, settings.rate_limit_per_minute),
        metrics=metrics,
        approved=approved,
        disabled=disabled,
        jobs=IndexJobs(settings, store),
        reports=Reports(store),
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _describe(error)})

    @app.exception_handler(InputError)
    async def invalid_input(_: Request, error: InputError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(error)})

    @app.exception_handler(IndexError_)
    async def index_unavailable(_: Request, error: IndexError_) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(error)})

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, error: OperationalError) -> JSONResponse:
        # Down, unreachable, locked past the timeout: not the client's fault, and nothing was half-written
        # (every write is one transaction). Say so instead of a 500 with a trace.
        database_log.warning("database unavailable", extra={"error": str(error.orig)})
        return JSONResponse(
            status_code=503,
            content={"detail": "the conversation database is unavailable; please try again shortly"},
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(AssistantError)
    async def assistant_error(_: Request, error: AssistantError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(error)})


def _describe(error: RequestValidationError) -> str:
    """One readable sentence per problem: which field, what is wrong."""
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path"))
        message = str(item.get("msg", "invalid value"))
        if item.get("type") == "json_invalid":
            problems.append("the request body is not valid JSON")
        else:
            problems.append(f"{location or 'request'}: {message}")
    return "; ".join(problems) or "invalid request"


def _install_pages(app: FastAPI, web_dir: Path) -> None:
    """The chat, embed, eligibility and reference pages, /widget.js and /static (assistant.api.web_routes)."""
    install_pages(app, web_dir)
