#!/usr/bin/env python3
"""Record samples/tls-call.pcap and samples/tls-call.keys: one basic call over TLS (SIPS), on loopback.

SIPp cannot write the TLS session keys, so the two parties are written here with Python's ssl module, whose client
logs them in the NSS key log format (``keylog_filename``, what SSLKEYLOGFILE gives in browsers). Wireshark and
tshark decrypt the capture with ``-o tls.keylog_file:samples/tls-call.keys``; sipscope's own reader sees TLS
records only. Needs root (tcpdump on lo), tcpdump and openssl (for a throwaway self-signed certificate).

    sudo python3 samples/record_tls.py
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST, UAS_PORT, UAC_PORT = "127.0.0.1", 5061, 5161
CALL_ID = "tls-call-1@127.0.0.1"


def request(method: str, cseq: int, to_tag: str = "", body: str = "") -> bytes:
    to = f"<sip:bob@{HOST}:{UAS_PORT};transport=tls>" + (f";tag={to_tag}" if to_tag else "")
    extra = "Content-Type: application/sdp\r\n" if body else ""
    return (f"{method} sips:bob@{HOST}:{UAS_PORT} SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {HOST}:{UAC_PORT};branch=z9hG4bK-tls-{cseq}-{method.lower()}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sips:alice@{HOST}:{UAC_PORT}>;tag=alice-tls\r\n"
            f"To: {to}\r\n"
            f"Call-ID: {CALL_ID}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <sips:alice@{HOST}:{UAC_PORT}>\r\n"
            f"User-Agent: sipscope-sample-uac\r\n{extra}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}").encode()


def response(req: bytes, status: int, reason: str, to_tag: str = "", body: str = "") -> bytes:
    """A response copying the request's Via, From, To, Call-ID and CSeq (RFC 3261 section 8.2.6.2)."""
    lines = req.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")[1:]
    copied = [line for line in lines if line.split(":", 1)[0] in ("Via", "From", "To", "Call-ID", "CSeq")]
    copied = [line + f";tag={to_tag}" if line.startswith("To:") and to_tag and ";tag=" not in line else line
              for line in copied]
    extra = "Content-Type: application/sdp\r\n" if body else ""
    return (f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(copied) + "\r\n"
            f"Contact: <sips:bob@{HOST}:{UAS_PORT}>\r\nServer: sipscope-sample-uas\r\n{extra}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}").encode()


def sdp(port: int) -> str:
    return (f"v=0\r\no=- 1 1 IN IP4 {HOST}\r\ns=-\r\nc=IN IP4 {HOST}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def read_message(stream: ssl.SSLSocket, buffer: bytearray) -> bytes:
    """The next SIP message from a stream, framed by its Content-Length (RFC 3261 section 18.3)."""
    while b"\r\n\r\n" not in buffer:
        buffer += stream.recv(4096)
    head, _sep, _rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    total = len(head) + 4 + length
    while len(buffer) < total:
        buffer += stream.recv(4096)
    message = bytes(buffer[:total])
    del buffer[:total]
    return message


def callee(server: socket.socket, context: ssl.SSLContext) -> None:
    connection, _address = server.accept()
    with context.wrap_socket(connection, server_side=True) as stream:
        buffer = bytearray()
        invite = read_message(stream, buffer)
        stream.sendall(response(invite, 100, "Trying"))
        time.sleep(0.05)
        stream.sendall(response(invite, 180, "Ringing", "bob-tls"))
        time.sleep(0.3)
        stream.sendall(response(invite, 200, "OK", "bob-tls", sdp(41000)))
        read_message(stream, buffer)  # the ACK
        bye = read_message(stream, buffer)
        stream.sendall(response(bye, 200, "OK", "bob-tls"))
        time.sleep(0.2)


def caller(context: ssl.SSLContext) -> None:
    raw = socket.create_connection((HOST, UAS_PORT), source_address=(HOST, UAC_PORT))
    with context.wrap_socket(raw, server_hostname=HOST) as stream:
        buffer = bytearray()
        stream.sendall(request("INVITE", 1, body=sdp(40000)))
        while b"SIP/2.0 200" not in read_message(stream, buffer)[:12]:
            pass
        stream.sendall(request("ACK", 1, "bob-tls"))
        time.sleep(1.0)
        stream.sendall(request("BYE", 2, "bob-tls"))
        read_message(stream, buffer)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        f"/CN={HOST}", "-keyout", work / "key.pem", "-out", work / "cert.pem"],
                       check=True, capture_output=True)
        tcpdump = subprocess.Popen(["tcpdump", "-Z", "root", "--immediate-mode", "-i", "lo", "-s", "0", "-U",
                                    "-w", work / "tls-call.pcap", f"tcp port {UAS_PORT}"],
                                   stderr=subprocess.PIPE, text=True)
        while "listening" not in tcpdump.stderr.readline():
            pass
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(work / "cert.pem", work / "key.pem")
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_context.check_hostname = False
        client_context.verify_mode = ssl.CERT_NONE  # the throwaway certificate is nobody's
        client_context.keylog_filename = str(work / "tls-call.keys")
        with socket.create_server((HOST, UAS_PORT), reuse_port=False) as server:
            uas = threading.Thread(target=callee, args=(server, server_context))
            uas.start()
            caller(client_context)
            uas.join()
        time.sleep(1)
        tcpdump.send_signal(2)
        tcpdump.wait()
        shutil.copy(work / "tls-call.pcap", HERE / "tls-call.pcap")
        shutil.copy(work / "tls-call.keys", HERE / "tls-call.keys")
    print(f"wrote {HERE / 'tls-call.pcap'} and {HERE / 'tls-call.keys'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
