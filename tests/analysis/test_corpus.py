"""Every capture of the shared corpus is analyzed without an internal error (strict mode raises them)."""

from __future__ import annotations

import pytest

from sipscope import ingest
from sipscope.analysis.analyzer import analyze_messages
from sipscope.capture.files import CaptureError

from ..corpus import corpus_captures

CAPTURE_PATHS = corpus_captures()


@pytest.mark.skipif(not CAPTURE_PATHS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("path", CAPTURE_PATHS, ids=lambda p: p.name)
def test_capture_analyzes_cleanly(path):
    try:
        ingestion = ingest([path], strict=True)
    except CaptureError:
        pytest.skip("not a capture sipscope reads (see test_corpus_parity)")
    messages = list(ingestion)
    analysis = analyze_messages(messages, ingestion.pipeline.end_ts)
    indices = sorted(i for call in analysis.calls for i in call["messages"])
    with_call_id = [i for i, message in enumerate(messages) if message.call_id is not None]
    assert indices == with_call_id  # every message with a Call-ID belongs to exactly one call
    frames = {frame for message in messages for frame in message.frames}
    for finding in analysis.findings:
        assert set(finding.frames) <= frames, finding  # evidence is always frames that carried SIP
