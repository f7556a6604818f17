"""Ingestion of each supported format, and clear errors for files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus import chunk_section, load_document, load_documents, split_sentences
from assistant.errors import IngestError
from tests.fixtures.make_files import write_docx, write_pdf


def test_markdown_front_matter_and_explicit_anchors(tmp_path: Path) -> None:
    path = tmp_path / "notice.md"
    path.write_text(
        "---\nid: notice-x\ntitle: 通知\nlanguage: zh\nkind: notice\ndate: 2025-06-30\n---\n\n# 通知\n\n"
        "导语。\n\n## 申报条件 {#conditions}\n\n须为规上企业。\n\n### 成熟度 {#conditions-maturity}\n\n二级及以上。\n",
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.doc_id == "notice-x"
    assert document.metadata["date"] == "2025-06-30"
    assert [s.anchor for s in document.sections] == ["summary", "conditions", "conditions-maturity"]
    assert document.section("conditions-maturity").parent == "conditions"  # type: ignore[union-attr]
    assert "二级及以上" in document.section_text("conditions")


def test_pdf_pages_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    write_pdf(path, ["Advanced level factories are certified by the province.", "Premium goes to MIIT."])
    document = load_document(path)
    assert [s.anchor for s in document.sections] == ["page-1", "page-2"]
    assert "certified by the province" in document.sections[0].text
    assert document.language == "en"


def test_broken_pdf_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\x00\x01")
    with pytest.raises(IngestError) as caught:
        load_document(path)
    assert "broken.pdf" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(IngestError, match="empty"):
        load_document(path)


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "rules.docx"
    write_docx(path, "省级细则", [("申报条件", "企业须为规模以上工业企业。"), ("申报时间", "每年三月集中申报。")])
    document = load_document(path)
    assert document.title == "省级细则"
    headings = [s.heading for s in document.sections]
    assert headings == ["申报条件", "申报时间"]
    assert "每年三月" in document.sections[1].text
    # Anchors derived from Chinese headings are short hashes: the same heading gives the same anchor.
    assert load_document(path).sections[1].anchor == document.sections[1].anchor


def test_html_uses_ids_and_drops_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Notice</title><script>alert(1)</script></head><body>"
        "<h2 id='timing'>Timing</h2><p>Applications open in March.</p><ul><li>Bring the report.</li></ul>"
        "<h2>Who certifies</h2><p>The provincial department.</p></body></html>",
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.title == "Notice"
    assert [s.anchor for s in document.sections] == ["timing", "who-certifies"]
    assert "Bring the report." in document.sections[0].text
    assert all("alert" not in s.text for s in document.sections)


def test_plain_text_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("先进级由省级工业和信息化主管部门认定。".encode("gb18030"))
    document = load_document(path)
    assert document.language == "zh"
    assert "省级工业和信息化主管部门" in document.sections[0].text


def test_bad_files_are_reported_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\n## Part {#part}\n\nSome text.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"garbage")
    (tmp_path / "bad-front.md").write_text("---\nid: [unclosed\n---\n# X\n", encoding="utf-8")
    documents, errors = load_documents(sorted(tmp_path.iterdir()))
    assert [d.doc_id for d in documents] == ["good"]
    assert sorted(Path(e.path).name for e in errors) == ["bad-front.md", "bad.pdf", "empty.txt"]


def test_sentences_are_never_split_inside() -> None:
    text = (
        "先进级至少覆盖生产作业、生产管理和运营管理。卓越级原则上覆盖全部五个环节！"
        "GB/T 39116-2020 has 5 levels. Scores like 3.55 stay whole."
    )
    sentences = split_sentences(text)
    assert sentences == [
        "先进级至少覆盖生产作业、生产管理和运营管理。",
        "卓越级原则上覆盖全部五个环节！",
        "GB/T 39116-2020 has 5 levels.",
        "Scores like 3.55 stay whole.",
    ]


def test_long_sections_chunk_at_sentence_ends(tmp_path: Path) -> None:
    body = "".join(f"第{i}条要求企业完成相应的数字化改造并保存记录。" for i in range(60))
    path = tmp_path / "long.md"
    path.write_text(f"# 长文\n\n## 条款 {{#clauses}}\n\n{body}\n", encoding="utf-8")
    document = load_document(path)
    chunks = chunk_section(document, document.sections[0], max_chars=200)
    assert len(chunks) > 3
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == body
    assert [c.chunk_id for c in chunks][:2] == ["long#clauses:0", "long#clauses:1"]
