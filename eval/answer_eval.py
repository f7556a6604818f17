"""Answer benchmark: the chat dev set scored deterministically, and an HTML report with plots.

    .venv/bin/python eval/answer_eval.py [--report eval/reports/answers.html] [--show-failures]

Each question passes when the status is the expected one, every must_include fact is in the answer, at least
one must_include_any fact is (when listed), no must_not_include fact is, every [n] resolves to a citation and
every citation's quote is found verbatim in its corpus section. Walkthroughs pass when every turn's status and
the last turn's facts match. Prints scores by category and language and the answer latency percentiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loopback import percentile

from assistant.chat.citations import validate
from assistant.chat.models import ChatRequest, ChatResponse
from assistant.chat.service import ChatService
from assistant.eligibility.service import checker_for
from assistant.retrieval import HybridRetriever, build_index, make_embedder
from assistant.settings import get_settings
from assistant.store import ConversationStore

DATASET = Path(__file__).resolve().parent / "datasets" / "answers.yaml"
TODAY = dt.date(2026, 11, 25)
_MARKER = re.compile(r"\[(\d{1,2})\]")


def judge(response: ChatResponse, expect: dict[str, Any], chat: ChatService) -> list[str]:
    problems = []
    if expect.get("status") and response.status != expect["status"]:
        problems.append(f"status {response.status} != {expect['status']}")
    if expect.get("lang") and response.language != expect["lang"]:
        problems.append(f"language {response.language} != {expect['lang']}")
    answer = response.answer
    for fact in expect.get("must_include") or []:
        if str(fact) not in answer:
            problems.append(f"missing {fact!r}")
    any_of = expect.get("must_include_any") or []
    if any_of and not any(str(f) in answer for f in any_of):
        problems.append(f"none of {any_of!r}")
    for fact in expect.get("must_not_include") or []:
        if str(fact) in answer:
            problems.append(f"wrongly says {fact!r}")
    problems += validate(answer, response.citations, chat.checker.catalog)
    return problems


def citation_stats(responses: list[ChatResponse], chat: ChatService) -> tuple[int, int, int, int]:
    markers = resolved = quotes = verbatim = 0
    for response in responses:
        numbers = {c.n for c in response.citations}
        for marker in _MARKER.findall(response.answer):
            markers += 1
            resolved += int(marker) in numbers
        for citation in response.citations:
            quotes += 1
            verbatim += citation.quote in chat.checker.catalog.section_text(f"{citation.doc_id}#{citation.section}")
    return markers, resolved, quotes, verbatim



def bar_chart(title: str, rows: list[tuple[str, float, int]]) -> str:
    """An inline SVG bar chart of pass rates (no plotting library needed)."""
    width, bar_h, left = 560, 22, 170
    height = 40 + bar_h * len(rows)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}">',
             f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, rate, n) in enumerate(rows):
        y = 30 + i * bar_h
        w = (width - left - 80) * rate
        colour = "#1b7f3b" if rate >= 0.95 else "#b26b00" if rate >= 0.8 else "#b00020"
        parts += [f'<text x="0" y="{y + 15}">{html.escape(label)}</text>',
                  f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="{colour}"/>',
                  f'<text x="{left + w + 6:.1f}" y="{y + 15}">{rate:.0%} (n={n})</text>']
    parts.append("</svg>")
    return "".join(parts)


def histogram(title: str, values: list[float], bins: int = 20) -> str:
    width, height, left, bottom = 560, 220, 40, 30
    top = max(values) if values else 1
    step = top / bins or 1
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step))] += 1
    peak = max(counts) or 1
    bar_w = (width - left - 10) / bins
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for i, count in enumerate(counts):
        h = (height - bottom - 30) * count / peak
        parts.append(f'<rect x="{left + i * bar_w:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - 2:.1f}" '
                     f'height="{h:.1f}" fill="#0b5cad"/>')
    parts.append(f'<text x="{left}" y="{height - 8}">0 ms</text>'
                 f'<text x="{width - 90}" y="{height - 8}">{top:.0f} ms</text></svg>')
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", default=str(Path(__file__).resolve().parent / "reports" / "answers.html"))
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()

    settings = get_settings()
    build_index(settings)
    data = yaml.safe_load(DATASET.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as directory:
        chat = ChatService(checker_for(settings.corpus_dir),
                           HybridRetriever(settings.index_root, make_embedder(settings)),
                           ConversationStore(f"sqlite:///{directory}/eval.sqlite3"), today=lambda: TODAY)
        ask = lambda message, **kw: chat.answer(ChatRequest(message=message, **kw))  # noqa: E731
        ask("预热 warm up 先进级")
        results: list[dict[str, Any]] = []
        responses: list[ChatResponse] = []
        latencies: list[float] = []
        for item in data["questions"]:
            started = time.perf_counter()
            response = ask(item["q"], province=item.get("province"))
            latencies.append((time.perf_counter() - started) * 1000)
            responses.append(response)
            problems = judge(response, item, chat)
            results.append({"id": item["id"], "category": item["category"], "lang": item["lang"], "q": item["q"],
                            "answer": response.answer, "problems": problems})
        for walk in data.get("walkthroughs", []):
            conversation = None
            problems: list[str] = []
            last: ChatResponse | None = None
            for turn in walk["turns"]:
                started = time.perf_counter()
                last = ask(turn["user"], conversation_id=conversation, province=walk.get("province"))
                latencies.append((time.perf_counter() - started) * 1000)
                responses.append(last)
                conversation = last.conversation_id
                if turn.get("status") and last.status != turn["status"]:
                    problems.append(f"turn {turn['user'][:12]!r}: status {last.status} != {turn['status']}")
                expect = {k: v for k, v in turn.items() if k != "status"} | {"lang": walk["lang"]}
                problems += [f"turn {turn['user'][:12]!r}: {p}" for p in judge(last, expect, chat)]
            results.append({"id": walk["id"], "category": "walkthrough", "lang": walk["lang"],
                            "q": " → ".join(t["user"] for t in walk["turns"]),
                            "answer": last.answer if last else "", "problems": problems})

    by_category: dict[str, list[bool]] = defaultdict(list)
    by_language: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        ok = not result["problems"]
        by_category[result["category"]].append(ok)
        by_language[result["lang"]].append(ok)
    total = sum(not r["problems"] for r in results)
    print(f"answer dev set: {len(data['questions'])} questions + {len(data.get('walkthroughs', []))} walkthroughs")
    print(f"{'category':<16}{'n':>5}{'pass':>6}{'rate':>8}")
    for category, oks in sorted(by_category.items()):
        print(f"{category:<16}{len(oks):>5}{sum(oks):>6}{sum(oks) / len(oks):>8.1%}")
    for language, oks in sorted(by_language.items()):
        print(f"  {language}: {sum(oks)}/{len(oks)} ({sum(oks) / len(oks):.1%})")
    print(f"overall: {total}/{len(results)} ({total / len(results):.1%})")
    markers, resolved, quotes, verbatim = citation_stats(responses, chat)
    print(f"citations: {resolved}/{markers} markers resolve; {verbatim}/{quotes} quotes found verbatim")
    refusals = [r for r in results if r["category"] in ("out_of_scope", "injection")]
    print(f"out-of-scope + injection refused: {sum(not r['problems'] for r in refusals)}/{len(refusals)}")
    print(f"answer latency in-process ({len(latencies)} turns): p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {percentile(latencies, 95):.1f} ms")
    if args.show_failures:
        for result in results:
            if result["problems"]:
                print(f"  FAIL {result['id']}: {result['problems'][:3]}\n       {result['answer'][:160]}")

    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(
        f"<tr class={'ok' if not r['problems'] else 'bad'}><td>{html.escape(r['id'])}</td>"
        f"<td>{html.escape(r['q'])}</td><td>{html.escape(r['answer'])}</td>"
        f"<td>{html.escape('; '.join(r['problems']))}</td></tr>"
        for r in sorted(results, key=lambda r: (not r["problems"], r["category"]))
    )
    report.write_text(
        "<!doctype html><meta charset=utf-8><title>Answer evaluation</title>"
        "<style>body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;margin:2rem;max-width:72rem}"
        "td{vertical-align:top;border-top:1px solid #ddd;padding:4px;font-size:.85rem}.bad td{background:#fff1f1}"
        "svg{display:block;margin:1rem 0}</style>"
        f"<h1>Answer evaluation — {total}/{len(results)} pass ({total / len(results):.1%})</h1>"
        f"<p>Citations: {resolved}/{markers} markers resolve, {verbatim}/{quotes} quotes verbatim. "
        f"Latency p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 95):.1f} ms (in-process).</p>"
        + bar_chart("Pass rate by category", [(c, sum(o) / len(o), len(o)) for c, o in sorted(by_category.items())])
        + bar_chart("Pass rate by language", [(la, sum(o) / len(o), len(o)) for la, o in sorted(by_language.items())])
        + histogram("Answer latency (ms)", latencies)
        + f"<table><tr><th>id</th><th>question</th><th>answer</th><th>problems</th></tr>{rows}</table>",
        encoding="utf-8",
    )
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
