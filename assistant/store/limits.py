"""The per-client question limit, kept in the database so every worker (and every machine) counts together.

A sliding one-minute window: each allowed question is a row (client, time). The check and the insert happen in
one transaction that first takes a lock for that client (an advisory lock on PostgreSQL; SQLite's single writer
lock, taken by the opening DELETE), so two workers cannot both let the 16th question through.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Engine

from assistant.store.db import RateHit

WINDOW_SECONDS = 60.0
_SWEEP_EVERY = 500  # now and then, drop every client's expired rows, not only the asker's


@dataclass
class RateLimiter:
    engine: Engine | None
    per_minute: int
    clock: Callable[[], float] = time.time  # wall clock: workers on several machines must agree on it
    _checks: int = field(default=0, init=False)

    def check(self, client: str) -> float | None:
        """None when allowed (and counted); otherwise the seconds until the next question is allowed."""
        if self.per_minute <= 0 or self.engine is None:
            return None
        now = self.clock()
        self._checks += 1
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(client.encode())})
            expired = RateHit.at <= now - WINDOW_SECONDS
            sweep_all = self._checks % _SWEEP_EVERY == 0
            connection.execute(delete(RateHit).where(expired if sweep_all else (RateHit.client == client) & expired))
            hits = connection.scalars(select(RateHit.at).where(RateHit.client == client).order_by(RateHit.at)).all()
            if len(hits) >= self.per_minute:
                return max(0.0, WINDOW_SECONDS - (now - hits[0]))
            connection.execute(insert(RateHit).values(client=client, at=now))
            return None
