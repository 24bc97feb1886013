"""The sandbox's HTTP layer: the `ThreadingHTTPServer` subclass and request handler that read a
request, pass it to `Sandbox.dispatch` (or the admin routes), log it as a `LoggedRequest`, perform
the slow/drop/malformed faults, and write the answer with the headers of CONTRACT.md §1, gzip when
accepted. A client that hangs up mid-request (a timeout, a killed process) is counted in
`Sandbox.disconnects`, never printed as a traceback.

Hostile clients (see docs/SANDBOX.md, "Limits"): admin routes need `Sandbox.admin_token`; a body
over `MAX_BODY` (`MAX_MEDIA_BODY` for media upload) is a 413 before it is read; a bad
Content-Length or a body cut short is a 400; JSON nested too deep is a 400, never a
RecursionError. Each connection's socket times out after `Sandbox.request_timeout` seconds of
silence, and at most `Sandbox.max_connections` handler threads run: when all are taken, the
connection that has waited longest for its next request (half-open, slowloris, idle keep-alive)
is closed to make room, so stalled clients cannot hold the server.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import bot.sandbox.wire as wire

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.sandbox.api import Result
    from bot.sandbox.auth import Caller
    from bot.sandbox.faults import Fault


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
    seconds: float = 0.0  # the sandbox's own time on it: dispatch and JSON encoding, not the send

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
            "seconds": round(self.seconds, 6),
        }


DISCONNECTS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)
MAX_BODY = 1024 * 1024  # JSON bodies (create tweet, admin routes)
MAX_MEDIA_BODY = 8 * 1024 * 1024  # media upload: a 5 MB image as base64 JSON or multipart
MEDIA_PATHS = ("/2/media/upload",)
_BUSY_BODY = json.dumps(
    wire.problem(503, "Service Unavailable", "Service Unavailable"), separators=(",", ":")
).encode()
BUSY_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY


class Host(Protocol):
    """What the HTTP layer needs of the sandbox behind it (`bot.sandbox.server.Sandbox`)."""

    clock: Clock
    max_connections: int
    request_timeout: float
    gzip_responses: bool

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Result, Fault | None, str, Caller]: ...

    def admin(
        self, method: str, raw_path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any]: ...

    def record(self, entry: LoggedRequest) -> None: ...

    def count_disconnect(self) -> None: ...


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threads bounded by `sandbox.max_connections`; idle connections are evicted when full."""

    sandbox: Host
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (socketserver's default, 5, drops a burst)

    def server_activate(self) -> None:
        sb = self.RequestHandlerClass.sandbox  # type: ignore[attr-defined]
        self._slots = threading.BoundedSemaphore(max(1, sb.max_connections))
        self._conn_lock = threading.Lock()
        # connection -> monotonic time it started waiting for a request; None while serving one
        self._idle_since: dict[socket.socket, float | None] = {}
        self.evicted = 0
        self.refused = 0
        super().server_activate()

    @property
    def open_connections(self) -> int:
        with self._conn_lock:
            return len(self._idle_since)

    def set_idle(self, conn: socket.socket, idle: bool) -> None:
        with self._conn_lock:
            if conn in self._idle_since:
                self._idle_since[conn] = time.monotonic() if idle else None

    def _evict_oldest_idle(self) -> bool:
        with self._conn_lock:
            idle = [(since, c) for c, since in self._idle_since.items() if since is not None]
            if not idle:
                return False
            _, conn = min(idle, key=lambda pair: pair[0])
            self._idle_since[conn] = None  # never evict the same one twice
            self.evicted += 1
        with contextlib.suppress(OSError):  # its thread's read returns EOF and the thread ends
            conn.shutdown(socket.SHUT_RDWR)
        return True

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            deadline = time.monotonic() + 1.0
            while True:
                self._evict_oldest_idle()
                if self._slots.acquire(timeout=0.05):
                    break
                if time.monotonic() > deadline:  # every thread is busy answering: refuse fast
                    self.refused += 1
                    try:
                        request.settimeout(0.5)
                        request.sendall(BUSY_503)
                    except OSError:
                        pass
                    self.shutdown_request(request)
                    return
        with self._conn_lock:
            self._idle_since[request] = time.monotonic()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(request)
            raise

    def _release(self, request: Any) -> None:
        with self._conn_lock:
            self._idle_since.pop(request, None)
        self._slots.release()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECTS):
            self.sandbox.count_disconnect()  # the client went away: nothing to report
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    sandbox: Host
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server_version = "envoy"
    sys_version = ""

    server: SandboxHTTPServer

    def setup(self) -> None:
        self.timeout = self.sandbox.request_timeout  # type: ignore[misc]  # set on the socket
        super().setup()

    def handle_one_request(self) -> None:
        self.server.set_idle(self.connection, True)  # evictable while it waits for a request
        super().handle_one_request()

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

    def _refuse(self, status: int, detail: str, headers: dict[str, str]) -> None:
        """Answer a request whose body was not (fully) read, then close the connection."""
        self.close_connection = True
        title = {400: "Invalid Request", 408: "Request Timeout", 413: "Payload Too Large"}
        body = wire.problem(status, title.get(status, "Error"), detail)
        try:
            self._send(status, json.dumps(body).encode(), {"connection": "close"}, headers)
        except (*DISCONNECTS, OSError):
            self.sandbox.count_disconnect()

    def _read_body(self, headers: dict[str, str]) -> bytes | None:
        """The request body, or None after answering 400/413 (the connection is then closed)."""
        values = self.headers.get_all("Content-Length") or []
        if "transfer-encoding" in headers:
            self._refuse(400, "Transfer-Encoding is not supported; send a Content-Length", headers)
            return None
        if not values:
            return b""
        distinct = {v.strip() for v in values}
        raw = distinct.pop()
        if distinct:
            self._refuse(400, f"conflicting Content-Length headers {values}", headers)
            return None
        if not raw.isdigit() or not raw.isascii() or len(raw) > 18:
            self._refuse(400, f"invalid Content-Length {raw!r}: a byte count", headers)
            return None
        length = int(raw)
        path = self.path.split("?", 1)[0]
        cap = MAX_MEDIA_BODY if path in MEDIA_PATHS else MAX_BODY
        if length > cap:
            self._refuse(
                413, f"the request body is {length} bytes; the limit here is {cap} bytes", headers
            )
            return None
        try:
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            self._refuse(400, f"the body stopped before its Content-Length {length}", headers)
            return None
        if len(body) < length:
            self.close_connection = True  # the client closed its side: nobody to answer
            self.sandbox.count_disconnect()
            return None
        return body

    def _handle(self, method: str) -> None:
        t0 = time.perf_counter()
        self.server.set_idle(self.connection, False)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body(headers)
        if body is None:
            return
        sb = self.sandbox
        if self.path.startswith("/_sandbox/"):
            status, payload = sb.admin(method, self.path, body, headers)
            self._send(status, json.dumps(payload).encode(), {}, headers)
            return
        try:
            result, fault, endpoint, caller = sb.dispatch(method, self.path, headers, body)
        except RecursionError:  # JSON nested deeper than the parser's recursion limit
            self._refuse(400, "Request body is not valid JSON: nested too deeply", headers)
            return
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
        sb.record(replace(entry, seconds=time.perf_counter() - t0))
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
