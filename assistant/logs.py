"""Structured logs: one JSON object per line on stderr, for a log shipper to read.

Question text stays out of the logs unless ``ASSISTANT_LOG_MESSAGE_TEXT`` is set: a log line carries ids, sizes,
statuses and timings. Clients are logged as a short hash, never as an address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sys
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str = "json", level: int = logging.INFO) -> None:
    """Called by ``assistant serve`` (never at import): our handler on the root logger, uvicorn's loggers
    routed through it, and uvicorn's access log off (the request log below replaces it, without query strings)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def client_tag(client: str) -> str:
    """A stable pseudonym for a client id or address: enough to group requests, not to find the person."""
    return hashlib.sha256(client.encode()).hexdigest()[:12]
