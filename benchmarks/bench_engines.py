#!/usr/bin/env python3
"""The two ways in on the same capture: `sipscope analyze` with its own reader and with `--engine tshark`, beside
what the tshark engine cannot go below (tshark writing the JSON it reads) and pyshark's packet objects on the same
output, the mode the engine does not use.

Why this exists: the tshark engine is for captures the native reader cannot read (SIP over TLS with keys, odd
encapsulations); the issue asks what it costs, as a ratio to the native reader in the same run.

  python3 benchmarks/bench_engines.py [FILE] [--repeat 3]

Default FILE: ~/sipscope-bench/sipp_udp_20k.pcap (see README.md for how it is made).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_messages import BENCH_DIR, compile_package, run, warm_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from sipscope.capture.tshark import Options, command, tshark_path  # noqa: E402


def pyshark_packets(path: Path) -> float:
    """Seconds for pyshark to hand over every SIP packet of ``path`` as its JSON packet objects."""
    import pyshark

    start = time.perf_counter()
    capture = pyshark.FileCapture(str(path), display_filter="sip", use_json=True, include_raw=True,
                                  keep_packets=False)
    for packet in capture:
        packet.sip  # noqa: B018 - the layer object is what a pyshark user reads
    capture.close()
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", type=Path, default=BENCH_DIR / "sipp_udp_20k.pcap")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.file.is_file():
        ap.error(f"{args.file} not found; see benchmarks/README.md")
    if not shutil.which("tshark"):
        ap.error("tshark is not installed")
    compile_package()
    warm_cache(args.file)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    sipscope = [sys.executable, "-m", "sipscope", "analyze", "--fail-on", "never", str(args.file)]
    tshark_json = command(str(args.file), Options(), tshark_path())
    runs = {
        "native": lambda: run(sipscope + ["--engine", "native"], cwd=REPO_ROOT, env=env)[:2],
        "tshark engine": lambda: run(sipscope + ["--engine", "tshark"], cwd=REPO_ROOT, env=env)[:2],
        "tshark JSON alone": lambda: run(tshark_json)[:2],
        "pyshark objects": lambda: (pyshark_packets(args.file), 0.0),
    }
    results = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, measure in runs.items():
            results[name].append(measure())
    native = statistics.median(wall for wall, _mb in results["native"])
    print(f"{args.file.name}, median of {args.repeat}:")
    for name, values in results.items():
        wall = statistics.median(w for w, _mb in values)
        peak = max(mb for _w, mb in values)
        memory = f"{peak:7.1f} MB" if peak else "         "
        print(f"  {name:18} {wall:7.2f} s {memory}  {wall / native:5.1f}x the native reader")
    return 0


if __name__ == "__main__":
    sys.exit(main())
