"""Prometheus metrics, one registry per app (so several apps in one process, as in tests, do not collide)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from starlette.requests import Request
from starlette.responses import Response

from assistant.logs import client_tag

request_log = logging.getLogger("assistant.requests")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "assistant_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "assistant_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.answers = Counter(
            "assistant_answers_total",
            "chat answers by status and answerer",
            ["status", "answerer"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "assistant_refusals_total", "requests refused by a guard or the router", ["reason"], registry=self.registry
        )
        self.fallbacks = Counter(
            "assistant_llm_fallbacks_total",
            "answers where the configured LLM was not used (failed validation, timed out or down)",
            registry=self.registry,
        )
        self.keyword_only = Counter(
            "assistant_keyword_only_searches_total",
            "searches answered from the keyword index alone because the vector store (Chroma server) was unavailable",
            registry=self.registry,
        )
        self.index_chunks = Gauge(
            "assistant_index_chunks",
            "chunks in the serving index",
            registry=self.registry,
            multiprocess_mode="max",  # with several workers: the largest index any worker serves
        )

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        seconds = time.perf_counter() - started
        self.requests.labels(name, request.method, str(response.status_code)).inc()
        self.latency.labels(name).observe(seconds)
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "route": name,
                "path": request.url.path,  # never the query string: /api/search?q= carries the question
                "status": response.status_code,
                "ms": round(seconds * 1000, 1),
                "client": client_tag(request.client.host if request.client else "unknown"),
            },
        )
        return response

    def render(self) -> Response:
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up what every worker wrote
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")
