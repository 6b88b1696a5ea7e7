"""Run fuzz inputs (files, or every file of folders) through a target without instrumentation: to check the seeds,
and to replay a crash after a fix.

    python -m fuzz.replay TARGET PATH...
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from .targets import TARGETS


def inputs(paths: list[str]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return found


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz.replay {{{','.join(TARGETS)}}} PATH...")
    target, failed = TARGETS[sys.argv[1]], 0
    files = inputs(sys.argv[2:])
    for path in files:
        try:
            target(path.read_bytes())
        except Exception:  # noqa: BLE001 - every failure is reported, then the next input runs
            failed += 1
            print(f"{path}:\n{traceback.format_exc()}", file=sys.stderr)
    print(f"{len(files)} inputs, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
