"""Scenarios: accounts plus a timeline of events (post, like, reply, retweet, quote, delete, edit,
protect...) at offsets from a start time, loaded from TOML/JSON or built in Python, and played
into a `World` step by step (tests, with a ManualClock) or in a background thread (real or
accelerated time). The file format is documented in docs/SANDBOX.md.

Events are stamped with their scheduled time, not the time the player happens to apply them, so
ids and `created_at` do not depend on how often the player ticks. A `ref` names the tweet an event
creates; later events point at it with `target` (a raw tweet id works too).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACTIONS = (
    "post",
    "reply",
    "quote",
    "retweet",
    "like",
    "unlike",
    "delete",
    "edit",
    "protect",
    "suspend",
    "metrics",
)
NEEDS_USER = {"post", "reply", "quote", "retweet", "protect", "suspend"}
NEEDS_TARGET = {"reply", "quote", "retweet", "like", "unlike", "delete", "edit", "metrics"}
NEEDS_TEXT = {"post", "reply", "quote", "edit"}
METRIC_NAMES = ("likes", "replies", "retweets", "quotes", "bookmarks", "impressions")
OFFSET_RE = re.compile(r"^([+-])?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


class ScenarioError(ValueError):
    """A scenario file or event that cannot be used; the message names where and the fix."""


@dataclass(frozen=True)
class Account:
    username: str
    name: str | None = None
    followers: int = 0
    following: int = 0
    age_days: float = 400.0
    protected: bool = False
    suspended: bool = False
    verified: bool = False
    description: str = ""


@dataclass(frozen=True)
class Event:
    at: float  # seconds from the scenario start (negative: before it)
    action: str
    user: str | None = None
    target: str | None = None
    text: str | None = None
    ref: str | None = None
    count: int = 1
    lang: str | None = "en"
    index_delay: float = 0.0
    value: bool = True
    metrics: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Scenario:
    start: datetime | None  # None: "now" when the player starts
    speed: float = 1.0
    bot_username: str = "contestbot"
    name: str = ""
    accounts: tuple[Account, ...] = ()
    events: tuple[Event, ...] = field(default=())

    @property
    def duration(self) -> float:
        """Seconds from the start to the last event."""
        return max((e.at for e in self.events), default=0.0)


def parse_offset(value: str | float | int | timedelta, where: str = "at") -> float:
    """'+5m', '+1h30m', '-10m', '90s', '2d', 90 -> seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    m = OFFSET_RE.match(text)
    if not text or m is None or not any(m.groups()[1:]):
        try:
            return float(text)
        except ValueError:
            raise ScenarioError(
                f"{where}: offset {value!r} is not like '+5m', '+1h30m', '-10m' "
                "or a number of seconds"
            ) from None
    sign = -1.0 if m.group(1) == "-" else 1.0
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups()[1:])
    return sign * (d * 86400 + h * 3600 + mi * 60 + s)


def check_event(e: Event, where: str) -> Event:
    if e.action not in ACTIONS:
        raise ScenarioError(
            f"{where}: unknown action {e.action!r}; use one of {', '.join(ACTIONS)}"
        )
    for needed, key in ((NEEDS_USER, "user"), (NEEDS_TARGET, "target"), (NEEDS_TEXT, "text")):
        if e.action in needed and getattr(e, key) is None:
            raise ScenarioError(f"{where}: action {e.action!r} needs `{key}`")
    for name, _ in e.metrics:
        if name not in METRIC_NAMES:
            raise ScenarioError(f"{where}: unknown metric {name!r}; use {', '.join(METRIC_NAMES)}")
    return e


def _expand(base: Event, repeat: int, every: float) -> list[Event]:
    return [
        replace(base, at=base.at + i * every, ref=base.ref if i == 0 else None)
        for i in range(repeat)
    ]


