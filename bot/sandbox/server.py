"""The sandbox HTTP server: routing, authentication, rate-limit headers, fault switches, the
request log, and the `Sandbox` object tests and the CLI start.

`Sandbox(...).start()` serves a `ThreadingHTTPServer` on 127.0.0.1 (port 0 picks a free port) in a
daemon thread. Every API response carries the headers of CONTRACT.md §1 (x-rate-limit-*,
api-version, x-access-level, x-transaction-id, ...); bodies are gzip when the client accepts it.
Routes under `/_sandbox/` (see `bot.sandbox.admin`) need no auth and are never real API paths.
"""

from __future__ import annotations

import gzip
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.clock import Clock, SystemClock
from bot.sandbox import wire
from bot.sandbox.api import Reads, Request, Result, Rules
from bot.sandbox.auth import Caller, Credentials, identify
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.params import ApiError
from bot.sandbox.ratelimit import Bucket, RateLimiter
from bot.sandbox.world import World
from bot.sandbox.writes import Writes

LOOPBACK = ("127.0.0.1", "localhost", "::1")


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


Route = tuple[str, re.Pattern[str], str, bool]  # method, path, endpoint name, user context only
ROUTES: list[Route] = [
    ("GET", re.compile(r"^/2/tweets/search/recent$"), "search", False),
    ("GET", re.compile(r"^/2/users/([^/]+)/mentions$"), "mentions", False),
    ("GET", re.compile(r"^/2/users/([^/]+)/tweets$"), "user_tweets", False),
    ("GET", re.compile(r"^/2/tweets$"), "tweets", False),
    ("GET", re.compile(r"^/2/tweets/([^/]+)$"), "tweet", False),
    ("POST", re.compile(r"^/2/tweets$"), "create", True),
    ("DELETE", re.compile(r"^/2/tweets/([^/]+)$"), "delete", True),
    ("GET", re.compile(r"^/2/users/me$"), "me", True),
    ("GET", re.compile(r"^/2/users/by/username/([^/]+)$"), "user_by_username", False),
    ("POST", re.compile(r"^/2/media/upload$"), "media_upload", True),
]


