"""Building the search index: incremental by content hash, atomic by construction.

Each build writes a new folder under ``data/index/`` (Chroma directory, chunks with their BM25 tokens,
parsed documents, manifest) and only then points ``CURRENT`` at it with an atomic rename. A crash or a
kill -9 at any moment leaves ``CURRENT`` on the previous, complete build. Unchanged content is never
re-embedded: vectors come from the embedding cache, keyed by (embedder, text).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.corpus import Chunk, Document, chunk_section, discover_files, load_documents
from assistant.errors import IngestError
from assistant.retrieval import vectors as vector_store
from assistant.retrieval.cache import EmbeddingCache, text_key
from assistant.retrieval.embeddings import embedder_id, make_embedder
from assistant.retrieval.tokenize import tokenize
from assistant.settings import Settings

CHUNKER_VERSION = "sections-v6"
BM25_DIR = "bm25"
EMPTY_TOKEN = "\u2205"  # a chunk with no tokens still needs a row in the keyword index
_POINTER = "CURRENT"
_EMBED_BATCH = 16

ProgressFactory = Callable[[int, str], Any]


@dataclass
class IndexReport:
    build: str
    up_to_date: bool
    documents: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    errors: list[IngestError] = field(default_factory=list)


def current_build(index_root: Path) -> Path | None:
    pointer = index_root / _POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    build = index_root / name
    return build if (build / "manifest.json").exists() else None


def read_manifest(build: Path) -> dict[str, Any]:
    return dict(json.loads((build / "manifest.json").read_text(encoding="utf-8")))


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sources(settings: Settings, previous: dict[str, Any] | None, extra_paths: Sequence[Path]) -> list[Path]:
    """The corpus folder, the extra paths added by earlier runs that still exist, and new ones."""
    remembered = [Path(p) for p in (previous or {}).get("extra_paths", []) if Path(p).exists()]
    seen: dict[str, Path] = {}
    for path in [*remembered, *(p.resolve() for p in extra_paths)]:
        seen.setdefault(str(path), path)
    return list(seen.values())


def build_index(
    settings: Settings,
    extra_paths: Sequence[Path] = (),
    rebuild: bool = False,
    progress: ProgressFactory | None = None,
) -> IndexReport:
    started = time.perf_counter()
    root = settings.index_root
    root.mkdir(parents=True, exist_ok=True)
    previous_build = current_build(root)
    previous = read_manifest(previous_build) if previous_build else None

    extras = _sources(settings, previous, extra_paths)
    files = discover_files([settings.corpus_dir, *extras])
    file_hashes = {str(path): _hash_file(path) for path in files}
    config = {
        "embedder": embedder_id(settings),
        "chunker": CHUNKER_VERSION,
        "chunk_max_chars": settings.chunk_max_chars,
        "vectors": settings.chroma_url or "embedded",
        "vector_index": vector_store.HNSW,
    }
    if (
        not rebuild
        and previous is not None
        and previous_build is not None
        and previous.get("config") == config
        and previous.get("files") == file_hashes
    ):
        return IndexReport(
            build=previous_build.name,
            up_to_date=True,
            documents=int(previous.get("documents", 0)),
            chunks=int(previous.get("chunks", 0)),
            embedded=0,
            reused=0,
            seconds=time.perf_counter() - started,
            errors=[IngestError(path, reason) for path, reason in previous.get("errors", [])],
        )

    if settings.chroma_url:  # a server that is away fails the build now, not after minutes of embedding
        vector_store.client_for(root, settings.chroma_url, settings.chroma_timeout_seconds)
    documents, errors = load_documents(files)
    chunks = [
        chunk
        for document in documents
        for section in document.sections
        for chunk in chunk_section(document, section, settings.chunk_max_chars)
    ]
    vectors, embedded = _embed(settings, embedder_id(settings), chunks, use_cache=not rebuild, progress=progress)

    build = root / f"build-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    build.mkdir(parents=True)
    where = _write_vectors(settings, build, chunks, vectors)
    records = [_chunk_record(chunk) for chunk in chunks]
    _write_jsonl(build / "chunks.jsonl", records)
    _write_bm25(build, records)
    _write_jsonl(build / "documents.jsonl", (_document_record(document) for document in documents))
    manifest = {
        "config": config,
        "files": {path: digest for path, digest in file_hashes.items()},
        "extra_paths": [str(p) for p in extras],
        "documents": len(documents),
        "chunks": len(chunks),
        "errors": [[error.path, error.reason] for error in errors],
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "vectors": where,
    }
    _write_atomic(build / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    _write_atomic(root / _POINTER, build.name)
    _remove_stale_builds(root, keep={build.name, previous_build.name if previous_build else ""}, settings=settings)
    return IndexReport(
        build=build.name,
        up_to_date=False,
        documents=len(documents),
        chunks=len(chunks),
        embedded=embedded,
        reused=len(chunks) - embedded,
        seconds=time.perf_counter() - started,
        errors=errors,
    )


def _embed(
    settings: Settings,
    space: str,
    chunks: list[Chunk],
    use_cache: bool,
    progress: ProgressFactory | None,
) -> tuple[list[list[float]], int]:
    texts = [chunk.embedding_text() for chunk in chunks]
    keys = [text_key(space, text) for text in texts]
    cache = EmbeddingCache(settings.embedding_cache_path)
    try:
        known = cache.get_many(set(keys)) if use_cache else {}
        missing = sorted({key: text for key, text in zip(keys, texts, strict=True) if key not in known}.items())
        if missing:
            embedder = make_embedder(settings)
            bar = progress(len(missing), "embedding") if progress else None
            for start in range(0, len(missing), _EMBED_BATCH):
                batch = missing[start : start + _EMBED_BATCH]
                fresh = dict(zip((k for k, _ in batch), embedder.embed_documents([t for _, t in batch]), strict=True))
                cache.put_many(fresh)  # written per batch: a killed build keeps what it already paid for
                known.update(fresh)
                if bar is not None:
                    bar.update(len(batch))
            if bar is not None:
                bar.close()
        return [known[key] for key in keys], len(missing)
    finally:
        cache.close()


def _write_vectors(
    settings: Settings, build: Path, chunks: list[Chunk], vectors: list[list[float]]
) -> dict[str, Any]:
    return vector_store.write(
        build,
        settings.chroma_url,
        timeout_seconds=settings.chroma_timeout_seconds,
        ids=[chunk.chunk_id for chunk in chunks],
        vectors=vectors,
        documents=[chunk.text for chunk in chunks],
        metadatas=[
            {
                "doc_id": c.doc_id,
                "section": c.anchor,
                "language": c.language,
                "kind": c.kind,
                "province": c.province or "",
            }
            for c in chunks
        ],
    )


def _write_bm25(build: Path, records: list[dict[str, Any]]) -> None:
    """The keyword index, saved beside the vectors: workers memory-map it instead of rebuilding it at start."""
    import bm25s

    model = bm25s.BM25()
    model.index([r["tokens"] or [EMPTY_TOKEN] for r in records] or [[EMPTY_TOKEN]], show_progress=False)
    model.save(str(build / BM25_DIR))


def _chunk_record(chunk: Chunk) -> dict[str, Any]:
    record = dataclasses.asdict(chunk)
    record["tokens"] = tokenize(chunk.embedding_text())
    return record


def _document_record(document: Document) -> dict[str, Any]:
    return dataclasses.asdict(document)


def _write_jsonl(path: Path, records: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + f".tmp-{os.getpid()}")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _remove_stale_builds(root: Path, keep: set[str], settings: Settings) -> None:
    """Drop older builds; the previous one stays for processes that still have it open."""
    for entry in root.iterdir():
        if entry.is_dir() and entry.name.startswith("build-") and entry.name not in keep:
            # A build killed before its manifest was written has no server collection to drop.
            with contextlib.suppress(OSError, ValueError):
                vector_store.drop(
                    entry, read_manifest(entry).get("vectors", {}), settings.chroma_url, settings.chroma_timeout_seconds
                )
            shutil.rmtree(entry, ignore_errors=True)
