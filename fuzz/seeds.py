"""Write the fuzz targets' seed inputs from the samples and from ../shared/corpus (captures and message files) into
fuzz/corpus/<target>/ (not kept in git: they are made from files the project does not own).

    python -m fuzz.seeds [--corpus DIR]
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from sipscope.capture.files import CaptureFile
from sipscope.pipeline import Pipeline

from .inputs import LINKTYPES, frames_input, tcp_input

ROOT = Path(__file__).resolve().parent.parent
FRAMES_PER_SEED = 12
MESSAGE_SUFFIXES = {".dat", ".sip", ".msg", ""}


def captures(corpus: Path) -> list[Path]:
    found = sorted((ROOT / "samples").glob("*.pcap*"))
    if (corpus / "captures").is_dir():
        found += sorted(p for p in (corpus / "captures").rglob("*") if p.is_file())
    return found


def message_files(corpus: Path) -> list[Path]:
    folder = corpus / "messages"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in MESSAGE_SUFFIXES)


def records_of(path: Path) -> list:
    try:
        capture = CaptureFile(str(path))
    except Exception:  # noqa: BLE001 - a file sipscope cannot open gives no seeds
        return []
    try:
        return list(capture.records())
    finally:
        capture.close()


def write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    out = ROOT / "fuzz" / "corpus"
    messages = [path.read_bytes() for path in message_files(args.corpus)]
    for i, message in enumerate(messages):
        write(out / "parser", message)
        # The same messages as streams: whole, and cut in two at a point that moves from one to the next.
        cut = 1 + i * 37 % max(1, len(message) - 1)
        write(out / "tcp", tcp_input([(0, message), (1, message[:cut]), (1, message[cut:])]))
    for path in captures(args.corpus):
        records = records_of(path)
        for message in Pipeline().run(records):
            write(out / "parser", message.raw)
        by_linktype = [r for r in records if r[1] in LINKTYPES]
        for start in range(0, len(by_linktype), FRAMES_PER_SEED):
            chunk = by_linktype[start : start + FRAMES_PER_SEED]
            write(out / "frames", frames_input(chunk[0][1], [(data, orig) for _ts, _lt, data, orig in chunk]))
        streams = [m for m in Pipeline().run(records) if m.transport == "tcp"]
        if streams:
            directions = {}
            segments = [(directions.setdefault((m.src, m.dst), len(directions) % 4), m.raw) for m in streams[:20]]
            write(out / "tcp", tcp_input(segments))
    for target in ("parser", "frames", "tcp"):
        print(f"{target}: {len(list((out / target).glob('*')))} seeds")


if __name__ == "__main__":
    main()
