"""Where every frame of a capture ended up, so a report can say how much of it was understood.

Each frame is settled exactly once, into one category, with a reason. The stage that finishes with a frame
settles it: the decoder for frames that are not SIP or that it could not read, the SIP stage for frames whose
bytes became (part of) a SIP message. Frames whose fate is decided later (IP fragments, TCP segments) are held
by their stage and settled when it knows, at the latest when the capture ends. The invariant the tests check:
the counts add up to the number of frames read.
"""

from __future__ import annotations

SIP = "sip"
OTHER = "other"
MALFORMED = "malformed"
TRUNCATED = "truncated"
UNSUPPORTED = "unsupported"
ERROR = "error"  # an internal error while handling the frame (a bug; see pipeline's per-frame guard)
CATEGORIES = (SIP, OTHER, MALFORMED, TRUNCATED, UNSUPPORTED, ERROR)

EXAMPLE_FRAMES = 10  # frame numbers kept per reason, as evidence


class FrameAccounting:
    """Counts of frames by category and by (category, reason), with the first frame numbers of each reason."""

    def __init__(self) -> None:
        self.frames_read = 0
        self.by_category = dict.fromkeys(CATEGORIES, 0)
        self.reasons: dict[tuple[str, str], list] = {}  # (category, reason) -> [count, [frame numbers]]
        self.events: dict[str, list] = {}  # things that are not frames: tcp gaps, limits hit -> [count, frames]

    def settle(self, frames, category: str, reason: str = "") -> None:
        """Put each frame of ``frames`` (a sequence of frame numbers) in ``category`` for ``reason``."""
        if not frames:
            return
        self.by_category[category] += len(frames)
        if category == SIP and not reason:
            return
        entry = self.reasons.get((category, reason))
        if entry is None:
            entry = self.reasons[(category, reason)] = [0, []]
        entry[0] += len(frames)
        examples = entry[1]
        for frame in frames:
            if len(examples) >= EXAMPLE_FRAMES:
                break
            examples.append(frame)

    def event(self, name: str, frame: int | None = None, count: int = 1) -> None:
        """Count something that happened to the traffic rather than to one frame (a TCP gap, a limit hit)."""
        entry = self.events.get(name)
        if entry is None:
            entry = self.events[name] = [0, []]
        entry[0] += count
        if frame is not None and len(entry[1]) < EXAMPLE_FRAMES:
            entry[1].append(frame)

    def to_dict(self) -> dict:
        return {
            "frames": self.frames_read,
            "by_category": dict(self.by_category),
            "reasons": sort_reasons(
                {"category": category, "reason": reason, "frames": count, "examples": examples}
                for (category, reason), (count, examples) in self.reasons.items()
            ),
            "events": sort_events(
                {"event": name, "count": count, "examples": examples} for name, (count, examples) in self.events.items()
            ),
        }


def sort_reasons(reasons) -> list[dict]:
    """By category (in the order of CATEGORIES), then most frames first."""
    return sorted(reasons, key=lambda r: (CATEGORIES.index(r["category"]), -r["frames"], r["reason"]))


def sort_events(events) -> list[dict]:
    return sorted(events, key=lambda e: e["event"])
