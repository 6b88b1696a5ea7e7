"""Captures cut the ways the field cuts them (property tests, hypothesis).

- A capture split at record boundaries into several files (a rotating tcpdump) gives the same messages as the
  whole, whatever the boundaries.
- A capture cut at any byte (a full disk, a copy stopped halfway) gives every message whose frames all came before
  the cut, says where the file stopped, and every frame read is still accounted for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipscope.capture.files import CaptureError, CaptureFile
from sipscope.pipeline import Ingestion

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CAPTURES = [SAMPLES / "basic-call-tcp.pcap", SAMPLES / "refer-transfer-udp.pcap"]
PCAP_HEADER, RECORD_HEADER = 24, 16
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def messages(paths) -> tuple[list[tuple], dict]:
    """What matters of each message (frames, start line, Call-ID, CSeq), and the summary."""
    ingestion = Ingestion([str(p) for p in paths], strict=True)
    found = [(m.frames, m.start_line, m.call_id, m.cseq_number, m.cseq_method) for m in ingestion]
    return found, ingestion.summary()


def record_ends(data: bytes) -> list[int]:
    """The offset just after each record of a little-endian pcap file."""
    ends, pos = [], PCAP_HEADER
    while pos + RECORD_HEADER <= len(data):
        pos += RECORD_HEADER + int.from_bytes(data[pos + 8 : pos + 12], "little")
        ends.append(pos)
    return ends


@SETTINGS
@given(capture=st.sampled_from(CAPTURES), data=st.data())
def test_a_capture_split_into_files_at_record_boundaries_gives_the_same_messages(capture, data, tmp_path_factory):
    raw = capture.read_bytes()
    ends = record_ends(raw)
    cuts = sorted(data.draw(st.sets(st.sampled_from(ends[:-1]), max_size=4)))
    folder = tmp_path_factory.mktemp("split")
    parts, start = [], PCAP_HEADER
    for i, end in enumerate([*cuts, len(raw)]):
        part = folder / f"part{i}.pcap"
        part.write_bytes(raw[:PCAP_HEADER] + raw[start:end])
        parts.append(part)
        start = end
    whole, whole_summary = messages([capture])
    split, split_summary = messages(parts)
    assert split == whole
    assert split_summary["by_category"] == whole_summary["by_category"]


@SETTINGS
@given(capture=st.sampled_from(CAPTURES), data=st.data())
def test_a_capture_cut_at_any_byte_gives_every_message_before_the_cut(capture, data, tmp_path_factory):
    raw = capture.read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1))
    path = tmp_path_factory.mktemp("cut") / "cut.pcap"
    path.write_bytes(raw[:cut])
    whole, _summary = messages([capture])
    complete_records = sum(1 for end in record_ends(raw) if end <= cut)
    if cut < 4:  # not even the magic number: not a capture, which the command says in one line (exit code 2)
        with pytest.raises(CaptureError):
            CaptureFile(str(path))
        return
    found, summary = messages([path])
    before = [m for m in whole if max(m[0]) <= complete_records]
    assert found[: len(before)] == before
    assert len(found) <= len(before) + 1  # and at most the message of the record the cut went through
    assert sum(summary["by_category"].values()) == summary["frames"]
    assert summary["by_category"]["malformed"] == 0  # the frame the cut went through is cut short, not malformed
    notes = [note for f in summary["files"] for note in f["notes"]]
    if cut not in (PCAP_HEADER, *record_ends(raw)):
        assert any("the file" in note and ("ends inside" in note or "cut short" in note) for note in notes), notes
