"""``--write FILE``: a new capture holding exactly the given frames of the captures, as they were recorded.

The captures are read again and their frames numbered as the analysis numbered them (merged in time order). The
output is a pcap with nanosecond timestamps when the frames share one link type (and the name does not end in
``.pcapng``), else a pcapng with an interface per link type.
"""

from __future__ import annotations

import struct

from .files import CaptureFile, merge_records

SNAPLEN = 262144


def write_frames(path: str, captures: list[str], frames: set[int]) -> None:
    """Write the records of ``frames`` to ``path``."""
    linktypes = sorted({linktype for _ts, linktype, _data, _orig in _records(captures, frames)})
    as_pcapng = len(linktypes) > 1 or path.lower().endswith(".pcapng")
    with open(path, "wb") as out:
        if as_pcapng:
            out.write(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
            for linktype in linktypes:  # if_tsresol (option 9) = 9: nanoseconds
                out.write(_block(1, struct.pack("<HHI", linktype, 0, SNAPLEN) + struct.pack("<HHB3x", 9, 1, 9)
                                 + struct.pack("<HH", 0, 0)))
        else:
            out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, SNAPLEN, linktypes[0] if linktypes else 1))
        interface = {linktype: n for n, linktype in enumerate(linktypes)}
        for ts, linktype, data, orig in _records(captures, frames):
            if as_pcapng:
                out.write(_block(6, struct.pack("<IIIII", interface[linktype], ts >> 32, ts & 0xFFFFFFFF, len(data),
                                                orig) + data))
            else:
                seconds, nanoseconds = divmod(ts, 1_000_000_000)
                out.write(struct.pack("<IIII", seconds, nanoseconds, len(data), orig) + data)


def _records(captures: list[str], frames: set[int]):
    files = [CaptureFile(path) for path in captures]
    try:
        for number, record in enumerate(merge_records(files), 1):
            if number in frames:
                yield record
    finally:
        for f in files:
            f.close()


def _block(block_type: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", block_type, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
