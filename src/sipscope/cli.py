"""The ``sipscope`` command: arguments, output sinks and exit codes. Nothing imports this module.

Exit codes: 0 success; 2 usage or input error (a file that is not a capture); 3 internal error (a bug: it was
recorded with its frame number and the rest of the capture was still read).
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

EXIT_OK, EXIT_INPUT, EXIT_INTERNAL = 0, 2, 3
FLUSH_EVERY = 2000  # lines written per write() call


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
    messages.add_argument("captures", nargs="+", metavar="CAPTURE", help="pcap or pcapng file, gzip or not; - for stdin")
    messages.add_argument("--json", action="store_true", help="JSON lines: one per message, then a summary line")
    messages.add_argument("--strict", action="store_true", help="stop at the first internal error (for debugging)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_messages(args)
    except BrokenPipeError:
        # The reader went away (sipscope ... | head): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def run_messages(args) -> int:
    from .capture.files import CaptureError
    from .pipeline import Ingestion
    from .report import messages as listing

    try:
        ingestion = Ingestion(args.captures, strict=args.strict)
    except CaptureError as exc:
        print(f"sipscope: {exc}", file=sys.stderr)
        return EXIT_INPUT
    out = sys.stdout
    lines: list[str] = []
    if args.json:
        format_line = listing.json_line
    else:
        t0 = None

        def format_line(message):
            nonlocal t0
            if t0 is None:
                t0 = message.time
            return listing.text_line(message, t0)

    for message in ingestion:
        lines.append(format_line(message))
        if len(lines) >= FLUSH_EVERY:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))
    summary = ingestion.summary()
    out.write(listing.summary_json_line(summary) if args.json else listing.summary_text(summary))
    out.flush()
    return EXIT_INTERNAL if summary["internal_errors"] else EXIT_OK
