"""sipscope: find every SIP message in a packet capture, and what went wrong with the calls.

``analyze(paths)`` reads captures and correlates their messages into calls, transactions and findings;
``ingest(paths)`` is the ingestion stage alone: iterate it for the messages, then read its ``summary()``.
Importing the package loads nothing heavy and has no side effects.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "ingest"]


def ingest(paths, limits=None, strict: bool = False):
    """An ``Ingestion`` of the capture files ``paths`` (merged in time order; ``"-"`` is standard input).

    Raises ``sipscope.capture.files.CaptureError`` at once for a file that is not a capture.
    """
    from .pipeline import Ingestion

    return Ingestion(paths, limits, strict)


def analyze(paths, limits=None, strict: bool = False):
    """The ``Analysis`` of the capture files ``paths``: calls, transactions, findings and stats, all in memory
    (``sipscope analyze`` streams them instead), with the ingestion's ``summary()`` as ``analysis.capture``."""
    from .analysis.analyzer import analyze_messages

    ingestion = ingest(paths, limits, strict)
    analysis = analyze_messages(list(ingestion), ingestion.pipeline.end_ts)
    analysis.capture = ingestion.summary()
    return analysis