def scenario_from_dict(data: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """Build a Scenario from parsed TOML/JSON (see docs/SANDBOX.md for the keys)."""
    sb = dict(data.get("sandbox", {}))
    start_raw = sb.pop("start", "now")
    start: datetime | None = None
    if start_raw != "now":
        try:
            start = (
                start_raw
                if isinstance(start_raw, datetime)
                else datetime.fromisoformat(str(start_raw))
            )
        except ValueError:
            raise ScenarioError(
                f"{source}: [sandbox] start = {start_raw!r} is not an ISO time "
                'like 2026-09-01T10:00:00Z or "now"'
            ) from None
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    speed = float(sb.pop("speed", 1.0))
    if speed <= 0:
        raise ScenarioError(f"{source}: [sandbox] speed = {speed} must be positive")
    bot = str(sb.pop("bot_username", sb.pop("bot", "contestbot")))
    name = str(sb.pop("name", ""))
    if sb:
        raise ScenarioError(
            f"{source}: unknown [sandbox] keys {sorted(sb)}; use start, speed, bot_username, name"
        )
    account_keys = {f.name for f in fields(Account)}
    accounts = []
    for i, raw in enumerate(data.get("account", [])):
        unknown = set(raw) - account_keys
        if unknown or "username" not in raw:
            raise ScenarioError(
                f"{source}: account {i + 1}: needs `username`; unknown keys "
                f"{sorted(unknown)} (allowed: {sorted(account_keys)})"
            )
        accounts.append(Account(**raw))
    events: list[Event] = []
    event_keys = {f.name for f in fields(Event)} | {"repeat", "every"} | set(METRIC_NAMES)
    for i, raw in enumerate(data.get("event", [])):
        where = f"{source}: event {i + 1} ({raw.get('action', '?')} at {raw.get('at', '?')})"
        unknown = set(raw) - event_keys
        if unknown:
            raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
        raw = dict(raw)
        at = parse_offset(raw.pop("at", 0), where)
        repeat = int(raw.pop("repeat", 1))
        every = parse_offset(raw.pop("every", 0), where)
        metrics = tuple((k, int(raw.pop(k))) for k in METRIC_NAMES if k in raw)
        ev = check_event(Event(at=at, metrics=metrics, **raw), where)
        events.extend(_expand(ev, repeat, every))
    events.sort(key=lambda e: e.at)  # stable: same-time events keep file order
    return Scenario(start, speed, bot, name, tuple(accounts), tuple(events))


def load_scenario(path: str | Path) -> Scenario:
    """Read a .toml or .json scenario file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {p}: {exc.strerror}") from None
    try:
        data = json.loads(raw) if p.suffix == ".json" else tomllib.loads(raw.decode())
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(
            f"{p}: not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {exc}"
        ) from None
    return scenario_from_dict(data, str(p))


class ScenarioBuilder:
    """The Python way to write a scenario: `ScenarioBuilder(start=t0).account("alice")
    .post("+5m", "alice", "my entry #IGFcontest", ref="a1").like("+10m", "a1", 3).build()`."""

    def __init__(
        self,
        *,
        start: datetime | None = None,
        speed: float = 1.0,
        bot_username: str = "contestbot",
        name: str = "",
    ) -> None:
        self._start, self._speed, self._bot, self._name = start, speed, bot_username, name
        self._accounts: list[Account] = []
        self._events: list[Event] = []

    def account(self, username: str, **kwargs: Any) -> ScenarioBuilder:
        self._accounts.append(Account(username, **kwargs))
        return self

    def event(
        self,
        at: str | float | timedelta,
        action: str,
        *,
        repeat: int = 1,
        every: str | float | timedelta = 0,
        **kwargs: Any,
    ) -> ScenarioBuilder:
        metrics = tuple((k, int(kwargs.pop(k))) for k in METRIC_NAMES if k in kwargs)
        ev = check_event(
            Event(parse_offset(at), action, metrics=metrics, **kwargs), f"{action} at {at}"
        )
        self._events.extend(_expand(ev, repeat, parse_offset(every)))
        return self

    def post(self, at: str | float, user: str, text: str, **kw: Any) -> ScenarioBuilder:
        return self.event(at, "post", user=user, text=text, **kw)

    def reply(
        self, at: str | float, user: str, target: str, text: str, **kw: Any
    ) -> ScenarioBuilder:
        return self.event(at, "reply", user=user, target=target, text=text, **kw)

    def quote(
        self, at: str | float, user: str, target: str, text: str, **kw: Any
    ) -> ScenarioBuilder:
        return self.event(at, "quote", user=user, target=target, text=text, **kw)

    def retweet(self, at: str | float, user: str, target: str, **kw: Any) -> ScenarioBuilder:
        return self.event(at, "retweet", user=user, target=target, **kw)

    def like(self, at: str | float, target: str, count: int = 1, **kw: Any) -> ScenarioBuilder:
        return self.event(at, "like", target=target, count=count, **kw)

    def unlike(self, at: str | float, target: str, count: int = 1, **kw: Any) -> ScenarioBuilder:
        return self.event(at, "unlike", target=target, count=count, **kw)

    def delete(self, at: str | float, target: str) -> ScenarioBuilder:
        return self.event(at, "delete", target=target)

    def edit(self, at: str | float, target: str, text: str, **kw: Any) -> ScenarioBuilder:
        return self.event(at, "edit", target=target, text=text, **kw)

    def protect(self, at: str | float, user: str, value: bool = True) -> ScenarioBuilder:
        return self.event(at, "protect", user=user, value=value)

    def metrics(self, at: str | float, target: str, **values: int) -> ScenarioBuilder:
        return self.event(at, "metrics", target=target, **values)

    def build(self) -> Scenario:
        events = sorted(self._events, key=lambda e: e.at)
        return Scenario(
            self._start, self._speed, self._bot, self._name, tuple(self._accounts), tuple(events)
        )
