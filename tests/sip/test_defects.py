"""The defect registry and the code agree: every id the code emits is registered, and every registered id is used."""

from __future__ import annotations

import re
from pathlib import Path

from sipscope.sip.defects import DEFECTS, ERROR, INFO, WARNING

SOURCE = Path(__file__).resolve().parents[2] / "src" / "sipscope"


def test_registry_matches_the_code():
    emitted = set()
    for path in SOURCE.rglob("*.py"):
        if path.name != "defects.py":
            emitted |= set(re.findall(r'"(sip\.[a-z0-9_]+\.[a-z0-9_]+)"', path.read_text()))
    assert emitted == set(DEFECTS)


def test_ids_are_dotted_lowercase_with_a_severity():
    for defect_id, (severity, meaning) in DEFECTS.items():
        assert re.fullmatch(r"sip(\.[a-z0-9_]+)+", defect_id)
        assert severity in (ERROR, WARNING, INFO)
        assert meaning
