"""What each fuzz target does with one input. A target raises only on a bug: an exception out of sipscope, an
internal error (the pipelines run strict), or an accounting that does not add up. The regression tests run every
saved crash input through the same functions (``tests/test_fuzz_regressions.py``)."""

from __future__ import annotations

from sipscope.analysis.analyzer import Analyzer
from sipscope.pipeline import Pipeline
from sipscope.testing import parse_both

from .inputs import frames_records, tcp_records


def parser(data: bytes) -> None:
    """The SIP parser, as a datagram and as a stream message, and every view of what it parsed."""
    parse_both(data)


def frames(data: bytes) -> None:
    """The frame decoder (every link type, tunnel and fragment path) and the analysis of what it finds."""
    _run(Pipeline(strict=True), frames_records(data))


def tcp(data: bytes) -> None:
    """The TCP reassembler and the stream framer, on segments cut, reordered, repeated and lost at will."""
    limits, records = tcp_records(data)
    _run(Pipeline(limits, strict=True), records)


def _run(pipeline: Pipeline, records: list) -> None:
    analyzer = Analyzer(details=True, flow=True)
    for message in pipeline.run(records):
        message.check()
        analyzer.feed(message)
    analyzer.finish(pipeline.end_ts)
    accounting = pipeline.accounting
    if sum(accounting.by_category.values()) != accounting.frames_read or accounting.frames_read != len(records):
        raise AssertionError(f"accounting does not add up: {dict(accounting.by_category)} for {len(records)} frames")


TARGETS = {"parser": parser, "frames": frames, "tcp": tcp}
