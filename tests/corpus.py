"""Access to the shared test corpus (../shared/corpus), which tests use when present and skip when not."""

from __future__ import annotations

import os
from pathlib import Path

CORPUS = Path(os.environ.get("SIPSCOPE_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
CAPTURES = CORPUS / "captures"
EXPECTED = CORPUS / "expected"
MESSAGES = CORPUS / "messages"


def corpus_captures() -> list[Path]:
    if not CAPTURES.is_dir():
        return []
    return sorted(p for p in CAPTURES.rglob("*") if p.is_file())


def expected_rows(capture: Path) -> list[tuple[int, str, str, str, str, str]]:
    """tshark's SIP rows for a capture: (frame, method, status, call_id, cseq_number, cseq_method), one per message."""
    tsv = EXPECTED / (str(capture.relative_to(CAPTURES)) + ".tsv")
    rows = []
    for line in tsv.read_text(encoding="utf-8", errors="backslashreplace").splitlines():
        if not line.strip():
            continue
        fields = (line.split("\t") + [""] * 6)[:6]
        frame, columns = int(fields[0]), [f.split(",") for f in fields[1:]]
        count = max(len(c) for c in columns)
        for i in range(count):
            values = [c[i] if i < len(c) else "" for c in columns]
            rows.append((frame, *values))
    return rows
