"""The exception tree. Everything the assistant raises on purpose derives from AssistantError,
so the CLI and the API can turn it into a one-line message or a 4xx instead of a traceback.

    AssistantError
    ├── IngestError            a source file could not be read or parsed (names the file)
    ├── IndexError_            the search index is missing, corrupt or built with another embedder
    │   ├── IndexNotBuilt      no index has been built yet
    │   └── VectorStoreUnavailable  the Chroma server is down, hung or failing (search falls back to keywords)
    ├── EmbedderError          the embedding model could not be loaded
    ├── RulebookError          the rulebook YAML is malformed or has no value for a date
    └── InputError             a request or profile that fails validation (names the field)
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the assistant raises deliberately."""


class IngestError(AssistantError):
    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexError_(AssistantError):
    """The search index cannot be used."""


class IndexNotBuilt(IndexError_):
    def __init__(self) -> None:
        super().__init__("no search index has been built yet; run `assistant index`")


class VectorStoreUnavailable(IndexError_):
    def __init__(self, url: str, cause: object) -> None:
        self.url = url
        super().__init__(f"the Chroma server at {url} is unavailable: {type(cause).__name__}: {cause}")


class EmbedderError(AssistantError):
    """The embedding model could not be loaded."""


class RulebookError(AssistantError):
    """The rulebook data is malformed or does not cover the requested date."""


class InputError(AssistantError):
    """Input that fails validation; the message names the field."""
