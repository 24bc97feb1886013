"""The sandbox's HTTP layer: the `ThreadingHTTPServer` subclass and request handler that read a
request, pass it to `Sandbox.dispatch` (or the admin routes), log it as a `LoggedRequest`, perform
the slow/drop/malformed faults, and write the answer with the headers of CONTRACT.md §1, gzip when
accepted. A client that hangs up mid-request (a timeout, a killed process) is counted in
`Sandbox.disconnects`, never printed as a traceback.
"""

from __future__ import annotations

import gzip
import json
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox import wire

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int  # 0 when the connection was dropped on purpose
    time: datetime
    auth: str  # bearer | oauth1 | none | invalid | admin
    endpoint: str
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "time": wire.ts(self.time),
            "auth": self.auth,
            "endpoint": self.endpoint,
            "fault": self.fault,
        }


DISCONNECTS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class SandboxHTTPServer(ThreadingHTTPServer):
    sandbox: Sandbox

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECTS):
            self.sandbox.count_disconnect()  # the client went away: nothing to report
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    sandbox: Sandbox
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server_version = "envoy"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version  # the default joins sys_version with a space: "envoy "

    def log_message(self, format: str, *args: Any) -> None:
        return  # the sandbox keeps its own request log

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        t0 = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        sb = self.sandbox
        if self.path.startswith("/_sandbox/"):
            from bot.sandbox.admin import handle_admin

            status, payload = handle_admin(sb, method, self.path, body)
            self._send(status, json.dumps(payload).encode(), {}, headers)
            return
        result, fault, endpoint, caller = sb.dispatch(method, self.path, headers, body)
        split = urlsplit(self.path)
        entry = LoggedRequest(
            method,
            split.path,
            dict(parse_qsl(split.query)),
            result.status,
            sb.clock.now(),
            caller.kind,
            endpoint,
            fault.kind if fault else None,
        )
        if fault is not None and fault.kind == "drop":
            sb.record(LoggedRequest(**{**entry.__dict__, "status": 0}))
            self.close_connection = True
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        payload = json.dumps(result.body, ensure_ascii=False, separators=(",", ":")).encode()
        if fault is not None and fault.kind == "malformed":
            payload = payload[: max(1, len(payload) // 2)]
        out_headers = {
            "api-version": "2.164",
            "cache-control": "no-cache, no-store, max-age=0",
            "content-disposition": "attachment; filename=json.json",
            "x-access-level": "read" if caller.kind == "bearer" else "read-write",
            "x-transaction-id": secrets.token_hex(8),
            "x-response-time": str(int((time.perf_counter() - t0) * 1000)),
            **result.headers,
        }
        sb.record(entry)
        try:
            self._send(result.status, payload, out_headers, headers)
        except DISCONNECTS:  # the client gave up (a timeout, a killed process)
            self.sandbox.count_disconnect()
            self.close_connection = True

    def _send(
        self, status: int, payload: bytes, extra: dict[str, str], request_headers: dict[str, str]
    ) -> None:
        if (
            self.sandbox.gzip_responses
            and "gzip" in request_headers.get("accept-encoding", "")
            and len(payload) > 256
        ):
            payload = gzip.compress(payload, compresslevel=1)
            extra = {**extra, "content-encoding": "gzip"}
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(payload)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)
