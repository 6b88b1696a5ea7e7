"""The ``sipscope`` command: arguments, output sinks and exit codes. Nothing imports this module.

Exit codes: 0 success; 2 usage or input error (a file that is not a capture); 3 internal error (a bug: it was
recorded with its frame number and the rest of the capture was still read).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import gc
import json
import os
import sys
import traceback

from . import __version__
from .knowledge import LANGUAGES
from .pipeline import Limits
from .text import printable

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
ANALYZE_EXIT_CODES = ("exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or input "
                      "error, 3 internal error (a bug; the rest of the capture was still read)")
FEW_CALLS = 5  # up to this many Call-IDs, the report draws every one's ladder
MAX_LADDERS = 20  # beyond, the ladders of the first calls with problems, at most this many
FLUSH_EVERY = 1 << 20  # characters of output gathered per write() call
PARALLEL_FROM = 16 << 20  # bytes of capture from which --jobs auto uses two processes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sipscope",
        description="Offline SIP capture analyzer. 'sipscope CAPTURE...' analyzes the captures (the analyze "
                    "command); 'sipscope analyze --help' lists its options.",
        epilog=ANALYZE_EXIT_CODES + "; for the other commands 0 is success",
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
        help="the default command: correlate the messages into calls, transactions, dialogs and subscriptions, "
             "and report what is wrong",
        description="Correlate every SIP message of the captures and report the calls, their flows and the "
                    "findings. 'sipscope CAPTURE...' is the same as 'sipscope analyze CAPTURE...'.",
        epilog=ANALYZE_EXIT_CODES,
    )
    _input_arguments(analyze, "processes to use, each analysing a share of the Call-IDs (one for --json, --html, "
                              "--write, the diagrams and --call N)")
    _analyze_arguments(analyze)
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


def _analyze_arguments(analyze) -> None:
    output = analyze.add_argument_group("output")
    output.add_argument("--json", action="store_true",
                        help="one JSON document on standard output instead of the report (docs/analysis-json.md)")
    output.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page")
    output.add_argument("--csv", metavar="FILE", help="also write the calls table as CSV")
    output.add_argument("--write", metavar="FILE", help="also write a capture holding exactly the frames of the "
                                                        "selected calls (pcap; pcapng when link types differ)")
    output.add_argument("--mermaid", action="store_true", help="print one call's ladder as a Mermaid sequence "
                                                                "diagram instead of the report (see --call)")
    output.add_argument("--plantuml", action="store_true", help="print one call's ladder as a PlantUML sequence "
                                                                 "diagram instead of the report (see --call)")
    output.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of the knowledge texts and the report's labels (default: en)")
    flows = analyze.add_argument_group("call flows")
    flows.add_argument("--call", metavar="CALL", help="report only this call, with its ladder diagram: its number "
                                                      "in the calls table, or its Call-ID")
    flows.add_argument("--ladder", action="store_true",
                       help="draw every selected call's ladder (by default: every call when there are at most "
                            f"{FEW_CALLS}, else those with problems, at most {MAX_LADDERS})")
    select = analyze.add_argument_group("selection (a value of any one of them may match; every option must)")
    select.add_argument("--call-id", action="append", default=[], metavar="ID", help="calls with this Call-ID")
    select.add_argument("--user", action="append", default=[], metavar="USER",
                        help="calls whose From, To or Request-URI user is USER (a number matches by its last "
                             "digits)")
    select.add_argument("--ip", action="append", default=[], metavar="ADDRESS",
                        help="calls with a message from or to this address or network (10.0.0.0/8)")
    select.add_argument("--from", dest="since", metavar="TIME",
                        help="calls still going at TIME: seconds from the capture's start, or ISO 8601 (UTC "
                             "unless it names a zone)")
    select.add_argument("--to", dest="until", metavar="TIME", help="calls begun by TIME (as --from)")
    select.add_argument("--method", action="append", default=[], metavar="METHOD",
                        help="calls with a request of this method")
    select.add_argument("--status", action="append", default=[], metavar="CODE",
                        help="calls with a response of this code (486) or class (4xx)")
    select.add_argument("--problems", action="store_true", help="only calls with findings at warning or above")
    select.add_argument("--ignore", action="append", default=[], metavar="ID",
                        help="drop findings with this id (shell patterns allowed: 'response.*')")
    analyze.add_argument("--fail-on", choices=("error", "warning", "info", "never"), default="error",
                         help="exit with 1 when a finding at this severity or above is reported (default: error)")


def _input_arguments(command, jobs_help: str) -> None:
    """The captures and the options of every command that reads them."""
    command.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap or pcapng file, gzip or not; - for stdin")
    command.add_argument("--strict", action="store_true", help="stop at the first internal error (for debugging)")
    command.add_argument(
        "--jobs", type=int, default=0, metavar="N",
        help=f"{jobs_help} (default: 2 for captures over 16 MB on a machine with 2 or more CPUs, else 1)",
    )
    engine = command.add_argument_group("the tshark engine (needs tshark, and pyshark: pip install 'sipscope[tshark]')")
    engine.add_argument("--engine", choices=("auto", "native", "tshark"), default="auto",
                        help="read the capture with sipscope's own decoder (native), or with tshark: Wireshark's "
                             "reassembly and TLS decryption, then sipscope's parser and analysis. auto (the "
                             "default) is native, and says how many frames tshark might read that it could not")
    engine.add_argument("--tls-keylog", metavar="FILE", help="TLS session keys (SSLKEYLOGFILE) for --engine tshark")
    engine.add_argument("--decode-as", action="append", default=[], metavar="RULE",
                        help="Wireshark decode-as for --engine tshark, e.g. 'tls.port==5071,sip' (repeatable)")
    engine.add_argument("--display-filter", metavar="FILTER",
                        help="only the frames this Wireshark display filter keeps (--engine tshark)")
    command.add_argument(
        "--limit", action="append", default=[], metavar="NAME=N", type=_limit,
        help="bound what is held in memory; each limit hit is counted in the report. NAME (default): "
             + ", ".join(f"{name} ({getattr(Limits(), field):,})" for name, field in LIMITS.items()),
    )


COMMANDS = ("analyze", "messages", "explain", "compare")
LIMITS = {"message-bytes": "max_message", "header-bytes": "max_header", "tcp-streams": "max_tcp_streams",
          "tcp-buffer": "max_tcp_waiting", "ip-datagrams": "max_ip_datagrams", "open-calls": "max_open_calls",
          "transactions": "max_transactions", "dialogs": "max_dialogs", "headers": "max_headers"}


def _limit(text: str) -> tuple[str, int]:
    """``NAME=N`` of ``--limit`` as ``(Limits field, N)``."""
    name, _equals, value = text.partition("=")
    if name not in LIMITS:
        raise argparse.ArgumentTypeError(f"unknown limit {name!r} (one of {', '.join(LIMITS)})")
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{name} must be a whole number of at least 1, not {value!r}")
    return LIMITS[name], int(value)


def _limits(args) -> Limits:
    return dataclasses.replace(Limits(), **dict(args.limit))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "analyze")  # sipscope CAPTURE... is sipscope analyze CAPTURE...
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
    except Exception as exc:  # noqa: BLE001 - a bug: one line and exit code 3, the traceback only with --strict
        if getattr(args, "strict", False):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"sipscope: internal error (a bug, please report it): {type(exc).__name__}: {printable(str(exc))} "
              f"(at {os.path.basename(where.filename)}:{where.lineno}; --strict shows where)", file=sys.stderr)
        return EXIT_INTERNAL


def _jobs(args) -> int:
    if "-" in args.captures or args.engine == "tshark":
        return 1  # standard input can be read once, by one process; tshark reads the capture once
    if args.jobs:
        return max(1, args.jobs)
    if (os.cpu_count() or 1) < 2:
        return 1
    return 2 if sum(os.path.getsize(path) for path in args.captures) >= PARALLEL_FROM else 1


def _open(args):
    """The ``Ingestion`` of the captures, or None after a one-line error; every input is checked before any
    output."""
    from .capture.files import CaptureError
    from .capture.tshark import Options, TsharkError, TsharkIngestion
    from .pipeline import Ingestion

    tshark_only = [name for name, value in (("--tls-keylog", args.tls_keylog), ("--decode-as", args.decode_as),
                                            ("--display-filter", args.display_filter)) if value]
    try:
        if args.engine == "tshark":
            return TsharkIngestion(args.captures, Options(args.tls_keylog, tuple(args.decode_as), args.display_filter),
                                   _limits(args), args.strict)
        if tshark_only:
            print(f"sipscope: {', '.join(tshark_only)} needs --engine tshark", file=sys.stderr)
            return None
        return Ingestion(args.captures, _limits(args), strict=args.strict)
    except (CaptureError, TsharkError) as exc:
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
        lines, summary = parallel_lines(args.captures, make_formatter, jobs, args.strict, ingestion.pipeline.limits)
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
    from .report.select import SelectionError

    try:
        selection = _selection(args)
    except SelectionError as exc:
        print(f"sipscope: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if args.write and "-" in args.captures:
        print("sipscope: --write reads the captures a second time, which standard input cannot do", file=sys.stderr)
        return EXIT_INPUT
    ingestion = _open(args)
    if ingestion is None:
        return EXIT_INPUT
    if args.write and ingestion.files[0].format not in ("pcap", "pcapng"):
        print(f"sipscope: --write copies frames from pcap and pcapng files, not from a {ingestion.files[0].format} "
              "file", file=sys.stderr)
        return EXIT_INPUT
    from .knowledge import Knowledge

    knowledge = Knowledge(args.lang)
    if args.json:
        return _analyze_json(ingestion, knowledge, selection, args.fail_on)
    from .parallel import WorkerError, analyze_calls, analyze_messages
    from .report.collect import Collector

    number = int(args.call) if args.call and args.call.isdigit() else None
    if args.call and number is None:
        selection.call_ids.append(args.call)
    diagram = args.mermaid or args.plantuml
    single = number is not None or args.html or args.write or diagram
    writer = table = None
    if not diagram:
        from .report import terminal

        writer = terminal.Writer(terminal.make_console(sys.stdout))
        table = terminal.CallsTable(writer.width)
    if args.ladder or args.call or diagram:
        make_collector = functools.partial(Collector, selection, ladders="all", raw=bool(args.html),
                                           frames=bool(args.write), table=table)
    else:
        if args.html:
            from .report.html import FEW as HTML_LADDERS

            few = first = HTML_LADDERS
        else:
            few, first = FEW_CALLS, MAX_LADDERS
        make_collector = functools.partial(Collector, selection, few=few, first=first, raw=bool(args.html),
                                           frames=bool(args.write), table=table)
    try:
        with _progress(ingestion.files) as progress:
            if args.engine == "tshark":
                result, collector = analyze_messages(ingestion, ingestion.pipeline, ingestion.summary, make_collector)
            else:
                result, collector = analyze_calls(ingestion.files, make_collector, 1 if single else _jobs(args),
                                                  args.strict, ingestion.pipeline.limits, progress=progress)
    except WorkerError as exc:  # --strict stopped a worker at an internal error
        print(f"sipscope: internal error in a worker process:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if number is not None:
        collector = collector.narrowed(number)
        if collector is None:
            print(f"sipscope: there is no call {number} in the calls table", file=sys.stderr)
            return EXIT_INPUT
    if diagram:
        if not _print_diagram(collector, knowledge, "mermaid" if args.mermaid else "plantuml"):
            return EXIT_INPUT
    else:
        _write_reports(args, writer, result, collector, knowledge)
    if result.capture["internal_errors"]:
        return EXIT_INTERNAL
    return _findings_exit({severity for severity, _id in collector.findings.counts}, args.fail_on)


def _selection(args):
    from .report.select import Selection, parse_network, parse_status, parse_time

    return Selection(
        call_ids=list(args.call_id), users=list(args.user), networks=[parse_network(ip) for ip in args.ip],
        since=None if args.since is None else parse_time(args.since),
        until=None if args.until is None else parse_time(args.until),
        methods={method.upper() for method in args.method}, statuses=[parse_status(s) for s in args.status],
        problems=args.problems, ignore=list(args.ignore),
    )


def _progress(files):
    """A progress bar on stderr while the captures are read, when stderr is a terminal: a context giving the
    function to call now and then, or None."""
    total = sum(os.path.getsize(f.path) for f in files if f.path != "-")
    if not sys.stderr.isatty() or not total:
        return contextlib.nullcontext(None)
    return _progress_bar(files, total)


@contextlib.contextmanager
def _progress_bar(files, total: int):
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress("reading", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading", total=total)
        yield lambda: bar.update(task, completed=sum(f.position() or 0 for f in files))


def _print_diagram(collector, knowledge, kind: str) -> bool:
    """Print the first selected call's ladder as Mermaid or PlantUML text; False when no call was selected."""
    from .report import diagram, ladder

    flows = collector.kept_flows()
    first = next(flows, None)
    if first is None:
        print("sipscope: no call was selected, so there is no diagram to draw", file=sys.stderr)
        return False
    _key, summary, findings = first
    if next(flows, None) is not None:
        print(f"sipscope: {collector.calls} calls were selected; drawing the first, Call-ID "
              f"{printable(summary['call_id'])} (choose one with --call)", file=sys.stderr)
    drawing = ladder.build(summary, findings, knowledge)
    sys.stdout.write(diagram.mermaid(drawing) if kind == "mermaid" else diagram.plantuml(drawing))
    sys.stdout.flush()
    return True


