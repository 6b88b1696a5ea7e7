"""Run one coverage-guided fuzz target with atheris (libFuzzer's options after the target's name).

    python -m fuzz.fuzz parser fuzz/corpus/parser -max_total_time=1800 -artifact_prefix=fuzz/crashes/parser-
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["sipscope"]):
    from .targets import TARGETS


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz.fuzz {{{','.join(TARGETS)}}} [CORPUS_DIR ...] [libFuzzer options]")
    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[sys.argv[1]])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
