#!/usr/bin/env python3
"""Time `sipscope analyze` against tshark's sip,stat and sngrep on the yardstick captures.

Why this exists: the issue promises that the full analysis (calls, transactions, dialogs, findings) stays faster
than the tools a user would otherwise reach for, in bounded memory. The shared machines are noisy, so absolute
times mean little; this script runs the three tools in the same run on the same files, interleaved, and reports
the ratios peer_time / sipscope_time with the peak memory of each (the process tree, so that sipscope's worker
processes count; see bench_messages.py), then checks the targets of the issue:

  * SIPp UDP capture (file name contains "sipp_udp"): sipscope at least 5x faster than tshark, faster than sngrep
  * crafted capture (file name contains "synth"): sipscope at least 1.5x faster than both
  * peak memory of sipscope under 100 MB on both

sngrep keeps at most `-l` dialogs (20,000 by default) and skips every packet once it holds that many, so it runs
with a higher limit, and one extra untimed run per file checks from its dialog count that the limit was not
reached. Standard library only.

  python3 benchmarks/bench_analyze.py [FILE ...] [--repeat 3] [--sipscope-cmd CMD] [--json [PATH]]
"""
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_messages import MEMORY_TARGET_MB, captures, compile_package, parser, run, warm_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
PEERS = ("tshark", "sngrep")
SNGREP_LIMIT = 200_000  # above the 76,216 dialogs of the crafted capture; it also sizes sngrep's Call-ID hash table
SPEED_TARGETS = {  # file name contains KEY -> (peer, target, test of peer_time / sipscope_time)
    "sipp_udp": [("tshark", "at least 5x faster than tshark", lambda ratio: ratio >= 5.0),
                 ("sngrep", "faster than sngrep", lambda ratio: ratio > 1.0)],
    "synth": [("tshark", "at least 1.5x faster than tshark", lambda ratio: ratio >= 1.5),
              ("sngrep", "at least 1.5x faster than sngrep", lambda ratio: ratio >= 1.5)],
}


def commands(path, sipscope_cmd):
    # --fail-on never: findings (exit code 1) are the analysis working, not a failed run.
    return {"sipscope": sipscope_cmd + ["analyze", "--fail-on", "never", str(path)],
            "tshark": ["tshark", "-n", "-r", str(path), "-q", "-z", "sip,stat"],
            "sngrep": ["sngrep", "-I", str(path), "-N", "-q", "-l", str(SNGREP_LIMIT)]}


