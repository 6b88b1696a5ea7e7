#!/usr/bin/env python3
"""Time `sipscope messages --json` against `tshark -z sip,stat` on the yardstick captures.

Why this exists: sipscope promises to be much faster than tshark and to run in bounded memory on large SIP
captures. The shared machines are noisy, so absolute times mean little; this script runs both tools in the same
run on the same files, interleaved, and reports the ratio tshark_time / sipscope_time together with the peak
memory of each (the resident memory of the process and all its children, sampled every 50 ms, so that sipscope's
worker processes count), then checks the targets from the issue:

  * SIPp UDP capture (file name contains "sipp_udp"): sipscope at least 8x faster than tshark
  * crafted capture (file name contains "synth"): sipscope at least 2x faster than tshark
  * peak memory of sipscope under 100 MB on both

The captures are made with the scripts in ../shared/bench (see benchmarks/README.md). Standard library only.

  python3 benchmarks/bench_messages.py [FILE ...] [--repeat 3] [--sipscope-cmd CMD] [--json [PATH]]
                                       [--memory-growth]
"""
import argparse
import compileall
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path.home() / "sipscope-bench"
DEFAULT_FILES = ["sipp_udp_20k.pcap", "sipp_tcp_20k.pcap", "synth_sip_500k.pcap"]
SPEED_TARGETS = {"sipp_udp": 8.0, "synth": 2.0}  # file name contains KEY -> sipscope must be >= N x faster
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
MEMORY_TARGET_MB = 100.0
PACKAGE = Path(__file__).resolve().parent.parent / "src" / "sipscope"


def compile_package():
    """Write the bytecode of the working tree's package, as installing it does. With PYTHONDONTWRITEBYTECODE set
    (it is on the shared machines) no run would keep it, and every run would compile the package first: about 0.1 s
    that an installed sipscope never pays."""
    compileall.compile_dir(PACKAGE, quiet=1)


def tree_rss_mb(pid):
    """Resident memory of a process and all its descendants, in MB (Linux /proc)."""
    total, pending = 0.0, [pid]
    while pending:
        p = pending.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_MB
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    pending.extend(int(child) for child in f.read().split())
        except (OSError, ValueError):  # the process ended meanwhile
            continue
    return total


def run(cmd, stdout=subprocess.DEVNULL, cwd=None, env=None):
    """Run cmd to completion; return (wall seconds, peak memory of its process tree in MB, exit code)."""
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL, cwd=cwd, env=env)
    except OSError:  # command not found
        return 0.0, 0.0, 127
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is already reaped
    return wall, max(peak, usage.ru_maxrss / 1024), proc.returncode  # ru_maxrss is in KB on Linux


def sipscope_message_count(cmd):
    """Run sipscope once through a pipe, keep only the last line, return its sip_messages count."""
    last = b""
    try:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
            for line in proc.stdout:
                if line.strip():
                    last = line
    except OSError as exc:
        return None, f"cannot run {cmd[0]}: {exc}"
    if proc.returncode != 0:
        return None, f"exit code {proc.returncode}"
    try:
        summary = json.loads(last)
        if summary.get("type") != "summary":
            return None, "last line is not the summary"
        return summary["sip_messages"], None
    except (ValueError, KeyError, AttributeError) as exc:
        return None, f"cannot read summary line: {exc}"


