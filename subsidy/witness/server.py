"""The witness over HTTP: ``POST <prefix>/add-checkpoint`` and ``GET <prefix>/``.

HTTP/1.1 with keep-alive (the specification asks witnesses to support it), one thread per
connection (:class:`http.server.ThreadingHTTPServer`). A request body needs a Content-Length
and may be at most :data:`MAX_BODY` bytes. Each refused request is logged as one line on stderr.
"""

from __future__ import annotations

import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from subsidy.witness.core import TEXT, Answer, Witness

# 63 proof lines and a checkpoint with 100 signatures of post-quantum size fit well within this.
MAX_BODY = 1 << 20
REQUEST_TIMEOUT_SECONDS = 30


def log_line(text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(f"{stamp} {text}\n")
    sys.stderr.flush()


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], witness: Witness, prefix: str = "") -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.witness = witness
        self.prefix = prefix
        super().__init__(address, WitnessHandler)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.prefix}"


class WitnessHandler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"
    server_version = "subsidy-witness/1"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_POST(self) -> None:
        if self.path != self.server.prefix + "/add-checkpoint":
            self._reply(Answer(404, b"not found\n", reason=f"POST {self.path[:100]}"))
            return
        body = self._read_body()
        if body is None:
            return
        self._reply(self.server.witness.add_checkpoint(body))

    def do_GET(self) -> None:
        prefix = self.server.prefix
        if self.path == prefix + "/add-checkpoint":
            self._reply(Answer(405, b"use POST\n", reason="GET add-checkpoint"), allow="POST")
        elif self.path in {prefix + "/", prefix or "/"}:
            self._reply(Answer(200, self._about(), reason="about"))
        else:
            self._reply(Answer(404, b"not found\n", reason=f"GET {self.path[:100]}"))

    def _about(self) -> bytes:
        witness = self.server.witness
        lines = [
            "A C2SP tlog-witness (c2sp.org/tlog-witness): POST add-checkpoint.",
            f"name: {witness.name}",
            f"vkey: {witness.vkey}",
            *(f"log: {origin}" for origin in sorted(witness.logs)),
        ]
        return "".join(f"{line}\n" for line in lines).encode()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._reply(Answer(411, b"send a Content-Length\n", reason="chunked body"))
            return None
        length_header = self.headers.get("Content-Length", "")
        if not length_header.isascii() or not length_header.isdigit():
            self.close_connection = True
            self._reply(Answer(411, b"send a Content-Length\n", reason="no Content-Length"))
            return None
        length = int(length_header)
        if length > MAX_BODY:
            self.close_connection = True
            self._reply(Answer(413, b"request body too large\n", reason=f"{length} bytes"))
            return None
        return self.rfile.read(length)

    def _reply(self, answer: Answer, allow: str | None = None) -> None:
        if answer.status != 200:
            log_line(
                f"{self.client_address[0]} {answer.status} {answer.origin[:100]}: {answer.reason}"
            )
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type or TEXT)
        self.send_header("Content-Length", str(len(answer.body)))
        if allow:
            self.send_header("Allow", allow)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own per-request lines are dropped; refusals are logged in _reply."""

    def log_error(self, format: str, *args: Any) -> None:
        log_line(f"{self.client_address[0]} {format % args}")
