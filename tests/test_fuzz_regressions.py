"""Every input that once made a fuzz target or the mutation runner fail (``fuzz/regressions/``), run again: each
through its target, each capture through ``sipscope analyze --strict``."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from fuzz.targets import TARGETS
from sipscope.cli import main

REGRESSIONS = Path(__file__).resolve().parents[1] / "fuzz" / "regressions"


def saved(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*") if not path.name.startswith("."))  # .keep keeps the folder


CASES = [(target, path) for target in TARGETS for path in saved(REGRESSIONS / target)]
CAPTURES = saved(REGRESSIONS / "analyze")


@pytest.mark.parametrize(("target", "path"), CASES, ids=[f"{t}/{p.name}" for t, p in CASES])
def test_fuzz_input_runs_through_its_target(target, path):
    TARGETS[target](path.read_bytes())


@pytest.mark.parametrize("path", CAPTURES, ids=[p.name for p in CAPTURES])
def test_mutated_capture_is_analyzed(path, tmp_path):
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([str(path), "--strict", "--jobs", "1", "--html", str(tmp_path / "report.html"), "--fail-on",
                     "never"])
    assert code == 0
