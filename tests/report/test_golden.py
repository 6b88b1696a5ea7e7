"""The terminal report of every sample, at 100 columns with colors off, against its golden copy.

Regenerate with ``SIPSCOPE_UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.cells import cell_len

from sipscope.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples").glob("*.pcap"))
GOLDEN = ROOT / "tests" / "golden" / "report"


def report(capsys, monkeypatch, *args) -> str:
    monkeypatch.chdir(ROOT)  # the report names the files as given: relative paths keep it the same anywhere
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    main(list(args))
    return capsys.readouterr().out


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SIPSCOPE_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert all(cell_len(line) <= 100 for line in text.splitlines())  # readable at 100 columns
    assert "\x1b" not in text


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_report(capsys, monkeypatch, sample):
    check(f"{sample.stem}.txt", report(capsys, monkeypatch, f"samples/{sample.name}"))


@pytest.mark.parametrize("language", ["fr", "ar", "ru", "ja"])
def test_sample_report_in_each_language(capsys, monkeypatch, language):
    check(f"missing-ack-udp.{language}.txt",
          report(capsys, monkeypatch, "samples/missing-ack-udp.pcap", "--lang", language))
