"""Services the routes share, built once per app and handed to routes through ``Depends``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from assistant.api.guards import RateLimiter
from assistant.api.metrics import Metrics
from assistant.chat.service import ChatService
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings


@dataclass
class Services:
    settings: Settings
    retriever: HybridRetriever
    chat: ChatService
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    metrics: Metrics = field(default_factory=Metrics)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
