"""Making packet text safe to show: nothing from a capture may drive the terminal."""

from __future__ import annotations

import re

# C0 controls except tab, DEL, and C1 controls (which some terminals obey like ESC sequences).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``) instead of obeyed."""
    if text.isprintable() or _CONTROL.search(text) is None:  # the first test is the quick one for most text
        return text
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (a CJK character takes two), ending in ``~`` when it was cut."""
    if width <= 0:
        return ""
    if text.isascii():  # the common case: a cell per character
        return text if len(text) <= width else text[: width - 1] + "~"
    from rich.cells import cell_len, get_character_cell_size

    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "~"
