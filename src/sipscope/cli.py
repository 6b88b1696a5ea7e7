"""The ``sipscope`` command: arguments, output sinks and exit codes. Nothing imports this module.

Exit codes: 0 success; 2 usage or input error (a file that is not a capture); 3 internal error (a bug: it was
recorded with its frame number and the rest of the capture was still read).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import sys

from . import __version__
from .knowledge import LANGUAGES

EXIT_OK, EXIT_INPUT, EXIT_INTERNAL = 0, 2, 3
FLUSH_EVERY = 1 << 20  # characters of output gathered per write() call
PARALLEL_FROM = 16 << 20  # bytes of capture from which --jobs auto uses two processes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sipscope",
        description="Offline SIP capture analyzer: every SIP message in pcap/pcapng captures.",
        epilog="exit codes: 0 success, 2 usage or input error, 3 internal error",
    )
    parser.add_argument("--version", action="version", version=f"sipscope {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    messages = commands.add_parser(
        "messages",
        help="list every SIP message: frames, time, addresses, transport, start line, Call-ID, CSeq",
        description="List every SIP message in the captures (merged in time order), then where every frame went.",
        epilog="exit codes: 0 success, 2 usage or input error, 3 internal error",
    )
    _input_arguments(messages, "processes to use")
    messages.add_argument("--json", action="store_true", help="JSON lines: one per message, then a summary line")
    messages.add_argument(
        "--check", action="store_true",
        help="check every header value and the body too, not only what parsing finds (slower)",
    )
    messages.add_argument(
        "--headers", action="store_true", help="show each message's headers and what they were read as (implies --check)",
    )
    analyze = commands.add_parser(
        "analyze",
        help="correlate the messages into calls, transactions, dialogs and subscriptions, and report what is wrong",
        description="Correlate every SIP message of the captures and report the calls and the findings.",
        epilog="exit codes: 0 success, 2 usage or input error, 3 internal error",
    )
    _input_arguments(analyze, "processes to use for the text report, each analysing a share of the Call-IDs; "
                              "--json uses one")
    analyze.add_argument("--json", action="store_true",
                         help="one JSON document: messages, calls, transactions, findings, stats (docs/analysis-json.md)")
    analyze.add_argument("--lang", choices=LANGUAGES, default="en",
                         help="language of the knowledge texts and the report's headings (default: en)")
    explain = commands.add_parser(
        "explain", help="what a response code, a finding or a defect means, when you see it, how to fix it",
        description="The knowledge-base card of a SIP response code (for a request method, when its meaning "
                    "depends on it), an analysis finding id or a message defect id.",
        epilog="exit codes: 0 success, 2 unknown code or id",
    )
    explain.add_argument("code", metavar="CODE", help="a response code (404), a finding id (ack.missing) or a "
                                                      "defect id (sip.cseq.invalid)")
    explain.add_argument("--method", help="the request's method, for codes whose meaning depends on it (200, 202, "
                                          "481...)")
    explain.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the card (default: en)")
    explain.add_argument("--json", action="store_true", help="the entry as JSON, with the keys the analysis uses")
    compare = commands.add_parser(
        "compare", help="two response codes side by side: how they differ and when to expect which",
        description="A comparison card of two SIP response codes.",
        epilog="exit codes: 0 success, 2 unknown code",
    )
    compare.add_argument("codes", nargs=2, metavar="CODE", help="two response codes")
    compare.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the card (default: en)")
    compare.add_argument("--json", action="store_true", help="the comparison as JSON")
    return parser


def _input_arguments(command, jobs_help: str) -> None:
    """The captures and the options of every command that reads them."""
    command.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap or pcapng file, gzip or not; - for stdin")
    command.add_argument("--strict", action="store_true", help="stop at the first internal error (for debugging)")
    command.add_argument(
        "--jobs", type=int, default=0, metavar="N",
        help=f"{jobs_help} (default: 2 for captures over 16 MB on a machine with 2 or more CPUs, else 1)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The analysis keeps many small objects alive (open calls and their transactions) and makes no reference
    # cycles, so the collector's default thresholds only cost time: a third of an analysis on large captures.
    gc.set_threshold(100_000, 50, 1000)
    try:
        commands = {"analyze": run_analyze, "messages": run_messages, "explain": run_explain,
                    "compare": run_compare}
        return commands[args.command](args)
    except BrokenPipeError:
        # The reader went away (sipscope ... | head): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _jobs(args) -> int:
    if "-" in args.captures:
        return 1  # standard input can be read once, by one process
    if args.jobs:
        return max(1, args.jobs)
    if (os.cpu_count() or 1) < 2:
        return 1
    return 2 if sum(os.path.getsize(path) for path in args.captures) >= PARALLEL_FROM else 1


def _open(args):
    """The ``Ingestion`` of the captures, or None after a one-line error; every input is checked before any
    output."""
    from .capture.files import CaptureError
    from .pipeline import Ingestion

    try:
        return Ingestion(args.captures, strict=args.strict)
    except CaptureError as exc:
        print(f"sipscope: {exc}", file=sys.stderr)
        return None


def run_messages(args) -> int:
    from .report import messages as listing

    ingestion = _open(args)
    if ingestion is None:
        return EXIT_INPUT

    def make_formatter(start_ts):
        if args.json:
            return listing.json_line_with_headers if args.headers else _checked(listing.json_line, args.check)
        text_line = functools.partial(listing.text_line, t0=start_ts)
        if args.headers:
            return _checked(lambda message: text_line(message) + listing.headers_text(message), True)
        return _checked(text_line, args.check)

    jobs = _jobs(args)
    if jobs > 1:
        from .parallel import WorkerError, parallel_lines

        for f in ingestion.files:
            f.close()  # the workers open the files themselves
        lines, summary = parallel_lines(args.captures, make_formatter, jobs, args.strict)
        try:
            return _write_listing(lines, summary, args.json)
        except WorkerError as exc:  # --strict stopped a worker at an internal error
            print(f"sipscope: internal error in a worker process:\n{exc}", file=sys.stderr)
            return EXIT_INTERNAL

    def lines():
        format_line = None
        for message in ingestion:
            if format_line is None:
                format_line = make_formatter(ingestion.pipeline.start_ts)
            yield format_line(message)

    return _write_listing(lines(), ingestion.summary, args.json)


def run_analyze(args) -> int:
    ingestion = _open(args)
    if ingestion is None:
        return EXIT_INPUT
    from .knowledge import Knowledge

    knowledge = Knowledge(args.lang)
    if args.json:
        return _analyze_json(ingestion, knowledge)
    from .parallel import WorkerError, analyze_text
    from .report.analysis_text import render

    try:
        result, rows = analyze_text(ingestion.files, _jobs(args), args.strict)
        stats = result.stats.as_dict()
        _write(render(result.capture, stats, result.links.groups(), result.findings, result.calls, result.others,
                      rows, knowledge))
    except WorkerError as exc:  # --strict stopped a worker at an internal error
        print(f"sipscope: internal error in a worker process:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_INTERNAL if result.capture["internal_errors"] else EXIT_OK


def _analyze_json(ingestion, knowledge) -> int:
    from .analysis.analyzer import Analyzer
    from .report.analysis_json import JsonReport

    report = JsonReport(sys.stdout, knowledge)
    analyzer = Analyzer(on_call=report.call, on_transaction=report.transaction, details=True)
    feed = analyzer.feed
    write = report.message
    for message in ingestion:
        write(message)
        feed(message)
    findings = analyzer.finish(ingestion.pipeline.end_ts)
    capture = ingestion.summary()
    report.finish(capture, analyzer, findings)
    sys.stdout.flush()
    return EXIT_INTERNAL if capture["internal_errors"] else EXIT_OK


def run_explain(args) -> int:
    from .knowledge import Knowledge, UnknownEntry
    from .report import cards

    knowledge = Knowledge(args.lang)
    try:
        entry = knowledge.lookup(args.code.strip(), args.method)
    except UnknownEntry:
        print(f"sipscope: {args.code!r} is neither a response code (100-699) nor a finding or defect id",
              file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        print(json.dumps(entry.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_card(lambda width: cards.explain_card(entry, knowledge, width))
    return EXIT_OK


def run_compare(args) -> int:
    from .knowledge import Knowledge, UnknownEntry
    from .report import cards

    knowledge = Knowledge(args.lang)
    try:
        if not all(code.strip().isdigit() for code in args.codes):
            raise UnknownEntry(args.codes)
        comparison = knowledge.compare(*(int(code) for code in args.codes))
    except UnknownEntry:
        print(f"sipscope: compare takes two response codes (100-699), not {' '.join(args.codes)}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        print(json.dumps(cards.comparison_dict(comparison, knowledge), ensure_ascii=False, indent=2))
    else:
        _print_card(lambda width: cards.compare_card(comparison, knowledge, width))
    return EXIT_OK


def _print_card(make_card) -> None:
    """Print the card ``make_card(width)`` makes for the terminal's width (COLUMNS, or 80 when not a terminal)."""
    from rich.console import Console

    console = Console(highlight=False, emoji=False)
    console.print(make_card(min(console.width, 100)))


def _checked(format_line, check: bool):
    """``format_line``, checking each message fully first when ``check`` is set."""
    if not check:
        return format_line

    def checked(message):
        message.check()
        return format_line(message)

    return checked


def _write(pieces) -> None:
    """Write text pieces (lines, or runs of lines) to stdout, gathered into large writes."""
    out = sys.stdout
    pending: list[str] = []
    size = 0
    for text in pieces:
        pending.append(text)
        size += len(text)
        if size >= FLUSH_EVERY:
            out.write("".join(pending))
            pending.clear()
            size = 0
    out.write("".join(pending))
    out.flush()


def _write_listing(lines, summary, as_json: bool) -> int:
    from .report import messages as listing

    _write(lines)
    result = summary()
    sys.stdout.write(listing.summary_json_line(result) if as_json else listing.summary_text(result))
    sys.stdout.flush()
    return EXIT_INTERNAL if result["internal_errors"] else EXIT_OK