class Sandbox:
    """A local X API v2 server over a `World`. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "contestbot",
        verify_oauth: bool = True,
        rules: Rules | None = None,
        seed: int = 0,
        credentials: Credentials | None = None,
        allow_non_loopback: bool = False,
        gzip_responses: bool = True,
    ) -> None:
        if host not in LOOPBACK and not allow_non_loopback:
            raise ValueError(
                f"refusing to bind the sandbox to {host!r}: it serves fake "
                "credentials; use 127.0.0.1 or pass allow_non_loopback=True"
            )
        self.clock: Clock = clock or (world.clock if world is not None else SystemClock())
        self.world = world if world is not None else World(self.clock)
        self.host, self.port = host, port
        self.verify_oauth = verify_oauth
        self.rules = rules or Rules()
        self.faults = Faults(seed)
        self.limits = RateLimiter()
        self.gzip_responses = gzip_responses
        bot = self.world.find_user(bot_username)
        self.bot_user_id = bot.id if bot else self.world.add_user(bot_username, name="Contest Bot")
        self.bot_username = bot_username
        if credentials is not None and not credentials.access_token.startswith(
            self.bot_user_id + "-"
        ):
            raise ValueError(
                "credentials.access_token must start with the bot user id "
                f"{self.bot_user_id}- (tweepy reads the user id from it)"
            )
        self._creds = credentials or Credentials.issue(self.bot_user_id)
        self.media: dict[str, dict[str, Any]] = {}
        self.reads = Reads(self.world, self.rules, self.media)
        self.writes = Writes(self.world, self.rules, self.media)
        self._log: deque[LoggedRequest] = deque(maxlen=200_000)
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- public
    @property
    def credentials(self) -> dict[str, str]:
        return self._creds.as_dict()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started: call start() first")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._log_lock:
            return list(self._log)

    @property
    def posted(self) -> list[dict[str, Any]]:
        with self.writes._lock:
            return list(self.writes.posted)

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def late_indexing(self, seconds: float) -> None:
        """Every tweet becomes searchable only `seconds` after its created_at."""
        self.world.index_delay = seconds

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="x-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- dispatch
    def record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Result, Fault | None, str, Caller]:
        """Answer one API request (not admin). Returns the result, the fault that fired (the
        HTTP layer performs slow/drop/malformed), the endpoint name and the caller."""
        split = urlsplit(raw_path)
        path, query_list = split.path, parse_qsl(split.query, keep_blank_values=True)
        params = dict(query_list)
        now = self.clock.now()
        route = next(
            (
                (name, m.groups(), user_only)
                for verb, rx, name, user_only in ROUTES
                if verb == method and (m := rx.match(path))
            ),
            None,
        )
        if route is None:
            known = any(rx.match(path) for _, rx, _, _ in ROUTES)
            status = 405 if known else 404
            title = "Method Not Allowed" if known else "Not Found Error"
            return (
                Result(
                    status,
                    wire.problem(
                        status, title, "Sorry, that page does not exist." if not known else title
                    ),
                ),
                None,
                "unknown",
                Caller("none"),
            )
        name, args, user_only = route
        caller = identify(
            self._creds,
            method,
            path,
            query_list,
            headers.get("authorization"),
            verify_oauth=self.verify_oauth,
        )
        if caller.kind in ("none", "invalid") or (user_only and caller.kind != "oauth1"):
            # Refused callers still get rate-limit headers, from a bucket of their own.
            bucket = self.limits.take(name, "refused:" + caller.kind, False, now)
            refusal = (
                wire.UNAUTHORIZED if caller.kind in ("none", "invalid") else wire.UNSUPPORTED_AUTH
            )
            status = 401 if refusal is wire.UNAUTHORIZED else 403
            return Result(status, dict(refusal), _rl(bucket)), None, name, caller
        bucket = self.limits.take(name, caller.token, caller.kind == "oauth1", now)
        rl = _rl(bucket)
        if bucket.remaining < 0:
            return Result(429, dict(wire.TOO_MANY), rl), None, name, caller
        fault = self.faults.pick(name, now)
        if fault is not None:
            early = self._fault_result(fault, name, caller, now, rl)
            if early is not None:
                return early, fault, name, caller
        req = Request(
            method,
            path,
            params,
            query_list,
            body,
            headers.get("content-type", ""),
            caller,
            now,
            self.bot_user_id if caller.kind == "oauth1" else None,
        )
        try:
            result = self._handler(name)(req, *args)
        except ApiError as exc:
            result = Result(exc.status, exc.body)
        result.headers.update(rl)
        return result, fault, name, caller

    def _fault_result(
        self, fault: Fault, name: str, caller: Caller, now: datetime, rl: dict[str, str]
    ) -> Result | None:
        kind = fault.kind
        if kind == "rate_limit":
            self.limits.drain(name, caller.token, now, fault.reset_in)
            reset = str(int(now.timestamp()) + fault.reset_in)
            return Result(
                429,
                dict(wire.TOO_MANY),
                {**rl, "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
            )
        fixed = {
            "usage_cap": (429, wire.USAGE_CAPPED),
            "credits": (402, wire.CREDITS_DEPLETED),
            "server_error": (500, wire.SERVER_ERROR),
            "unavailable": (503, wire.UNAVAILABLE),
            "unauthorized": (401, wire.UNAUTHORIZED),
            "not_enrolled": (403, wire.CLIENT_NOT_ENROLLED),
        }
        if kind in fixed:
            status, body = fixed[kind]
            return Result(status, dict(body), dict(rl))
        return None  # slow, drop, malformed: handled by the HTTP layer around a normal answer

    def _handler(self, name: str) -> Callable[..., Result]:
        r, w = self.reads, self.writes
        table: dict[str, Callable[..., Result]] = {
            "search": r.search,
            "mentions": r.mentions,
            "user_tweets": r.user_tweets,
            "tweets": r.lookup_many,
            "tweet": r.lookup_one,
            "create": w.create,
            "delete": w.delete,
            "me": r.me,
            "user_by_username": r.user_by_username,
            "media_upload": w.upload,
        }
        return table[name]


def _rl(bucket: Bucket) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(bucket.limit),
        "x-rate-limit-remaining": str(max(bucket.remaining, 0)),
        "x-rate-limit-reset": str(bucket.reset),
    }


class _Handler(BaseHTTPRequestHandler):
    sandbox: Sandbox
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server_version = "envoy"
    sys_version = ""

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
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
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
