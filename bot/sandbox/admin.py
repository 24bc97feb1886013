"""Admin routes under `/_sandbox/` (never a real X API path): the request log, the posted
tweets, a state summary, fault switches, world actions and (with a ManualClock) the clock.

Every admin route needs the sandbox's admin token (`Sandbox.admin_token`, random per start and
printed by `contestbot sandbox`), as `Authorization: Bearer <token>` or `?token=<token>`: 401
without it, 403 with a wrong one, and nothing changes. The X API credentials never open them.

  GET    /_sandbox/state          summary: world counts, faults, log sizes, scenario errors,
                                  client disconnects
  GET    /_sandbox/requests       the request log        POST /_sandbox/reset-log  clear it
  GET    /_sandbox/posted         tweets posted through POST /2/tweets
  GET    /_sandbox/faults         active faults          POST   /_sandbox/faults   add one (JSON)
  DELETE /_sandbox/faults         clear all              DELETE /_sandbox/faults/<id>
                                  (both refill the rate-limit buckets a rate_limit fault emptied)
  POST   /_sandbox/world          one scenario event as JSON ({"action": "like", ...}); a `ref`
                                  names the created tweet for later actions and scenario events
  POST   /_sandbox/late-indexing  {"seconds": N}
  POST   /_sandbox/clock          {"advance": seconds} or {"set": ISO time} (ManualClock only)
  GET    /_sandbox/tweets/<id>    the full stored state of one tweet (any version, even deleted)
"""

from __future__ import annotations

import json
import secrets
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

from bot.clock import ManualClock
from bot.sandbox.faults import KINDS
from bot.sandbox.player import apply_event
from bot.sandbox.scenario import CREATES, METRIC_NAMES, Event, ScenarioError, check_event
from bot.sandbox.wire import ts

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.sandbox.faults import Faults
    from bot.sandbox.httpd import LoggedRequest
    from bot.sandbox.world import World


class AdminHost(Protocol):
    """What the admin routes read and change of the sandbox (`bot.sandbox.server.Sandbox`)."""

    clock: Clock
    world: World
    faults: Faults
    admin_token: str
    bot_user_id: str
    bot_username: str
    media: dict[str, dict[str, Any]]
    refs: dict[str, str]
    scenario_errors: list[str]
    disconnects: int

    @property
    def requests(self) -> list[LoggedRequest]: ...

    @property
    def posted(self) -> list[dict[str, Any]]: ...

    def reset_log(self) -> None: ...

    def late_indexing(self, seconds: float) -> None: ...


HINT = (
    "admin routes need the admin token `contestbot sandbox` printed at start: send "
    "'Authorization: Bearer <admin token>' (or ?token=<admin token>); the X API credentials "
    "do not open admin routes"
)


def check_token(sb: AdminHost, raw_path: str, headers: dict[str, str]) -> tuple[int, Any] | None:
    """None when the request carries the admin token; else the 401/403 answer."""
    given: str | None = None
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        given = auth[7:].strip()
    elif "?" in raw_path:
        given = next(iter(parse_qs(raw_path.split("?", 1)[1]).get("token", [])), None)
    if not given:
        return 401, {"error": "missing admin token", "status": 401, "hint": HINT}
    if not secrets.compare_digest(given.encode(), sb.admin_token.encode()):
        return 403, {"error": "wrong admin token", "status": 403, "hint": HINT}
    return None


