"""Services the routes share, built once per app and handed to routes through ``Depends``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from assistant.chat.service import ChatService
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings


@dataclass
class Services:
    settings: Settings
    retriever: HybridRetriever
    chat: ChatService


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