def warm_cache(path):
    """Read the file once so that neither tool pays for the first read from disk."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def bench_file(path, sipscope_cmd, repeat):
    cmds = {"sipscope": sipscope_cmd + ["messages", "--json", str(path)],
            "tshark": ["tshark", "-n", "-q", "-r", str(path), "-z", "sip,stat"]}
    warm_cache(path)
    count, count_error = sipscope_message_count(cmds["sipscope"])
    runs = {tool: [] for tool in cmds}
    errors = {}
    for i in range(repeat):
        order = list(cmds) if i % 2 == 0 else list(reversed(cmds))  # interleave, alternating who goes first
        for tool in order:
            wall, rss, code = run(cmds[tool])
            print(f"  {path.name} run {i + 1}/{repeat} {tool:8} {wall:7.2f} s {rss:7.1f} MB"
                  + (f"  exit code {code}" if code else ""), file=sys.stderr)
            if code:
                errors[tool] = f"exit code {code}"
            runs[tool].append((wall, rss))
    tools = {tool: {"median_s": round(statistics.median(w for w, _ in r), 3),
                    "peak_mb": round(max(m for _, m in r), 1),
                    "runs_s": [round(w, 3) for w, _ in r], "error": errors.get(tool)}
             for tool, r in runs.items()}
    failed = bool(errors) or count_error is not None  # a failed run is no measurement: targets FAIL
    ratio = None if failed else round(tools["tshark"]["median_s"] / max(tools["sipscope"]["median_s"], 1e-9), 2)
    result = {"file": str(path), "size_mb": round(path.stat().st_size / 1e6, 1), "sip_messages": count,
              "sip_messages_error": count_error, "tools": tools, "speed_ratio": ratio, "targets": []}
    for key, factor in SPEED_TARGETS.items():
        if key in path.name.lower():
            result["targets"].append({"target": f"sipscope >= {factor:g}x faster than tshark",
                                      "value": "n/a, a run failed" if failed else f"{ratio:.2f}x",
                                      "pass": not failed and ratio >= factor})
    if result["targets"]:
        peak = tools["sipscope"]["peak_mb"]
        result["targets"].append({"target": f"sipscope peak memory < {MEMORY_TARGET_MB:g} MB",
                                  "value": f"{peak:.1f} MB", "pass": not failed and peak < MEMORY_TARGET_MB})
    return result


def frame_count(path):
    out = subprocess.run(["capinfos", "-c", "-M", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Number of packets:\s*(\d+)", out).group(1))


def memory_growth(files, sipscope_cmd):
    """Peak memory of sipscope on the first half of the SIPp capture and on the whole of it."""
    sipp = [p for p in files if "sipp" in p.name.lower()]
    if not sipp:
        return {"error": "no SIPp capture among the files"}
    path = next((p for p in sipp if "udp" in p.name.lower()), sipp[0])
    frames = frame_count(path)
    with tempfile.TemporaryDirectory() as tmp:
        half = Path(tmp) / f"half_{path.name}"
        subprocess.run(["editcap", "-r", str(path), str(half), f"1-{frames // 2}"], check=True,
                       stdout=subprocess.DEVNULL)
        result = {"file": str(path), "frames_whole": frames, "frames_half": frames // 2}
        for label, p in (("half", half), ("whole", path)):
            wall, rss, code = run(sipscope_cmd + ["messages", "--json", str(p)])
            result[f"peak_mb_{label}"] = round(rss, 1)
            result[f"wall_s_{label}"] = round(wall, 3)
            if code:
                result["error"] = f"sipscope exit code {code} on the {label} capture"
    return result


def print_report(results, growth, out):
    head = f"{'file':24} {'SIP msgs':>9} {'sipscope s':>10} {'MB':>7} {'tshark s':>9} {'MB':>7} {'ratio':>7}"
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in results:
        s, t = r["tools"]["sipscope"], r["tools"]["tshark"]
        msgs = r["sip_messages"] if r["sip_messages"] is not None else "?"
        ratio = f"{r['speed_ratio']:.2f}x" if r["speed_ratio"] is not None else "error"
        print(f"{Path(r['file']).name:24} {msgs:>9} {s['median_s']:>10.2f} {s['peak_mb']:>7.1f} "
              f"{t['median_s']:>9.2f} {t['peak_mb']:>7.1f} {ratio:>7}", file=out)
    print("(median wall time of the runs, peak memory = resident memory of the whole process tree, "
          "ratio = tshark / sipscope)\n",
          file=out)
    for r in results:
        for problem in [r["sip_messages_error"]] + [f"{k}: {v['error']}" for k, v in r["tools"].items()
                                                    if v["error"]]:
            if problem:
                print(f"ERROR {Path(r['file']).name}: {problem}", file=out)
        for t in r["targets"]:
            print(f"{'PASS' if t['pass'] else 'FAIL'}  {Path(r['file']).name}: {t['target']} "
                  f"(measured {t['value']})", file=out)
    if growth:
        print("\nmemory growth:", file=out)
        if "peak_mb_whole" in growth:
            print(f"  sipscope peak memory on {Path(growth['file']).name}: first half ({growth['frames_half']} "
                  f"frames) {growth['peak_mb_half']:.1f} MB, whole ({growth['frames_whole']} frames) "
                  f"{growth['peak_mb_whole']:.1f} MB", file=out)
        if growth.get("error"):
            print(f"  ERROR {growth['error']}", file=out)


def parser(description: str, sipscope_help: str) -> argparse.ArgumentParser:
    """The options the timing scripts share: the captures, the runs, how sipscope starts, the JSON summary."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("files", nargs="*", type=Path, help=f"captures (default: those of {DEFAULT_FILES} "
                                                        f"that exist in {BENCH_DIR})")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per tool and file (default 3)")
    ap.add_argument("--sipscope-cmd", default=None, help=sipscope_help)
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH",
                    help="write a JSON summary to PATH (no PATH: to stdout, and the table to stderr)")
    return ap


def captures(ap: argparse.ArgumentParser, args, tools) -> list[Path]:
    """The captures given (as absolute paths) or the default ones found, after checking they and ``tools`` exist."""
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    files = [p.resolve() for p in args.files] or [BENCH_DIR / name for name in DEFAULT_FILES
                                                   if (BENCH_DIR / name).exists()]
    if not files:
        ap.error(f"no capture given and none found in {BENCH_DIR}; see benchmarks/README.md")
    missing = [str(p) for p in files if not p.is_file()] + [t for t in tools if not shutil.which(t)]
    if missing:
        ap.error(f"not found: {', '.join(missing)}")
    return files


def main():
    ap = parser(__doc__.split("\n")[0], "command that runs sipscope (default: sipscope, else python -m sipscope)")
    ap.add_argument("--memory-growth", action="store_true",
                    help="also compare sipscope's peak memory on the first half of the SIPp capture and the whole")
    args = ap.parse_args()
    files = captures(ap, args, ("tshark",))
    if args.sipscope_cmd:
        sipscope_cmd = shlex.split(args.sipscope_cmd)
    else:
        sipscope_cmd = ["sipscope"] if shutil.which("sipscope") else [sys.executable, "-m", "sipscope"]

    compile_package()
    results = [bench_file(p, sipscope_cmd, args.repeat) for p in files]
    growth = memory_growth(files, sipscope_cmd) if args.memory_growth else None
    table_out = sys.stderr if args.json == "-" else sys.stdout
    print_report(results, growth, table_out)
    if args.json:
        tshark_version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
        summary = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.node(),
                   "platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                   "sipscope_cmd": sipscope_cmd, "tshark": (tshark_version.splitlines() or [None])[0],
                   "repeat": args.repeat, "files": results, "memory_growth": growth}
        text = json.dumps(summary, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    errors = any(r["sip_messages_error"] or any(v["error"] for v in r["tools"].values()) for r in results)
    return 1 if errors or (growth and growth.get("error")) else 0


if __name__ == "__main__":
    sys.exit(main())
