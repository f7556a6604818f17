"""A synthetic policy corpus of any size, in realistic Chinese and English, for the scale benchmark.

Every chunk is two to four sentences taken from the bundled corpus with its provinces, years, levels and numbers
swapped, so vocabulary, length and the zh/en mix look like the real documents while the text differs chunk to
chunk. Deterministic for a given seed.

    .venv/bin/python eval/synth_corpus.py --chunks 10000 --out /tmp/synth   # writes Markdown documents
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.corpus import discover_files, load_documents
from assistant.settings import PROJECT_ROOT

PROVINCES_ZH = ["云南", "江苏", "山东", "浙江", "广东", "四川", "湖北", "河南", "福建", "辽宁", "甘肃", "上海", "天津"]
PROVINCES_EN = ["Yunnan", "Jiangsu", "Shandong", "Zhejiang", "Guangdong", "Sichuan", "Hubei", "Henan", "Fujian",
                "Liaoning", "Gansu", "Shanghai", "Tianjin"]
LEVELS_ZH = ["基础级", "先进级", "卓越级", "领航级"]
LEVELS_EN = ["basic", "advanced", "premium", "pilot"]
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]|[^.!?]+[.!?](?=\s|$)")
_YEAR = re.compile(r"20[12]\d")
_NUMBER = re.compile(r"(?<![\d-])\d{1,3}(?![\d-])")


@dataclass(frozen=True)
class SynthChunk:
    chunk_id: str
    doc_id: str
    anchor: str
    language: str
    heading: str
    text: str


def _sentences() -> dict[str, list[str]]:
    documents, _ = load_documents(discover_files([PROJECT_ROOT / "corpus"]))
    pools: dict[str, list[str]] = {"zh": [], "en": []}
    for document in documents:
        for section in document.sections:
            for sentence in _SENTENCE.findall(section.text):
                sentence = " ".join(sentence.split())
                if 12 <= len(sentence) <= 240:
                    pools["en" if document.language == "en" else "zh"].append(sentence)
    return pools


def _vary(sentence: str, language: str, rng: random.Random) -> str:
    provinces, levels = (PROVINCES_EN, LEVELS_EN) if language == "en" else (PROVINCES_ZH, LEVELS_ZH)
    for name in provinces:
        if name in sentence:
            sentence = sentence.replace(name, rng.choice(provinces))
    for name in levels:
        if name in sentence and rng.random() < 0.5:
            sentence = sentence.replace(name, rng.choice(levels))
    sentence = _YEAR.sub(lambda _: str(rng.randint(2018, 2030)), sentence)
    return _NUMBER.sub(lambda m: str(max(1, int(m.group()) + rng.randint(-3, 9))), sentence)


def generate(count: int, seed: int = 7) -> Iterator[SynthChunk]:
    rng = random.Random(seed)
    pools = _sentences()
    for i in range(count):
        language = "en" if rng.random() < 0.45 else "zh"
        pool = pools[language]
        picked = [_vary(rng.choice(pool), language, rng) for _ in range(rng.randint(2, 4))]
        doc = i // 40  # 40 sections to a synthetic document, like a long provincial notice
        heading = f"第{i % 40 + 1}条" if language == "zh" else f"Article {i % 40 + 1}"
        yield SynthChunk(
            chunk_id=f"synth-{doc:05d}#s{i % 40 + 1}#0",
            doc_id=f"synth-{doc:05d}",
            anchor=f"s{i % 40 + 1}",
            language=language,
            heading=heading,
            text=("" if language == "zh" else " ").join(picked),
        )


def write_markdown(chunks: Iterator[SynthChunk], out: Path) -> int:
    """One Markdown document per synthetic doc id, in the corpus's front-matter format; returns files written."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {}
    for chunk in chunks:
        lines = files.setdefault(
            chunk.doc_id,
            [f"---\nid: {chunk.doc_id}\ntitle: {chunk.doc_id}\nlanguage: {chunk.language}\nkind: notice\n---\n",
             f"# {chunk.doc_id}\n"],
        )
        lines.append(f"\n## {chunk.heading} {{#{chunk.anchor}}}\n\n{chunk.text}\n")
    for doc_id, lines in files.items():
        (out / f"{doc_id}.md").write_text("".join(lines), encoding="utf-8")
    return len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    written = write_markdown(generate(args.chunks, args.seed), args.out)
    print(f"wrote {args.chunks} sections in {written} documents to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
