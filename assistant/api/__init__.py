"""The HTTP API and the web pages."""

from assistant.api.app import create_app

__all__ = ["create_app"]
