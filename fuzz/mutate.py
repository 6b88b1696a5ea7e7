"""The mutation runner: real captures, damaged the ways the field damages them, through the whole ``analyze``.

Each run takes a capture (the samples and ../shared/corpus), applies one to four mutations (bits flipped in a frame,
a frame cut short, frames dropped, repeated or shuffled, which for TCP means segments lost, duplicated and out of
order; the file cut at any byte) and runs ``sipscope analyze --strict`` on it in this process, with the terminal
report; every tenth run writes the HTML and JSON reports too. A run fails when anything raises or the exit code is
neither 0 nor 1 (2 only for a file no longer recognisable as a capture). A failing capture is kept in fuzz/crashes/.
Run ``i`` of seed ``s`` is the same on every machine, so ``--seed s --first i --runs 1`` replays it.

    python -m fuzz.mutate --runs 100000 [--seed 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import multiprocessing
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sipscope.cli import main as sipscope

from .seeds import ROOT, captures, records_of

CRASHES = ROOT / "fuzz" / "crashes"
NOT_A_CAPTURE = 2  # the exit code of a file that is no longer a capture at all, saying one of these
NOT_A_CAPTURE_WHY = ("not a pcap or pcapng capture", "the file is empty, not a capture")


def flip_bits(records: list, rng: random.Random) -> None:
    i = rng.randrange(len(records))
    ts, linktype, data, orig = records[i]
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    records[i] = (ts, linktype, bytes(data), orig)


def cut_frame(records: list, rng: random.Random) -> None:
    i = rng.randrange(len(records))
    ts, linktype, data, orig = records[i]
    records[i] = (ts, linktype, data[: rng.randint(0, len(data))], orig)


def drop(records: list, rng: random.Random) -> None:
    del records[rng.randrange(len(records))]


def repeat(records: list, rng: random.Random) -> None:
    i = rng.randrange(len(records))
    records.insert(rng.randint(i, len(records)), records[i])


def shuffle_window(records: list, rng: random.Random) -> None:
    start = rng.randrange(len(records))
    window = records[start : start + rng.randint(2, 8)]
    rng.shuffle(window)
    records[start : start + len(window)] = window


MUTATIONS = (flip_bits, flip_bits, cut_frame, drop, repeat, shuffle_window, shuffle_window)


def capture_bytes(records: list) -> bytes:
    """A pcapng file of the records (one interface per link type), so that any capture's records fit."""
    from sipscope.testing import pcapng_enhanced, pcapng_interface, pcapng_section

    interfaces: dict[int, int] = {}
    blocks = [pcapng_section()]
    for _ts, linktype, _data, _orig in records:
        if linktype not in interfaces:
            interfaces[linktype] = len(interfaces)
            blocks.append(pcapng_interface(linktype, tsresol=9))
    blocks += [pcapng_enhanced(interfaces[linktype], ts, data, orig) for ts, linktype, data, orig in records]
    return b"".join(blocks)


def mutated(records: list, rng: random.Random) -> bytes:
    records = list(records)
    for _ in range(rng.randint(1, 4)):
        if records:
            rng.choice(MUTATIONS)(records, rng)
    data = capture_bytes(records)
    if rng.random() < 0.2:
        data = data[: rng.randint(0, len(data))]
    return data


def run_one(seed: int, index: int, sources: list, folder: Path) -> tuple[int | None, str | None]:
    """Run ``index`` of ``seed``: its exit code (None if it raised), and what went wrong (None if nothing)."""
    rng = random.Random(f"{seed}:{index}")
    name, records = sources[rng.randrange(len(sources))]
    data = mutated(records, rng)
    path = folder / f"run-{index}.pcapng"
    path.write_bytes(data)
    arguments = [str(path), "--strict", "--jobs", "1", "--fail-on", "never"]
    if index % 10 == 0:
        arguments += ["--html", str(folder / "report.html"), "--json"]
    failure = code = None
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = sipscope(arguments)
        if code not in (0, 1, NOT_A_CAPTURE):
            failure = f"exit code {code}: {err.getvalue().strip()}"
        elif code == NOT_A_CAPTURE and not any(why in err.getvalue() for why in NOT_A_CAPTURE_WHY):
            failure = f"exit code 2: {err.getvalue().strip()}"
    except BaseException:  # noqa: BLE001 - anything at all is what this runner is looking for
        failure = traceback.format_exc()
    if failure is not None:
        CRASHES.mkdir(parents=True, exist_ok=True)
        (CRASHES / f"mutate-{seed}-{index}.pcapng").write_bytes(data)
        failure = f"run {index} of seed {seed} (from {name}):\n{failure}"
    path.unlink()
    return code, failure


def _work(seed: int, first: int, runs: int, step: int, queue) -> None:
    sources = [(path.name, records) for path in captures(ROOT.parent / "shared" / "corpus")
               if (records := records_of(path))]
    with tempfile.TemporaryDirectory() as folder:
        for index in range(first, first + runs, step):
            queue.put(run_one(seed, index, sources, Path(folder)))
    queue.put("done")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="index of the first run")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    queue = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(
        target=_work, args=(args.seed, args.first + job, args.runs - job, args.jobs, queue)) for job in range(args.jobs)]
    for worker in workers:
        worker.start()
    started, done, failures, finished, codes = time.monotonic(), 0, 0, 0, collections.Counter()
    while finished < len(workers):
        result = queue.get()
        if result == "done":
            finished += 1
            continue
        done += 1
        code, failure = result
        codes[code] += 1
        if failure is not None:
            failures += 1
            print(failure, file=sys.stderr)
        if done % 1000 == 0:
            print(f"{done} runs, {failures} failed, {time.monotonic() - started:.0f} s", file=sys.stderr)
    for worker in workers:
        worker.join()
    print(f"{done} mutated captures through analyze (seed {args.seed}, runs {args.first} to "
          f"{args.first + args.runs - 1}): {failures} failed, {time.monotonic() - started:.0f} s; exit codes "
          + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items(), key=str)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
