"""Documents staff manage: uploads into ``data/uploads/``, background re-index with progress, disabling.

Uploads are parsed before they are kept, so a file the indexer cannot read is refused at once with the reason.
The re-index runs in one background thread, one job at a time, and publishes a new build atomically (see
``assistant.retrieval.indexer``): search keeps answering from the previous build until the new one is complete.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from assistant.corpus.loader import SUPPORTED_SUFFIXES, load_document
from assistant.errors import IngestError, InputError
from assistant.retrieval import build_index
from assistant.settings import Settings
from assistant.store.db import ConversationStore, DisabledDocument, IndexJobRow

UPLOAD_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
_SAFE_NAME = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")
EN_SUFFIX = "-en"


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only letters, digits, CJK, '.', '_' and '-'."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("-", base).strip(".-")
    if not cleaned or "." not in cleaned:
        raise InputError("file: the file name needs an extension such as .pdf, .docx, .html or .md")
    return cleaned[:120]


def save_upload(settings: Settings, filename: str, content: bytes, known_ids: dict[str, str]) -> dict[str, Any]:
    """Parse the upload; keep it only if it reads and its document id is not a bundled document's."""
    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES or suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"file: unsupported type {suffix}; upload PDF, DOCX, HTML or Markdown")
    if not content.strip():
        raise InputError("file: the file is empty")
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        trial = Path(scratch) / name
        trial.write_bytes(content)
        try:
            document = load_document(trial)
        except IngestError as error:
            raise InputError(f"file: {error.reason}") from error
    owner = known_ids.get(document.doc_id)
    target = folder / name
    if owner is not None and Path(owner).resolve() != target.resolve():
        raise InputError(f"file: document id {document.doc_id!r} is already used by {Path(owner).name}")
    partial = target.with_name(f".{name}.part")
    partial.write_bytes(content)
    partial.replace(target)  # a reader never sees half a file
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "language": document.language,
        "sections": len(document.sections),
        "file": name,
    }


@dataclass
class IndexJob:
    id: int
    state: str = "queued"  # queued → running → done | failed
    phase: str = "waiting"
    done: int = 0
    total: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: IndexJobRow) -> IndexJob:
        def iso(moment: dt.datetime | None) -> str | None:
            return moment.isoformat(timespec="seconds") if moment else None

        return cls(row.id, row.state, row.phase, row.done, row.total, iso(row.started_at), iso(row.finished_at),
                   dict(row.result or {}), row.error)


# A running job whose worker has not written for this long died with it (kill -9, a crash).
STALE_AFTER = dt.timedelta(seconds=30)
_WRITE_EVERY = 0.5  # seconds between progress writes


