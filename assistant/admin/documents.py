"""Documents staff manage: uploads into ``data/uploads/``, background re-index with progress, disabling.

Uploads are parsed before they are kept, so a file the indexer cannot read is refused at once with the reason.
The re-index runs in one background thread, one job at a time, and publishes a new build atomically (see
``assistant.retrieval.indexer``): search keeps answering from the previous build until the new one is complete.
"""

from __future__ import annotations

import datetime as dt
import re
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
from assistant.store.db import ConversationStore, DisabledDocument

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


class _Progress:
    """The tqdm-like object build_index reports embedding progress to."""

    def __init__(self, job: IndexJob, total: int, label: str) -> None:
        self.job = job
        job.phase, job.total, job.done = label, total, 0

    def update(self, n: int) -> None:
        self.job.done += n

    def close(self) -> None:
        self.job.phase = "writing"


class IndexJobs:
    """Background re-index jobs; one runs at a time, the last ones are kept for the progress view."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._jobs: dict[int, IndexJob] = {}
        self._running: IndexJob | None = None

    def start(self) -> IndexJob:
        with self._lock:
            if self._running is not None:
                return self._running  # asking twice while one runs is not an error: show the running job
            job = IndexJob(id=len(self._jobs) + 1)
            self._jobs[job.id] = job
            self._running = job
        threading.Thread(target=self._run, args=(job,), name=f"index-job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: int) -> IndexJob | None:
        return self._jobs.get(job_id)

    def latest(self) -> IndexJob | None:
        return self._jobs[max(self._jobs)] if self._jobs else None

    def _run(self, job: IndexJob) -> None:
        job.state, job.phase = "running", "reading"
        job.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        started = time.perf_counter()
        try:
            folder = uploads_dir(self.settings)
            folder.mkdir(parents=True, exist_ok=True)
            report = build_index(
                self.settings, extra_paths=[folder], progress=lambda total, label: _Progress(job, total, label)
            )
            job.result = {
                "build": report.build,
                "up_to_date": report.up_to_date,
                "documents": report.documents,
                "chunks": report.chunks,
                "embedded": report.embedded,
                "reused": report.reused,
                "seconds": round(time.perf_counter() - started, 2),
                "skipped": [f"{Path(e.path).name}: {e.reason}" for e in report.errors],
            }
            job.state, job.phase = "done", "done"
        except Exception as error:
            job.state, job.phase, job.error = "failed", "failed", f"{type(error).__name__}: {error}"
        finally:
            job.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            with self._lock:
                self._running = None


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
