"""Services the routes share, built once per app and handed to routes through ``Depends``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from assistant.admin.approved import ApprovedAnswers
from assistant.admin.documents import DisabledDocuments, IndexJobs
from assistant.admin.reports import Reports
from assistant.api.metrics import Metrics
from assistant.chat.service import ChatService
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store.limits import RateLimiter


@dataclass
class Services:
    settings: Settings
    retriever: HybridRetriever
    chat: ChatService
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(None, 0))
    metrics: Metrics = field(default_factory=Metrics)
    approved: ApprovedAnswers | None = None
    disabled: DisabledDocuments | None = None
    jobs: IndexJobs | None = None
    reports: Reports | None = None


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