class _Progress:
    """The tqdm-like object build_index reports embedding progress to; it writes to the job's row."""

    def __init__(self, jobs: IndexJobs, job_id: int, total: int, label: str) -> None:
        self.jobs, self.job_id, self.done = jobs, job_id, 0
        self._written = 0.0
        jobs.update(job_id, phase=label, total=total, done=0)

    def update(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self._written >= _WRITE_EVERY:
            self.jobs.update(self.job_id, done=self.done)
            self._written = time.monotonic()

    def close(self) -> None:
        self.jobs.update(self.job_id, phase="writing", done=self.done)


class IndexJobs:
    """Background re-index jobs. Their state is in the database, so whichever worker a progress request reaches
    can answer it, and a second worker asked to re-index while one runs shows the running job instead."""

    def __init__(self, settings: Settings, store: ConversationStore) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()

    def start(self) -> IndexJob:
        now = dt.datetime.now(dt.UTC)
        with self._lock, self.store.transaction() as session:
            running = session.scalars(
                select(IndexJobRow).where(IndexJobRow.state.in_(("queued", "running"))).order_by(IndexJobRow.id)
            ).all()
            for row in running:
                if not _orphaned(row, now):
                    return IndexJob.from_row(row)  # asking twice while one runs is not an error
                _mark_orphaned(row, now)
            row = IndexJobRow(
                state="running", phase="reading", started_at=now, heartbeat_at=now, owner=_owner(), result={}
            )
            session.add(row)
            session.flush()
            job = IndexJob.from_row(row)
        threading.Thread(target=self._run, args=(job.id,), name=f"index-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: int) -> IndexJob | None:
        with self.store.transaction() as session:
            row = session.get(IndexJobRow, job_id)
            return self._reported(row)

    def latest(self) -> IndexJob | None:
        with self.store.transaction() as session:
            row = session.scalars(select(IndexJobRow).order_by(IndexJobRow.id.desc()).limit(1)).first()
            return self._reported(row)

    @staticmethod
    def _reported(row: IndexJobRow | None) -> IndexJob | None:
        """The job as it is: one whose worker died (kill -9, a crash) is reported failed, not running forever."""
        if row is None:
            return None
        now = dt.datetime.now(dt.UTC)
        if row.state in ("queued", "running") and _orphaned(row, now):
            _mark_orphaned(row, now)
        return IndexJob.from_row(row)

    def update(self, job_id: int, **values: Any) -> None:
        with self.store.transaction() as session:
            row = session.get(IndexJobRow, job_id)
            if row is not None:
                for key, value in values.items():
                    setattr(row, key, value)
                row.heartbeat_at = dt.datetime.now(dt.UTC)

    def _run(self, job_id: int) -> None:
        started = time.perf_counter()
        stop = threading.Event()

        def heartbeat() -> None:  # embedding one batch can take longer than the progress interval
            while not stop.wait(STALE_AFTER.total_seconds() / 3):
                self.update(job_id)

        threading.Thread(target=heartbeat, daemon=True).start()
        try:
            folder = uploads_dir(self.settings)
            folder.mkdir(parents=True, exist_ok=True)
            report = build_index(
                self.settings,
                extra_paths=[folder],
                progress=lambda total, label: _Progress(self, job_id, total, label),
            )
            result = {
                "build": report.build,
                "up_to_date": report.up_to_date,
                "documents": report.documents,
                "chunks": report.chunks,
                "embedded": report.embedded,
                "reused": report.reused,
                "seconds": round(time.perf_counter() - started, 2),
                "skipped": [f"{Path(e.path).name}: {e.reason}" for e in report.errors],
            }
            self.update(job_id, state="done", phase="done", result=result, finished_at=dt.datetime.now(dt.UTC))
        except Exception as error:  # any failure is shown to staff; the old build keeps serving
            self.update(job_id, state="failed", phase="failed", error=f"{type(error).__name__}: {error}",
                        finished_at=dt.datetime.now(dt.UTC))
        finally:
            stop.set()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _orphaned(row: IndexJobRow, now: dt.datetime) -> bool:
    """The worker running this job is gone: its process on this host has exited, or it stopped writing."""
    host, _, pid = (row.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, someone else's
    return _aware(row.heartbeat_at) <= now - STALE_AFTER


def _mark_orphaned(row: IndexJobRow, now: dt.datetime) -> None:
    row.state, row.phase, row.finished_at = "failed", "failed", now
    row.error = "the worker running this job stopped before it finished (the previous index kept serving)"


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for what was written as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def twins(doc_id: str) -> set[str]:
    """A document and its language twin (``x`` and ``x-en``): they are disabled and enabled together."""
    base = doc_id.removesuffix(EN_SUFFIX)
    return {base, f"{base}{EN_SUFFIX}"}


class DisabledDocuments:
    """Document ids taken out of answers, kept in the database so every worker sees the same list.

    Read on every search, so it is cached for a short time: a change shows within ``ttl`` seconds everywhere.
    """

    def __init__(self, store: ConversationStore, ttl: float = 2.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cached: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> frozenset[str]:
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl:
                with self.store.session() as session:
                    self._cached = frozenset(session.scalars(select(DisabledDocument.doc_id)))
                self._read_at = time.monotonic()
            return self._cached

    def reasons(self) -> dict[str, str | None]:
        with self.store.session() as session:
            return {row.doc_id: row.reason for row in session.scalars(select(DisabledDocument))}

    def set(self, doc_id: str, disabled: bool, reason: str | None = None) -> None:
        with self.store.transaction() as session:
            for member in twins(doc_id):
                row = session.get(DisabledDocument, member)
                if disabled and row is None:
                    session.add(DisabledDocument(doc_id=member, reason=reason))
                elif not disabled and row is not None:
                    session.delete(row)
        with self._lock:
            self._read_at = float("-inf")
