"""The message listing of ``sipscope messages``: one line per SIP message, as text or as JSON lines.

The JSON lines are written by hand rather than with ``json.dumps`` because this is the hot path of a command that
may print millions of lines; every string goes through the standard library's JSON string encoder, so the output
is valid JSON (ASCII only, with escapes) whatever the packet held.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _quote

from ..sip.message import SipMessage
from ..text import printable


def header_fields(message: SipMessage) -> list[dict]:
    """Each header line with its parsed values, for ``--headers``: name as written, canonical name, raw value, and
    per value its fields and defects."""
    from ..sip.headers import parse_values

    fields = []
    for header in message.headers:
        values = parse_values(header.key, header.value)
        fields.append({
            "name": header.name, "raw_name": header.raw_name, "value": header.value,
            "parsed": [{**value.as_dict(), "defects": value.defects} for value in values],
        })
    return fields


def json_line_with_headers(message: SipMessage) -> str:
    """A JSON line with the message's headers and their parsed values (``--headers``), after the full check."""
    message.check()
    line = json_line(message)
    uri = message.request_uri
    extra = {"headers": header_fields(message)}
    if uri is not None:
        extra["request_uri"] = {**uri.as_dict(), "defects": uri.defects}
    return line[:-2] + "," + json.dumps(extra, ensure_ascii=True)[1:] + "\n"


def json_line(message: SipMessage) -> str:
    frames = message.frames
    frame_list = f"[{frames[0]}]" if len(frames) == 1 else "[" + ",".join(map(str, frames)) + "]"
    if message.method is not None:
        first = f'"method":{_quote(message.method)},"uri":{_quote(message.uri)}'
    else:
        first = f'"status":{message.status},"reason":{_quote(message.reason)}'
    call_id = "null" if message.call_id is None else _quote(message.call_id)
    cseq = "null" if message.cseq_number is None else f"[{message.cseq_number},{_quote(message.cseq_method)}]"
    defects = "[" + ",".join(f'"{d}"' for d in message.defects) + "]" if message.defects else "[]"
    time = "%d.%09d" % divmod(message.time, 1_000_000_000)
    return (
        f'{{"type":"message","frames":{frame_list},"time":{time},"src":"{message.src}",'
        f'"dst":"{message.dst}","transport":"{message.transport}",{first},"call_id":{call_id},"cseq":{cseq},'
        f'"defects":{defects}}}\n'
    )


def summary_json_line(summary: dict) -> str:
    return json.dumps({"type": "summary", **summary}, ensure_ascii=True) + "\n"


def text_line(message: SipMessage, t0: int) -> str:
    """One message as a line of text; times are seconds since ``t0``, the capture's first frame."""
    frames = ",".join(map(str, message.frames))
    cseq = f"{message.cseq_number} {message.cseq_method}" if message.cseq_number is not None else "-"
    line = (
        f"{frames:>7} {(message.time - t0) / 1e9:>11.6f} {message.src:>21} -> {message.dst:<21} "
        f"{message.transport:<4} {printable(message.start_line)}  call-id={printable(message.call_id or '-')}  "
        f"cseq={printable(cseq)}"
    )
    if message.defects:
        line += "  defects=" + ",".join(message.defects)
    return line + "\n"


def headers_text(message: SipMessage) -> str:
    """The headers under a message's line (``--headers``): each as written, then what it was read as."""
    lines = []
    for header in header_fields(message):
        lines.append(f"      {printable(header['raw_name'])}: {printable(header['value'])}")
        for parsed in header["parsed"]:
            shown = " ".join(f"{key}={printable(_compact(value))}" for key, value in parsed.items()
                             if value not in (None, [], {}) and key != "defects")
            defects = "  defects=" + ",".join(parsed["defects"]) if parsed["defects"] else ""
            if shown or defects:
                lines.append(f"          {shown}{defects}")
    return "\n".join(lines) + "\n"


def _compact(value) -> str:
    """A parsed field as short text: nested fields as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def summary_text(summary: dict) -> str:
    lines = [""]
    for f in summary["files"]:
        kind = f["format"] + (", gzip-compressed" if f["compressed"] else "")
        lines.append(f"{printable(f['name'])} ({kind})")
        lines.extend(f"  note: {printable(note)}" for note in f["notes"])
    frames = summary["frames"]
    lines.append(f"{frames} frames, {summary['sip_messages']} SIP messages")
    for category, count in summary["by_category"].items():
        if count:
            share = f"{100 * count / frames:.1f}%" if frames else "-"
            lines.append(f"  {category:<12} {count:>9} frames ({share})")
    for entry in summary["reasons"]:
        examples = ", ".join(map(str, entry["examples"]))
        more = ", ..." if entry["frames"] > len(entry["examples"]) else ""
        lines.append(f"    {entry['category']}: {entry['reason']}: {entry['frames']} (frames {examples}{more})")
    for entry in summary["events"]:
        examples = ", ".join(map(str, entry["examples"]))
        lines.append(f"  {entry['event']}: {entry['count']}" + (f" (frames {examples})" if examples else ""))
    for error in summary["internal_errors"]:
        lines.append(f"  internal error at frame {error['frame']}: {error['error']} ({error['where']})")
    return "\n".join(lines) + "\n"