def handle_admin(
    sb: AdminHost, method: str, raw_path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    refused = check_token(sb, raw_path, headers or {})
    if refused is not None:
        return refused
    path = raw_path.split("?", 1)[0].rstrip("/")
    try:
        payload = json.loads(body) if body else {}
    except (ValueError, RecursionError):
        return 400, {"error": "the body must be JSON (UTF-8, nested at most a few levels)"}
    try:
        return _route(sb, method, path, payload)
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": str(exc.args[0]) if exc.args else repr(exc)}


def _route(sb: AdminHost, method: str, path: str, payload: Any) -> tuple[int, Any]:
    if (method, path) == ("GET", "/_sandbox/state"):
        return 200, {
            "world": sb.world.summary(),
            "bot": {"id": sb.bot_user_id, "username": sb.bot_username},
            "faults": sb.faults.snapshot(),
            "requests": len(sb.requests),
            "posted": len(sb.posted),
            "media": len(sb.media),
            "refs": dict(sb.refs),
            "scenario_errors": list(sb.scenario_errors),
            "disconnects": sb.disconnects,
        }
    if (method, path) == ("GET", "/_sandbox/requests"):
        return 200, {"requests": [r.as_dict() for r in sb.requests]}
    if (method, path) == ("POST", "/_sandbox/reset-log"):
        sb.reset_log()
        return 200, {"ok": True}
    if (method, path) == ("GET", "/_sandbox/posted"):
        return 200, {"posted": sb.posted}
    if (method, path) == ("GET", "/_sandbox/faults"):
        return 200, {"faults": sb.faults.snapshot(), "kinds": list(KINDS)}
    if (method, path) == ("POST", "/_sandbox/faults"):
        spec = dict(payload)
        for key in ("start", "end"):
            if spec.get(key):
                spec[key] = _time(spec[key])
        fault = sb.faults.add(spec.pop("kind"), **spec)
        return 201, {"fault": fault.as_dict()}
    if (method, path) == ("DELETE", "/_sandbox/faults"):
        removed = len(sb.faults.snapshot())
        sb.faults.clear()
        return 200, {"faults": [], "removed": removed}
    if method == "DELETE" and path.startswith("/_sandbox/faults/"):
        ok = sb.faults.remove(int(path.rsplit("/", 1)[1]))
        return (200 if ok else 404), {"removed": ok}
    if (method, path) == ("POST", "/_sandbox/world"):
        return _world_action(sb, payload)
    if (method, path) == ("POST", "/_sandbox/late-indexing"):
        sb.late_indexing(float(payload["seconds"]))
        return 200, {"index_delay": sb.world.index_delay}
    if (method, path) == ("POST", "/_sandbox/clock"):
        if not isinstance(sb.clock, ManualClock):
            return 409, {"error": "the sandbox clock is not a ManualClock; it cannot be moved"}
        if "set" in payload:
            sb.clock.set(_time(payload["set"]))
        else:
            sb.clock.advance(float(payload.get("advance", 0)))
        return 200, {"now": ts(sb.clock.now())}
    if method == "GET" and path.startswith("/_sandbox/tweets/"):
        t = sb.world.get(path.rsplit("/", 1)[1])
        if t is None:
            return 404, {"error": "unknown tweet id"}
        return 200, {
            "id": t.id,
            "text": t.full_text,
            "author_id": t.author_id,
            "created_at": ts(t.created_at),
            "deleted": t.deleted,
            "edit_history_tweet_ids": list(t.chain),
            "likes": t.likes,
            "replies": t.replies,
            "retweets": t.retweets,
            "quotes": t.quotes,
        }
    return 404, {"error": f"no admin route {method} {path}"}


def _world_action(sb: AdminHost, payload: dict[str, Any]) -> tuple[int, Any]:
    allowed = {f.name for f in fields(Event)} | set(METRIC_NAMES)
    unknown = set(payload) - allowed - {"at"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    data = {k: v for k, v in payload.items() if k in allowed and k not in METRIC_NAMES}
    data.pop("at", None)
    metrics = tuple((k, int(payload[k])) for k in METRIC_NAMES if k in payload)
    try:
        event = check_event(Event(at=0.0, metrics=metrics, **data), "world action")
    except ScenarioError as exc:
        return 400, {"error": str(exc)}
    when = _time(payload["at"]) if "at" in payload else sb.clock.now()
    world = sb.world
    with world.lock:  # the scenario player shares `sb.refs` and takes the same lock
        refs = sb.refs
        if event.user is not None and world.find_user(event.user) is None:
            return 400, {"error": f"world action: unknown user {event.user!r}; add it first"}
        if event.ref is not None:
            if event.action not in CREATES:
                return 400, {
                    "error": f"world action: `ref` on a {event.action!r} names nothing; "
                    f"only {', '.join(sorted(CREATES))} create a tweet"
                }
            if event.ref in refs:
                return 409, {
                    "error": f"world action: ref {event.ref!r} already names tweet "
                    f"{refs[event.ref]}; pick another ref"
                }
        target = None
        if event.target is not None:
            target = refs.get(event.target, event.target)
            if world.get(target) is None:
                return 400, {
                    "error": f"world action: unknown target {event.target!r}: neither a ref "
                    f"(refs: {', '.join(sorted(refs)) or 'none'}) nor a tweet id of the world"
                }
        created = apply_event(world, event, when, refs)
        answer: dict[str, Any] = {"ok": True, "action": event.action}
        if created is not None:
            answer["tweet_id"] = created
        elif target is not None:
            answer["tweet_id"] = world.latest(target)
        for key in ("ref", "user", "target"):
            if getattr(event, key) is not None:
                answer[key] = getattr(event, key)
        return 200, answer


def _time(raw: str) -> datetime:
    when = datetime.fromisoformat(raw)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
