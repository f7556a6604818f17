"""The web side: the pages, /static, /widget.js, the public /api/config, security headers and CORS.

Every HTML page gets a strict Content-Security-Policy (no inline script or style anywhere). Only ``/embed`` — the
page the widget frames — may be framed by the deployment's allowlisted origins (``settings.frame_ancestors``);
every other page only by itself. CORS is answered for the API paths only, and only for ``settings.cors_origins``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.deps import ServicesDep
from assistant.settings import Settings

router = APIRouter()

EMBED_PATH = "/embed"
# FastAPI's own documentation pages load Swagger UI with inline script; they keep their defaults.
_CSP_EXEMPT = ("/docs", "/redoc")
_CORS_PREFIXES = ("/api/", "/v1/")
_CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"))
# The full pages: path -> file under web/.
_PAGES = {
    "/": "index.html",
    EMBED_PATH: "embed.html",
    "/eligibility": "eligibility.html",
    "/reference": "reference.html",
}


@router.get("/api/config")
def public_config(services: ServicesDep) -> dict[str, Any]:
    """What the pages need to know about this deployment; public values only, never a key or URL."""
    settings = services.settings
    return {
        "llm_model": settings.llm_model if settings.llm_base_url else None,
        "llm_filing_number": settings.llm_filing_number,
        "max_message_chars": settings.max_message_chars,
    }


def install_pages(app: FastAPI, web_dir: Path) -> None:
    """Serve the HTML pages, ``/widget.js`` (loaded by other sites) and everything under ``/static``."""
    for path, filename in _PAGES.items():
        app.add_api_route(path, _page(web_dir / filename), methods=["GET", "HEAD"], include_in_schema=False)

    widget = web_dir / "static" / "widget.js"

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        # A plain <script src> on any site; the CORS header lets a host also fetch it with crossorigin set.
        return FileResponse(
            widget,
            media_type="text/javascript; charset=utf-8",
            headers={
                "Access-Control-Allow-Origin": "*",
                "Cross-Origin-Resource-Policy": "cross-origin",
                "Cache-Control": "public, max-age=300",
            },
        )

    favicon = web_dir / "static" / "favicon.svg"

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon_icon() -> FileResponse:
        return FileResponse(favicon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=web_dir / "static"), name="static")


def _page(file: Path) -> Any:
    async def page() -> FileResponse:
        if not file.is_file():
            raise HTTPException(status_code=404, detail="page not found")
        return FileResponse(file, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    return page


def content_security_policy(path: str, frame_ancestors: list[str]) -> str:
    ancestors = " ".join(["'self'", *frame_ancestors]) if path == EMBED_PATH else "'self'"
    return f"{_CSP_BASE}; frame-ancestors {ancestors}"


class SecurityHeaders:
    """Adds nosniff and a Referrer-Policy to every response, and the CSP to HTML responses."""

    def __init__(self, app: ASGIApp, frame_ancestors: list[str]) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                extra = [*_ALWAYS]
                if content_type.startswith(b"text/html") and not path.startswith(_CSP_EXEMPT):
                    policy = content_security_policy(path, self.frame_ancestors)
                    extra.append((b"content-security-policy", policy.encode("latin-1")))
                headers.extend((n, v) for n, v in extra if n not in names)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ApiCors:
    """Starlette's CORSMiddleware, but only for the API paths: pages and static files are never shared."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Client-Id"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(_CORS_PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_web_security(app: FastAPI, settings: Settings) -> None:
    """Outermost middleware, so even error responses (413, 429) carry the headers."""
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(ApiCors, origins=settings.cors_origins)
