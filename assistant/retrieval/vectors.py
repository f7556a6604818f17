"""Where a build's vectors live: an embedded Chroma directory inside the build, or a Chroma server.

Embedded (``ASSISTANT_CHROMA_URL`` unset): ``<build>/chroma`` with one collection. Server: one collection per build,
named after it, so publishing a build is still one atomic pointer swap and a worker that has the previous build
open keeps reading the previous collection until it reloads. The build's manifest records which it is.

Every request to a Chroma server is bounded in time (``ASSISTANT_CHROMA_TIMEOUT_SECONDS``); a server that is down,
hung or erring raises ``VectorStoreUnavailable``, which search turns into a keyword-only answer.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import VectorStoreUnavailable

COLLECTION = "passages"
_BATCH = 1000
# The approximate (HNSW) index's effort. With Chroma's defaults (ef_search 10, 16 neighbours) a Chroma server
# sometimes left the nearest passage out of the top 40 although it was stored and found by its own vector: e5
# vectors sit close together (cosine 0.85-0.9 for most pairs), and a narrow greedy search can settle among the wrong
# ones. Seen in the admin upload test, whose new notice went missing in about one build in three; with these
# values, in 1 of 89 runs. Embedded recall on the bundled corpus is 1.0 either way (exact top 10, 90 dev questions).
HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 128, "max_neighbors": 32}
DEFAULT_TIMEOUT_SECONDS = 5.0


def collection_name(build: Path, server: bool) -> str:
    return f"{COLLECTION}-{build.name}" if server else COLLECTION


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def client_for(build: Path, chroma_url: str | None, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Any:
    import chromadb

    if not chroma_url:
        return chromadb.PersistentClient(path=str(build / "chroma"), settings=_chroma_settings())
    parts = urlsplit(chroma_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"ASSISTANT_CHROMA_URL must look like http://host:port, got {chroma_url!r}")
    return _server_client(chroma_url, parts.hostname, parts.port, parts.scheme == "https", timeout_seconds)


def _server_client(url: str, host: str, port: int | None, ssl: bool, timeout_seconds: float) -> Any:
    """chromadb's HTTP client sends every request without a timeout (httpx ``timeout=None``), has no setting for
    one, and its constructor already calls the server. So: a bounded heartbeat first, then the same bound on the
    client's own session, or one hung server would hold every question that reaches it."""
    import chromadb
    import httpx

    port = port or (443 if ssl else 80)
    try:
        httpx.get(f"{'https' if ssl else 'http'}://{host}:{port}/api/v2/heartbeat", timeout=timeout_seconds)
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
    except Exception as error:  # refused, timed out, or not a Chroma server: all mean no vectors now
        raise VectorStoreUnavailable(url, error) from error
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise RuntimeError("chromadb's HTTP client no longer keeps an httpx session in _server._session")
    session.timeout = httpx.Timeout(timeout_seconds)
    return client


def location(build: Path, chroma_url: str | None) -> dict[str, Any]:
    """What the manifest records about the vectors of ``build``."""
    if chroma_url:
        return {"kind": "server", "url": chroma_url, "collection": collection_name(build, True)}
    return {"kind": "embedded", "collection": COLLECTION}


def write(
    build: Path,
    chroma_url: str | None,
    ids: list[str],
    vectors: list[list[float]],
    metadatas: list[dict[str, Any]],
    documents: list[str],
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    client = client_for(build, chroma_url, timeout_seconds)
    where = location(build, chroma_url)
    # embedding_function=None: Chroma's default function would download a model on the first add().
    collection = client.get_or_create_collection(
        where["collection"], embedding_function=None, configuration={"hnsw": HNSW}
    )
    for start in range(0, len(ids), _BATCH):
        end = start + _BATCH
        collection.add(
            ids=ids[start:end],
            embeddings=vectors[start:end],
            documents=documents[start:end],
            metadatas=metadatas[start:end],
        )
    if ids:
        _wait_until_searchable(collection, vectors)
    return where


def _wait_until_searchable(collection: Any, vectors: list[list[float]], timeout: float = 120) -> None:
    """Chroma (the server, and the embedded client too) indexes what it was sent in the background: a query just
    after ``add`` can miss the newest records (seen in tests). The build is published only once the last records
    written are found by their vectors."""
    probes = list(range(max(0, len(vectors) - 3), len(vectors)))
    deadline = time.monotonic() + timeout
    while True:
        found = collection.query(query_embeddings=[vectors[i] for i in probes], n_results=1, include=["distances"])
        # A record with exactly that vector (distance ~0) is in the searchable index; duplicates of a text count too.
        if all(hits and hits[0] < 1e-4 for hits in found["distances"] or []):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Chroma server did not index the new build within {timeout:.0f} s")
        time.sleep(0.2)


def is_server(where: dict[str, Any]) -> bool:
    return where.get("kind") == "server"


def open_collection(
    build: Path, where: dict[str, Any], chroma_url: str | None, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> Any:
    """The collection a manifest names; a server build is read from ``chroma_url`` if given, else its own URL."""
    if not is_server(where):
        return client_for(build, None).get_collection(where.get("collection", COLLECTION), embedding_function=None)
    url = chroma_url or where.get("url")
    client = client_for(build, url, timeout_seconds)
    try:
        return client.get_collection(where["collection"], embedding_function=None)
    except Exception as error:  # the server lost the collection, or failed while we asked
        raise VectorStoreUnavailable(str(url), error) from error


def drop(
    build: Path, where: dict[str, Any], chroma_url: str | None, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> None:
    """Delete a stale server collection (an embedded one goes with its build folder)."""
    if not is_server(where):
        return
    # Already gone, or the server is away: a stale collection only costs space.
    with contextlib.suppress(Exception):
        client_for(build, chroma_url or where.get("url"), timeout_seconds).delete_collection(where["collection"])
