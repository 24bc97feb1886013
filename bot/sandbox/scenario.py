"""Scenarios: accounts plus a timeline of events (post, like, reply, retweet, quote, delete, edit,
protect...) at offsets from a start time, loaded from TOML/JSON or built in Python, and played
into a `World` step by step (tests, with a ManualClock) or in a background thread (real or
accelerated time). The file format is documented in docs/SANDBOX.md.

Events are stamped with their scheduled time, not the time the player happens to apply them, so
ids and `created_at` do not depend on how often the player ticks. A `ref` names the tweet an event
creates; later events point at it with `target` (a raw tweet id works too).

Loading checks the timeline as a whole (`check_timeline`), so a scenario that would silently skip
an event is refused up front: every `user` is an [[account]] or the bot, every `target` names a
ref created by an earlier event (or is a raw numeric id), refs are unique and only on events that
create a tweet, and nothing replies to, likes or edits a ref deleted earlier.
"""

from __future__ import annotations

import json
import math
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
CREATES = {"post", "reply", "quote", "retweet", "edit"}
FAILS_ON_DELETED = {"reply", "quote", "retweet", "like", "unlike", "edit"}
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
        if not math.isfinite(value):
            raise ScenarioError(f"{where}: offset {value!r} must be a finite number of seconds")
        return float(value)
    text = str(value).strip()
    m = OFFSET_RE.match(text)
    if not text or m is None or not any(m.groups()[1:]):
        try:
            seconds = float(text)
            if not math.isfinite(seconds):
                raise ValueError(text)
            return seconds
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


Labeled = list[tuple[Event, str]]  # an event and where it came from, for error messages


def _expand(base: Event, repeat: int, every: float, where: str) -> Labeled:
    if repeat < 1:
        raise ScenarioError(f"{where}: repeat = {repeat} must be 1 or more")
    if repeat > 1 and every < 0:
        raise ScenarioError(f"{where}: every = {every:g}s must not be negative")
    return [
        (
            replace(base, at=base.at + i * every, ref=base.ref if i == 0 else None),
            where if i == 0 else f"{where}, repeat {i + 1} at {_offset(base.at + i * every)}",
        )
        for i in range(repeat)
    ]


def _offset(seconds: float) -> str:
    return f"{seconds:+g}s"


def check_timeline(
    labeled: Labeled, accounts: tuple[Account, ...], bot_username: str
) -> tuple[Event, ...]:
    """Sort the events by offset (stable: same-time events keep their order) and check that they
    only refer to accounts and to refs created by earlier events. Raises ScenarioError naming
    the event, the key and the fix."""
    ordered = sorted(labeled, key=lambda pair: pair[0].at)
    users = {a.username.lower() for a in accounts} | {bot_username.lower()}
    known = ", ".join(sorted({a.username for a in accounts} | {bot_username}))
    made: dict[str, str] = {}  # ref -> where it was created
    deleted: dict[str, str] = {}  # ref -> where it was deleted
    planned = {e.ref: w for e, w in labeled if e.ref is not None}
    for e, where in ordered:
        if e.user is not None and e.user.lower() not in users:
            raise ScenarioError(
                f"{where}: `user` = {e.user!r} is not an account of the scenario; add "
                f'[[account]] username = "{e.user}" (accounts: {known})'
            )
        target = e.target
        if target is not None and not target.isdigit():
            if target not in made:
                later = planned.get(target)
                hint = (
                    f"it is created later ({later}); move this event after it"
                    if later is not None
                    else f'add ref = "{target}" to the event that creates the tweet, '
                    "or use a raw numeric tweet id"
                )
                raise ScenarioError(
                    f"{where}: `target` = {target!r} names no tweet created by an earlier "
                    f"event; {hint} (refs so far: {', '.join(sorted(made)) or 'none'})"
                )
            if target in deleted and e.action in FAILS_ON_DELETED:
                raise ScenarioError(
                    f"{where}: `target` = {target!r} was deleted earlier ({deleted[target]}); "
                    f"a deleted tweet cannot be the target of {e.action!r} - move the delete "
                    "later or drop this event"
                )
        if e.ref is not None:
            if e.action not in CREATES:
                raise ScenarioError(
                    f"{where}: `ref` = {e.ref!r} on a {e.action!r} event names nothing; only "
                    f"{', '.join(sorted(CREATES))} create a tweet - remove `ref`"
                )
            if e.ref in made:
                raise ScenarioError(
                    f"{where}: `ref` = {e.ref!r} is already used ({made[e.ref]}); "
                    "give each created tweet its own ref"
                )
            made[e.ref] = where
        if e.action == "delete" and target is not None:
            deleted[target] = where
            # the edit chain is deleted as a whole: every ref of it goes
            deleted.update({r: where for r in _chain_refs(target, ordered, made)})
    return tuple(e for e, _ in ordered)


def _chain_refs(target: str, ordered: Labeled, made: dict[str, str]) -> set[str]:
    """The other refs of `target`'s edit chain made so far (an edit links its target to its ref)."""
    links = [
        (e.target, e.ref)
        for e, _ in ordered
        if e.action == "edit" and e.target is not None and e.ref is not None and e.ref in made
    ]
    chain, grew = {target}, True
    while grew:
        grew = False
        for a, b in links:
            if (a in chain) != (b in chain):
                chain |= {a, b}
                grew = True
    return chain - {target}


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
    events: Labeled = []
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
        try:
            ev = check_event(Event(at=at, metrics=metrics, **raw), where)
        except TypeError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        events.extend(_expand(ev, repeat, every, where))
    ordered = check_timeline(events, tuple(accounts), bot)
    return Scenario(start, speed, bot, name, tuple(accounts), ordered)


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
        self._events: Labeled = []
        self._calls = 0

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
        self._calls += 1
        where = f"{self._name or 'scenario'}: event {self._calls} ({action} at {at})"
        ev = check_event(Event(parse_offset(at, where), action, metrics=metrics, **kwargs), where)
        self._events.extend(_expand(ev, repeat, parse_offset(every, where), where))
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
        """The scenario, checked as a whole (`check_timeline`): raises ScenarioError."""
        accounts = tuple(self._accounts)
        events = check_timeline(self._events, accounts, self._bot)
        return Scenario(self._start, self._speed, self._bot, self._name, accounts, events)