def sngrep_dialogs(path):
    """Run sngrep once without -q, which prints its dialog count; return (dialogs, error).

    Reaching the limit means sngrep skipped the rest of the capture, and its times would be no measurement."""
    proc = subprocess.run(["sngrep", "-I", str(path), "-N", "-l", str(SNGREP_LIMIT)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace")
    if proc.returncode:
        return None, f"exit code {proc.returncode}"
    counts = re.findall(r"Dialog count: (\d+)", proc.stdout)
    dialogs = int(counts[-1]) if counts else 0
    if dialogs >= SNGREP_LIMIT:
        return dialogs, f"reached its limit of {SNGREP_LIMIT} dialogs and skipped the rest; raise SNGREP_LIMIT"
    return dialogs, None


def report_counts(report):
    """SIP messages and calls from the head of sipscope's text report, to show it went through the whole file."""
    messages = calls = None
    with open(report, errors="replace") as f:
        for line in f:
            if messages is None and (m := re.search(r"(\d+) SIP messages", line)):
                messages = int(m.group(1))
            elif calls is None and (m := re.match(r"Calls: (\d+)", line)):
                calls = int(m.group(1))
            if messages is not None and calls is not None:
                break
    return messages, calls


def bench_file(path, sipscope_cmd, sipscope_env, repeat, tmp):
    cmds = commands(path, sipscope_cmd)
    warm_cache(path)
    dialogs, dialogs_error = sngrep_dialogs(path)
    errors = {"sngrep": dialogs_error} if dialogs_error else {}
    runs = {tool: [] for tool in cmds}
    tools = list(cmds)
    for i in range(repeat):
        for tool in tools[i % len(tools):] + tools[:i % len(tools)]:  # interleave, rotating who goes first
            with open(tmp / f"{tool}.out", "wb") as out:
                if tool == "sipscope":
                    wall, rss, code = run(cmds[tool], stdout=out, cwd=REPO_ROOT, env=sipscope_env)
                else:
                    wall, rss, code = run(cmds[tool], stdout=out)
            print(f"  {path.name} run {i + 1}/{repeat} {tool:8} {wall:7.2f} s {rss:7.1f} MB"
                  + (f"  exit code {code}" if code else ""), file=sys.stderr)
            if code:
                errors[tool] = f"exit code {code}"
            runs[tool].append((wall, rss))
    messages, calls = report_counts(tmp / "sipscope.out")
    results = {tool: {"median_s": round(statistics.median(w for w, _ in r), 3),
                      "peak_mb": round(max(m for _, m in r), 1),
                      "runs_s": [round(w, 3) for w, _ in r], "error": errors.get(tool)}
               for tool, r in runs.items()}
    ratios = {peer: None if errors.get("sipscope") or errors.get(peer)  # a failed run is no measurement
                    else round(results[peer]["median_s"] / max(results["sipscope"]["median_s"], 1e-9), 2)
              for peer in PEERS}
    result = {"file": str(path), "size_mb": round(path.stat().st_size / 1e6, 1), "sip_messages": messages,
              "calls": calls, "sngrep_dialogs": dialogs, "tools": results, "speed_ratios": ratios, "targets": []}
    for key, targets in SPEED_TARGETS.items():
        if key in path.name.lower():
            for peer, target, test in targets:
                ratio = ratios[peer]
                result["targets"].append({"target": f"sipscope {target}",
                                          "value": "n/a, a run failed" if ratio is None else f"{ratio:.2f}x",
                                          "pass": ratio is not None and test(ratio)})
    if result["targets"]:
        peak = results["sipscope"]["peak_mb"]
        result["targets"].append({"target": f"sipscope peak memory < {MEMORY_TARGET_MB:g} MB",
                                  "value": f"{peak:.1f} MB",
                                  "pass": not errors.get("sipscope") and peak < MEMORY_TARGET_MB})
    return result


def print_report(results, repeat, out):
    head = (f"{'capture':22} {'SIP msgs':>8} {'sipscope s':>10} {'MB':>6} {'tshark s':>8} {'MB':>6} "
            f"{'sngrep s':>8} {'MB':>6} {'tshark/sipscope':>15} {'sngrep/sipscope':>15}")
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in results:
        s, t, g = (r["tools"][tool] for tool in ("sipscope", "tshark", "sngrep"))
        msgs = r["sip_messages"] if r["sip_messages"] is not None else "?"
        ratios = [f"{x:.2f}x" if x is not None else "error" for x in r["speed_ratios"].values()]
        print(f"{Path(r['file']).name:22} {msgs:>8} {s['median_s']:>10.2f} {s['peak_mb']:>6.1f} "
              f"{t['median_s']:>8.2f} {t['peak_mb']:>6.1f} {g['median_s']:>8.2f} {g['peak_mb']:>6.1f} "
              f"{ratios[0]:>15} {ratios[1]:>15}", file=out)
    print(f"(median wall time of {repeat} run(s), peak memory = resident memory of the whole process tree in MB, "
          "ratio = peer time / sipscope time)\n", file=out)
    for r in results:
        name = Path(r["file"]).name
        for tool, v in r["tools"].items():
            if v["error"]:
                print(f"ERROR {name}: {tool}: {v['error']}", file=out)
        for t in r["targets"]:
            print(f"{'PASS' if t['pass'] else 'FAIL'}  {name}: {t['target']} (measured {t['value']})", file=out)


def first_line(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return (out.splitlines() or [None])[0]


def main():
    ap = parser(__doc__.split("\n")[0], "command that runs sipscope, from the repository root (default: python3 -m "
                "sipscope, with the Python running this script and the working tree's src/ first on PYTHONPATH)")
    args = ap.parse_args()
    files = captures(ap, args, PEERS)  # absolute paths: sipscope runs from the repository root
    if args.sipscope_cmd:
        sipscope_cmd, sipscope_env = shlex.split(args.sipscope_cmd), None
    else:  # the src/ layout: the repository root alone on sys.path would not find the working tree's package
        sipscope_cmd = [sys.executable, "-m", "sipscope"]
        sipscope_env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH")])))

    compile_package()
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench_file(p, sipscope_cmd, sipscope_env, args.repeat, Path(tmp)) for p in files]
    print_report(results, args.repeat, sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        summary = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.node(),
                   "platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                   "sipscope_cmd": sipscope_cmd, "tshark": first_line(["tshark", "--version"]),
                   "sngrep": first_line(["sngrep", "-V"]), "sngrep_limit": SNGREP_LIMIT, "repeat": args.repeat,
                   "files": results}
        text = json.dumps(summary, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    failed = any(v["error"] for r in results for v in r["tools"].values())
    return 1 if failed or not all(t["pass"] for r in results for t in r["targets"]) else 0


if __name__ == "__main__":
    sys.exit(main())
