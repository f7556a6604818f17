"""Read source files (Markdown with front matter, PDF, DOCX, HTML, plain text) into Documents.

Each reader returns sections with anchors that stay stable across re-indexing: an explicit
``{#anchor}`` in Markdown, an ``id`` attribute in HTML, otherwise a slug or short hash of the heading.
Unreadable files raise IngestError naming the file; ``load_documents`` collects those errors and goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from assistant.corpus.models import Document, Section
from assistant.errors import IngestError

SUPPORTED_SUFFIXES = (".md", ".markdown", ".pdf", ".docx", ".html", ".htm", ".txt")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s*\{#([A-Za-z0-9_-]+)\})?\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_CJK = re.compile(r"[\u3400-\u9fff]")
_ASCII_SLUG = re.compile(r"[^a-z0-9]+")
_IGNORED_NAMES = {"readme.md", "license.md", "changelog.md"}


def discover_files(paths: Iterable[Path]) -> list[Path]:
    """Every supported file under the given files/folders, sorted, skipping hidden files and READMEs."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for candidate in path.rglob("*"):
                if (
                    candidate.is_file()
                    and candidate.suffix.lower() in SUPPORTED_SUFFIXES
                    and candidate.name.lower() not in _IGNORED_NAMES
                    and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
                ):
                    found.add(candidate.resolve())
        elif path.exists():
            found.add(path.resolve())
        else:
            raise IngestError(path, "no such file or folder")
    return sorted(found)


def load_documents(files: Iterable[Path]) -> tuple[list[Document], list[IngestError]]:
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            document = load_document(path)
        except IngestError as error:
            errors.append(error)
            continue
        if document.doc_id in seen:
            duplicate = f"duplicate document id {document.doc_id!r} (also {seen[document.doc_id]})"
            errors.append(IngestError(path, duplicate))
            continue
        seen[document.doc_id] = str(path)
        documents.append(document)
    return documents, errors


