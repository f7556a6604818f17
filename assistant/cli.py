"""The ``assistant`` command. Bad input gives one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.settings import Settings, get_settings

EXIT_USAGE = 2
EXIT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, not argparse's usage dump
        self.exit(EXIT_USAGE, f"assistant: error: {message} (see `assistant {self.prog.split()[-1]} --help`)\n")


def _progress(total: int, label: str) -> Any:
    from tqdm import tqdm

    print(f"{label} {total} new chunks…", file=sys.stderr, flush=True)
    return tqdm(total=total, desc=label, unit="chunk", file=sys.stderr, disable=None)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.retrieval import build_index

    report = build_index(settings, extra_paths=[Path(p) for p in args.paths], rebuild=args.rebuild, progress=_progress)
    for error in report.errors:
        print(f"assistant: skipped {error}", file=sys.stderr)
    if report.up_to_date:
        print(f"index up to date: {report.documents} documents, {report.chunks} chunks ({report.seconds:.2f} s)")
    else:
        print(
            f"indexed {report.documents} documents, {report.chunks} chunks "
            f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
        )
    return EXIT_ERROR if report.errors and not report.up_to_date else 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.retrieval import HybridRetriever, make_embedder

    if not args.query.strip():
        raise AssistantError("the query is empty")
    if not 1 <= args.k <= settings.search_max_k:
        raise AssistantError(f"-k must be between 1 and {settings.search_max_k}")
    retriever = HybridRetriever(
        settings.index_root,
        make_embedder(settings),
        chroma_url=settings.chroma_url,
        chroma_timeout_seconds=settings.chroma_timeout_seconds,
    )
    passages = retriever.search(args.query, k=args.k, province=args.province)
    if args.json:
        print(json.dumps({"results": [p.model_dump() for p in passages]}, ensure_ascii=False, indent=1))
        return 0
    for rank, passage in enumerate(passages, start=1):
        snippet = " ".join(passage.text.split())[:160]
        print(f"{rank}. [{passage.doc_id}#{passage.section}] {passage.heading}  (score {passage.score:.4f})")
        print(f"   {snippet}")
    if not passages:
        print("no passages found")
    return 0


_STATUS = {
    "held": "已获评 held",
    "eligible": "可申报 eligible",
    "not_eligible": "暂不符合 not eligible",
    "needs_info": "需补充信息 needs info",
}


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from assistant.eligibility.ics import windows_calendar
    from assistant.eligibility.service import checker_for, parse_as_of, read_profile

    profile = read_profile(Path(args.profile))
    as_of = parse_as_of(args.as_of, dt.date.today())  # the clock is read here, at the edge, never in a rule
    result = checker_for(settings.corpus_dir).check(profile, as_of, args.language)
    if args.ics:
        Path(args.ics).write_bytes(windows_calendar(result))
    if args.json:
        print(result.model_dump_json(indent=1))
        return 0
    en = args.language == "en"
    print(
        f"as of {result.as_of} · rulebook {result.rulebook} · province {result.province or '—'}"
        f" · next level {result.next_level or '—'}"
    )
    if result.province_note:
        print(f"  ! {result.province_note}")
    for level in result.levels:
        window = level.next_window
        when = f"{window.start} – {window.end} ({window.confidence})" if window else (level.window_note or "—")
        print(f"\n{level.level:<9} {_STATUS[level.status]}")
        print(f"  certifier: {level.certifier}")
        print(f"  window:    {when}")
        for unmet in level.unmet:
            sources = ", ".join(f"{c.doc_id}#{c.section}" for c in unmet.citations)
            print(f"  ✗ {unmet.message_en if en else unmet.message}  [{unmet.rule}; {sources}]")
        if level.missing:
            print(f"  ? missing: {', '.join(level.missing)}")
        for note in level.notes:
            print(f"  · {note.message_en if en else note.message}")
    if args.ics:
        print(f"\ncalendar written to {args.ics}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from assistant.api.app import build_services
    from assistant.chat.models import ChatRequest
    from assistant.eligibility.service import describe_validation_error

    try:
        request = ChatRequest(message=args.question, province=args.province, language=args.language)
    except ValidationError as error:
        raise AssistantError(describe_validation_error(error)) from error
    if not request.message.strip():
        raise AssistantError("the question is empty")
    if len(request.message) > settings.max_message_chars:
        raise AssistantError(f"the question is longer than {settings.max_message_chars} characters")
    response = build_services(settings).chat.answer(request)
    if args.json:
        print(response.model_dump_json(indent=1))
        return 0
    print(response.answer)
    for citation in response.citations:
        print(f"  [{citation.n}] {citation.title} — {citation.doc_id}#{citation.section}")
    if response.quick_replies:
        print("  » " + " | ".join(response.quick_replies))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Set but empty would make prometheus_client (read when imported) write its files into the working directory.
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    import uvicorn

    from assistant.api.app import create_app
    from assistant.logs import configure_logging
    from assistant.retrieval import build_index, current_build

    configure_logging(settings.log_format)
    if current_build(settings.index_root) is None:
        print("building the search index (first run)…", file=sys.stderr)
        build_index(settings, progress=_progress)
    host, port = args.host or settings.host, args.port or settings.port
    if args.workers < 1:
        raise AssistantError("--workers must be at least 1")
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
        return 0
    # Several processes on one socket. Each worker builds its own app from the same environment; what they must
    # share (conversations, rate limits, index jobs, approved answers) is in the database, the index on disk.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="assistant-metrics-")
    uvicorn.run(
        "assistant.api.app:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_config=None,
        access_log=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="assistant", description="智能工厂梯度培育申报助手 — smart factory certification assistant")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    index = commands.add_parser("index", help="(re)build the search index; unchanged content is skipped")
    index.add_argument("paths", nargs="*", help="extra files or folders to index besides corpus/")
    index.add_argument("--rebuild", action="store_true", help="re-read and re-embed everything")
    index.set_defaults(handler=cmd_index)

    search = commands.add_parser("search", help="the passages retrieval returns, with scores")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    search.add_argument("--province", help="rank this province's documents first (lowercase pinyin)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=cmd_search)

    ask = commands.add_parser("ask", help="one answer, with its sources")
    ask.add_argument("question")
    ask.add_argument("--province", help="lowercase pinyin, e.g. yunnan")
    ask.add_argument("--language", choices=["zh", "en"], help="answer language (default: the question's)")
    ask.add_argument("--json", action="store_true", help="print the ChatResponse as JSON")
    ask.set_defaults(handler=cmd_ask)

    check = commands.add_parser("check", help="eligibility of a profile for each level")
    check.add_argument("profile", help="a profile as YAML or JSON")
    check.add_argument("--as-of", help="the date to judge on, YYYY-MM-DD (default: today)")
    check.add_argument("--language", choices=["zh", "en"], default="zh")
    check.add_argument("--json", action="store_true", help="print the EligibilityResult as JSON")
    check.add_argument("--ics", metavar="FILE", help="also write the next application windows as an .ics file")
    check.set_defaults(handler=cmd_check)

    serve = commands.add_parser("serve", help="build the index if missing, then serve the API and web pages")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args, get_settings()))
    except AssistantError as error:
        print(f"assistant: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("assistant: interrupted", file=sys.stderr)
        return 130
