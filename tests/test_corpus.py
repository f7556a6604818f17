"""The bundled corpus: complete provenance on every document, and zh/en twins with the same anchors."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from assistant.corpus import discover_files, load_documents
from assistant.corpus.models import Document
from assistant.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
REQUIRED = ("id", "title", "language", "issuer", "date", "url", "kind", "last_reviewed")
KINDS = {"notice", "conditions", "guide", "standard", "provincial", "statistics", "faq"}


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    docs, errors = load_documents(discover_files([CORPUS]))
    assert errors == []
    return {d.doc_id: d for d in docs}


def test_every_document_has_complete_front_matter(documents: dict[str, Document]) -> None:
    assert len(documents) >= 30
    for doc_id, document in documents.items():
        meta = document.metadata
        for key in REQUIRED:
            assert meta.get(key), f"{doc_id}: front matter lacks {key}"
        assert meta["kind"] in KINDS, f"{doc_id}: unknown kind {meta['kind']}"
        assert meta["language"] in ("zh", "en")
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(meta["date"])), f"{doc_id}: date {meta['date']}"
        dt.date.fromisoformat(str(meta["last_reviewed"]))
        assert str(meta["url"]).startswith(("http://", "https://")), f"{doc_id}: url"
        if meta["kind"] == "provincial" and doc_id not in ("other-regions", "other-regions-en"):
            assert re.fullmatch(r"[a-z]+", str(meta.get("province", ""))), f"{doc_id}: province"


def test_every_document_exists_in_chinese_and_english_with_the_same_anchors(documents: dict[str, Document]) -> None:
    chinese = [d for d in documents.values() if d.language == "zh"]
    assert chinese
    for document in chinese:
        twin = documents.get(f"{document.doc_id}-en")
        assert twin is not None, f"{document.doc_id} has no English twin"
        assert twin.language == "en"
        assert twin.metadata.get("translation_of") == document.doc_id
        assert [s.anchor for s in twin.sections] == [s.anchor for s in document.sections], document.doc_id


def test_every_heading_has_an_explicit_anchor() -> None:
    heading = re.compile(r"^#{2,6} ")
    for path in sorted(CORPUS.glob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if heading.match(line):
                assert re.search(r"\{#[a-z0-9-]+\}\s*$", line), f"{path.name}:{number} heading without {{#anchor}}"


def test_the_guide_lists_all_forty_scenarios(documents: dict[str, Document]) -> None:
    guide = documents["scenario-guide-2025"]
    text = "\n".join(s.text for s in guide.sections)
    numbers = {int(n) for n in re.findall(r"#(\d{1,2})\b", text)}
    assert set(range(1, 41)) <= numbers
