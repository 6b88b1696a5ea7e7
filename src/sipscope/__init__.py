"""sipscope: find every SIP message in a packet capture, and what went wrong with the calls.

``ingest(paths)`` is the library entry point of the ingestion stage: iterate it for the messages, then read its
``summary()``. Importing the package loads nothing heavy and has no side effects.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "ingest"]


def ingest(paths, limits=None, strict: bool = False):
    """An ``Ingestion`` of the capture files ``paths`` (merged in time order; ``"-"`` is standard input).

    Raises ``sipscope.capture.files.CaptureError`` at once for a file that is not a capture.
    """
    from .pipeline import Ingestion

    return Ingestion(paths, limits, strict)
