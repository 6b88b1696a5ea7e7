#!/usr/bin/env python3
"""Peak memory of `sipscope analyze` on a SIP flood, against sngrep on the same capture.

Why this exists: a capture of an attack (scanners and floods send SIP too) must not take the machine down. The flood
is 1,000,000 INVITEs, each with its own Call-ID, none ever answered, 10,000 a second from 1,000 sources: every call
stays open for 64*T1 after its INVITE, so 320,000 would be open at once without a bound. The issue's target: peak
memory of sipscope (the whole process tree) under 300 MB. sngrep runs with a dialog limit above the flood's, so that it
reads all of it; its memory and time are printed beside sipscope's, with the ratios.

  python3 benchmarks/bench_flood.py [--invites 1000000] [--repeat 1] [--sipscope-cmd CMD]

The capture is written once to ~/sipscope-bench/flood_<invites>.pcap (about 300 MB for a million).
"""
import argparse
import os
import shlex
import shutil
import struct
import sys
from pathlib import Path

from bench_messages import BENCH_DIR, compile_package, run, warm_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from sipscope.testing import DEFAULT_TS, make_request, udp_frame  # noqa: E402

MEMORY_TARGET_MB = 300.0
RATE = 10_000  # INVITEs a second
SOURCES = 1_000


def make_flood(path: Path, invites: int) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))  # pcap, nanosecond timestamps
        for i in range(invites):
            source = bytes([10, 1, (i % SOURCES) >> 8, (i % SOURCES) & 0xFF])
            frame = udp_frame(make_request(call_id=f"{i:08x}-flood@attacker.example", branch=f"z9hG4bK-{i:x}",
                                           uri=f"sip:{100 + i % 900}@victim.example"),
                              src=source, sport=5060 + i % 7)
            sec, ns = divmod(DEFAULT_TS + i * (1_000_000_000 // RATE), 1_000_000_000)
            f.write(struct.pack("<IIII", sec, ns, len(frame), len(frame)) + frame)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--invites", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--sipscope-cmd", default=None, help="command that runs sipscope (default: python3 -m sipscope "
                                                          "from the working tree)")
    args = ap.parse_args()
    path = BENCH_DIR / f"flood_{args.invites}.pcap"
    if not path.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        print(f"writing {path} ...", file=sys.stderr)
        make_flood(path, args.invites)
    if args.sipscope_cmd:
        sipscope, env = shlex.split(args.sipscope_cmd), None
    else:
        sipscope = [sys.executable, "-m", "sipscope"]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    compile_package()
    warm_cache(path)
    tools = {"sipscope": (sipscope + ["analyze", "--fail-on", "never", str(path)], env)}
    if shutil.which("sngrep"):
        tools["sngrep"] = (["sngrep", "-I", str(path), "-N", "-q", "-l", str(2 * args.invites)], None)
    results = {}
    for name, (cmd, tool_env) in tools.items():
        runs = [run(cmd, cwd=REPO_ROOT, env=tool_env) for _ in range(args.repeat)]
        wall = sorted(r[0] for r in runs)[len(runs) // 2]
        peak = max(r[1] for r in runs)
        codes = {r[2] for r in runs}
        results[name] = (wall, peak)
        print(f"{name:9} {wall:7.2f} s {peak:8.1f} MB peak" + (f"  exit codes {sorted(codes)}" if codes != {0} else ""))
    wall, peak = results["sipscope"]
    if "sngrep" in results:
        print(f"sngrep / sipscope: time {results['sngrep'][0] / wall:.2f}x, memory {results['sngrep'][1] / peak:.2f}x")
    verdict = "PASS" if peak < MEMORY_TARGET_MB else "FAIL"
    print(f"{verdict}  {path.name}: sipscope peak memory < {MEMORY_TARGET_MB:.0f} MB (measured {peak:.1f} MB)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
