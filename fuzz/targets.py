"""What each fuzz target does with one input. A target raises only on a bug: an exception out of sipscope, an
internal error (the pipelines run strict), or an accounting that does not add up. The regression tests run every
saved crash input through the same functions (``tests/test_fuzz_regressions.py``)."""

from __future__ import annotations

from sipscope.analysis.analyzer import Analyzer
from sipscope.testing import ingest, parse_both

from .inputs import frames_records, tcp_records


def parser(data: bytes) -> None:
    """The SIP parser, as a datagram and as a stream message, and every view of what it parsed."""
    parse_both(data)


def frames(data: bytes) -> None:
    """The frame decoder (every link type, tunnel and fragment path) and the analysis of what it finds."""
    _analyze(ingest(recs=frames_records(data)))


def tcp(data: bytes) -> None:
    """The TCP reassembler and the stream framer, on segments cut, reordered, repeated and lost at will."""
    limits, records = tcp_records(data)
    _analyze(ingest(limits=limits, recs=records))


def _analyze(ingested) -> None:
    """Check and analyse the messages a strict ``testing.ingest`` found (it checked the frame accounting)."""
    messages, pipeline = ingested
    analyzer = Analyzer(details=True, flow=True)
    for message in messages:
        message.check()
        analyzer.feed(message)
    analyzer.finish(pipeline.end_ts)


TARGETS = {"parser": parser, "frames": frames, "tcp": tcp}