def load_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise IngestError(path, f"unsupported file type {suffix or '(none)'}; use one of {supported}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IngestError(path, f"cannot read file ({error.strerror or error})") from error
    if not raw.strip():
        raise IngestError(path, "the file is empty")
    content_hash = hashlib.sha256(raw).hexdigest()
    if suffix in (".md", ".markdown"):
        title, sections, metadata = _read_markdown(path, _decode(path, raw))
    elif suffix == ".pdf":
        title, sections, metadata = _read_pdf(path)
    elif suffix == ".docx":
        title, sections, metadata = _read_docx(path)
    elif suffix in (".html", ".htm"):
        title, sections, metadata = _read_html(path, _decode(path, raw))
    else:
        title, sections, metadata = _read_text(path, _decode(path, raw))
    if not any(s.text.strip() for s in sections):
        raise IngestError(path, "no text could be extracted")
    doc_id = str(metadata.get("id") or derive_doc_id(path))
    language = str(metadata.get("language") or detect_language(" ".join(s.text for s in sections[:5])))
    metadata = {key: _plain(value) for key, value in metadata.items()}
    metadata.setdefault("kind", "other")
    return Document(
        doc_id=doc_id,
        title=str(metadata.get("title") or title or path.stem),
        language=language,
        sections=sections,
        source_path=str(path),
        content_hash=content_hash,
        metadata=metadata,
    )


def derive_doc_id(path: Path) -> str:
    slug = _ASCII_SLUG.sub("-", path.stem.lower()).strip("-")
    if slug and not _CJK.search(path.stem):
        return slug
    return "doc-" + hashlib.sha1(path.name.encode()).hexdigest()[:10]


def detect_language(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "zh"
    cjk = sum(1 for c in letters if _CJK.match(c))
    return "zh" if cjk / len(letters) > 0.15 else "en"


def _decode(path: Path, raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(path, "the text is neither UTF-8 nor GB18030")


def _plain(value: Any) -> Any:
    """Front-matter values as JSON-friendly scalars (YAML turns 2025-06-30 into a date)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _anchor_for(heading: str, used: set[str], explicit: str | None = None) -> str:
    if explicit:
        base = explicit
    else:
        slug = _ASCII_SLUG.sub("-", heading.lower()).strip("-")
        base = slug if slug and not _CJK.search(heading) else "s-" + hashlib.sha1(heading.encode()).hexdigest()[:8]
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


class _SectionBuilder:
    """Collects text under headings; text before the first section heading becomes ``summary``."""

    def __init__(self, intro_heading: str) -> None:
        self.sections: list[Section] = []
        self.used: set[str] = set()
        self._heading, self._anchor, self._level = intro_heading, "summary", 2
        self._parents: dict[int, str] = {}
        self._lines: list[str] = []
        self.used.add("summary")

    def heading(self, text: str, level: int, explicit: str | None = None) -> None:
        self._flush()
        self._anchor = _anchor_for(text, self.used, explicit)
        self._heading, self._level = text, level
        self._parents = {lvl: a for lvl, a in self._parents.items() if lvl < level}
        self._parents[level] = self._anchor

    def line(self, text: str) -> None:
        self._lines.append(text)

    def finish(self) -> list[Section]:
        self._flush()
        return self.sections

    def _flush(self) -> None:
        text = "\n".join(self._lines).strip()
        self._lines = []
        if not text and self._anchor == "summary":
            return
        parent_levels = [lvl for lvl in self._parents if lvl < self._level]
        parent = self._parents[max(parent_levels)] if parent_levels else None
        self.sections.append(Section(self._anchor, self._heading, text, self._level, parent))


def _read_markdown(path: Path, text: str) -> tuple[str, list[Section], dict[str, Any]]:
    metadata: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark else ""
            raise IngestError(path, f"front matter is not valid YAML{where}") from error
        if loaded is not None and not isinstance(loaded, dict):
            raise IngestError(path, "front matter must be a mapping of keys to values")
        metadata = loaded or {}
        text = text[match.end() :]
    title = ""
    builder = _SectionBuilder(intro_heading=str(metadata.get("title") or path.stem))
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if level == 1 and not title:
                title = heading.group(2).strip()
                continue
            builder.heading(heading.group(2).strip(), level, heading.group(3))
        else:
            builder.line(line)
    return title, builder.finish(), metadata


def _read_pdf(path: Path) -> tuple[str, list[Section], dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise IngestError(path, f"not a readable PDF ({type(error).__name__}: {error})") from error
    title = str(info.title) if info is not None and info.title else path.stem
    sections = [
        Section(anchor=f"page-{n}", heading=f"{title} — p.{n}", text=_tidy(page_text), level=2)
        for n, page_text in enumerate(pages, start=1)
        if page_text.strip()
    ]
    return title, sections, {"kind": "other"}


def _read_docx(path: Path) -> tuple[str, list[Section], dict[str, Any]]:
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise IngestError(path, f"not a readable DOCX ({type(error).__name__}: {error})") from error
    title = document.core_properties.title or ""
    builder = _SectionBuilder(intro_heading=title or path.stem)
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = paragraph.text.strip()
        if not text:
            continue
        level_match = re.search(r"(\d+)$", style)
        if style.startswith("Title") and not title:
            title = text
        elif style.lower().startswith(("heading", "标题")):
            builder.heading(text, int(level_match.group(1)) + 1 if level_match else 2)
        else:
            builder.line(text)
    return title or path.stem, builder.finish(), {}


def _read_html(path: Path, text: str) -> tuple[str, list[Section], dict[str, Any]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    builder = _SectionBuilder(intro_heading=title or path.stem)
    blocks = soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote", "dd", "dt"])
    for block in blocks:
        if block.find_parent(["p", "li", "td", "pre", "blockquote"]) is not None:
            continue
        content = block.get_text(" ", strip=True)
        if not content:
            continue
        name = block.name or ""
        if name == "h1" and not title:
            title = content
        elif name in ("h1", "h2", "h3", "h4"):
            element_id = block.get("id")
            usable = isinstance(element_id, str) and re.fullmatch(r"[A-Za-z0-9_-]+", element_id)
            explicit = element_id if usable and isinstance(element_id, str) else None
            builder.heading(content, int(name[1]), explicit)
        else:
            builder.line(("- " if name == "li" else "") + content)
    return title or path.stem, builder.finish(), {}


def _read_text(path: Path, text: str) -> tuple[str, list[Section], dict[str, Any]]:
    return path.stem, [Section(anchor="text", heading=path.stem, text=_tidy(text), level=2)], {}


def _tidy(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(_collapse(lines)).strip()


def _collapse(lines: Iterator[str]) -> Iterator[str]:
    blank = False
    for line in lines:
        if line:
            blank = False
            yield line
        elif not blank:
            blank = True
            yield ""