def _write_reports(args, writer, result, collector, knowledge) -> None:
    """The terminal report (to ``writer``), and the files asked for."""
    from .report import terminal

    if args.csv:
        from .report.csv_table import write_csv

        write_csv(args.csv, collector, result.capture)
    if args.write:
        from .capture.export import write_frames

        write_frames(args.write, args.captures, collector.frames)
    if args.html:
        from .report.html import write_html

        write_html(args.html, result, collector, knowledge)
    terminal.render(writer, result.capture, collector, knowledge,
                    ladders="all" if args.ladder or args.call else "auto", analyzer_stats=result.stats,
                    linked=result.links.groups(), few=FEW_CALLS, max_ladders=MAX_LADDERS,
                    tshark_hint=args.engine == "auto")


def _findings_exit(severities, fail_on: str) -> int:
    """The exit code for findings of these ``severities``."""
    from .analysis.analyzer import SEVERITY_ORDER

    if fail_on == "never":
        return EXIT_OK
    rank = SEVERITY_ORDER[fail_on]
    return EXIT_FINDINGS if any(SEVERITY_ORDER[severity] <= rank for severity in severities) else EXIT_OK


def _analyze_json(ingestion, knowledge, selection, fail_on: str) -> int:
    from .parallel import bounded_analyzer, feed_all
    from .report.analysis_json import JsonReport

    report = JsonReport(sys.stdout, knowledge, selection, lambda: ingestion.pipeline.start_ts)
    analyzer = bounded_analyzer(ingestion.pipeline, on_call=report.call, on_transaction=report.transaction,
                                details=True, flow=selection.active)
    feed_all(ingestion, analyzer, ingestion.pipeline, each=report.message)
    capture = ingestion.summary()
    report.finish(capture, analyzer)
    sys.stdout.flush()
    if capture["internal_errors"]:
        return EXIT_INTERNAL
    return _findings_exit({finding.severity for finding in report.findings}, fail_on)


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
