"""The registry of message defects: each problem the SIP stage can find in a message, with a stable id.

A defect does not stop a message from being a message (RFC 3261 asks receivers to be liberal, and a
troubleshooter needs to see the broken message most of all). The ids are dotted and lowercase; the knowledge base,
the JSON output and the tests use them as keys. Register a new defect here, once.
"""

from __future__ import annotations

ERROR, WARNING, INFO = "error", "warning", "info"

DEFECTS: dict[str, tuple[str, str]] = {
    # id: (severity, what it means)
    "sip.start_line.whitespace": (WARNING, "the start line separates its parts with something other than one space"),
    "sip.version.unknown": (ERROR, "the SIP version is not SIP/2.0"),
    "sip.status.invalid": (ERROR, "the status code is outside 100-699"),
    "sip.header.no_colon": (WARNING, "a header line has no colon and was ignored"),
    "sip.header.bad_name": (WARNING, "a header name contains characters that are not allowed in a token"),
    "sip.header.duplicate_single": (WARNING, "a header that may appear once appears several times"),
    "sip.header.folded": (INFO, "a header value continues on a folded line (obsolete but legal)"),
    "sip.headers.unterminated": (ERROR, "the header block does not end with an empty line"),
    "sip.headers.bare_lf": (WARNING, "lines end with LF instead of CRLF"),
    "sip.call_id.missing": (ERROR, "no Call-ID header"),
    "sip.cseq.missing": (ERROR, "no CSeq header"),
    "sip.cseq.invalid": (ERROR, "the CSeq header is not a number and a method"),
    "sip.cseq.method_mismatch": (ERROR, "the CSeq method differs from the request method"),
    "sip.from.missing": (ERROR, "no From header"),
    "sip.to.missing": (ERROR, "no To header"),
    "sip.via.missing": (ERROR, "no Via header"),
    "sip.content_length.missing": (ERROR, "no Content-Length on a stream transport, where it is mandatory"),
    "sip.content_length.invalid": (ERROR, "the Content-Length value is not a number"),
    "sip.content_length.mismatch": (ERROR, "the body is shorter than Content-Length says"),
    "sip.content_length.too_large": (ERROR, "Content-Length is larger than any SIP message could be"),
    "sip.datagram.trailing_bytes": (WARNING, "the datagram holds bytes after the message's body"),
    "sip.message.cut": (WARNING, "the capture's snap length cut the message short"),
    # Header values (headers.py, uri.py)
    # Bodies: multipart, Content-Encoding, message/sipfrag (body.py, sipfrag.py)
    # SDP (sdp.py)
}
