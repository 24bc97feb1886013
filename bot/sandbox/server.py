"""The sandbox HTTP server: routing, authentication, rate-limit headers, fault switches, the
request log, and the `Sandbox` object tests and the CLI start.

`Sandbox(...).start()` serves a `ThreadingHTTPServer` on 127.0.0.1 (port 0 picks a free port) in a
daemon thread. Every API response carries the headers of CONTRACT.md §1 (x-rate-limit-*,
api-version, x-access-level, x-transaction-id, ...); bodies are gzip when the client accepts it.
Routes under `/_sandbox/` (see `bot.sandbox.admin`) need `admin_token`, never the X API
credentials, and are never real API paths.
The HTTP layer itself (handler, request log entries, quiet client disconnects) is
`bot.sandbox.httpd`.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import bot.sandbox.wire as wire
from bot.clock import Clock, SystemClock
from bot.sandbox.admin import handle_admin
from bot.sandbox.api import Reads, Request, Result, Rules
from bot.sandbox.auth import Caller, Credentials, identify
from bot.sandbox.faults import Fault, Faults
from bot.sandbox.httpd import Handler, LoggedRequest, SandboxHTTPServer
from bot.sandbox.params import ApiError
from bot.sandbox.ratelimit import Bucket, RateLimiter
from bot.sandbox.world import World
from bot.sandbox.writes import Writes

LOOPBACK = ("127.0.0.1", "localhost", "::1")


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
        admin_token: str | None = None,
        request_timeout: float = 10.0,
        max_connections: int = 256,
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
        # Admin routes need this token (bot.sandbox.admin); sockets time out after
        # request_timeout s of silence; at most max_connections handler threads (httpd).
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.request_timeout = request_timeout
        self.max_connections = max_connections
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
        # Scenario refs shared by the admin world actions (and the player `serve` runs).
        self.refs: dict[str, str] = {}
        self.scenario_errors: list[str] = []  # play-time errors of a scenario, newest last
        self.disconnects = 0  # connections the client reset or closed before the answer
        self.faults.on_removed.append(self._refill)
        self.reads = Reads(self.world, self.rules, self.media)
        self.writes = Writes(self.world, self.rules, self.media)
        self._log: deque[LoggedRequest] = deque(maxlen=200_000)
        self._log_lock = threading.Lock()
        self._server: SandboxHTTPServer | None = None
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

    def report_error(self, message: str) -> None:
        """Record a scenario error that could only show at play time (see GET /_sandbox/state)."""
        with self._log_lock:
            self.scenario_errors.append(message)

    def _refill(self, removed: list[Fault]) -> None:
        self.limits.restore([f.id for f in removed if f.kind == "rate_limit"])

    def count_disconnect(self) -> None:
        with self._log_lock:
            self.disconnects += 1

    def late_indexing(self, seconds: float) -> None:
        """Every tweet becomes searchable only `seconds` after its created_at."""
        self.world.index_delay = seconds

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        handler = type("Handler", (Handler,), {"sandbox": self})
        self._server = SandboxHTTPServer((self.host, self.port), handler)
        self._server.sandbox = self
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
    def admin(
        self, method: str, raw_path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any]:
        """Answer one `/_sandbox/*` admin route (`bot.sandbox.admin`: token first)."""
        return handle_admin(self, method, raw_path, body, headers)

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
        withholds = fault is not None and fault.kind in ("partial", "vanish")
        if fault is not None and withholds and name in ("tweets", "tweet"):
            result = self._withhold(result, "ids" if name == "tweets" else "id", fault.kind)
        result.headers.update(rl)
        return result, fault, name, caller

    def _withhold(self, result: Result, param: str, kind: str) -> Result:
        """A "partial" ("vanish") fault on a look-up: some found posts answered as
        resource-unavailable (resource-not-found) partial errors instead (CONTRACT.md §4), the
        rest as they were."""
        body = result.body
        if result.status != 200 or not isinstance(body, dict) or "data" not in body:
            return result
        data = body["data"] if isinstance(body["data"], list) else [body["data"]]
        gone = self.faults.withheld([t["id"] for t in data])
        kept = [t for t in data if t["id"] not in gone]
        out = {k: v for k, v in body.items() if k != "data"}
        if kept:
            out["data"] = kept if isinstance(body["data"], list) else kept[0]
        problem = wire.unavailable if kind == "partial" else wire.not_found
        errors = [problem("tweet", param, i) for i in sorted(gone, key=int)]
        out["errors"] = [*body.get("errors", []), *errors]
        return Result(200, dict(sorted(out.items())), result.headers)

    def _fault_result(
        self, fault: Fault, name: str, caller: Caller, now: datetime, rl: dict[str, str]
    ) -> Result | None:
        kind = fault.kind
        if kind == "rate_limit":
            self.limits.drain(name, caller.token, now, fault.reset_in, fault_id=fault.id)
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
