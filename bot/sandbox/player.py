"""Playing a scenario into a `World`: `apply_event` performs one event at its scheduled time, and
`ScenarioPlayer` applies every event whose time has come, step by step (`advance_to`, for tests
with a ManualClock) or from a background thread following a real or accelerated clock.

Loading already refused scenarios that refer to unknown accounts or refs; what can still fail at
play time (a raw tweet id that does not exist, a second retweet by the same account) raises
ScenarioError when `strict`, and otherwise lands in `errors` and goes to `on_error`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.sandbox.scenario import Account, Event, Scenario, ScenarioError
from bot.sandbox.world import World


def apply_event(world: World, e: Event, when: datetime, refs: dict[str, str]) -> str | None:
    """Apply one event at scheduled time `when`; returns the id of a created tweet, if any.
    A `target` that names an edited tweet's ref acts on its latest version."""
    target = refs.get(e.target, e.target) if e.target is not None else None
    user = e.user or ""
    created: str | None = None
    if e.action == "post":
        created = world.post(user, e.text or "", at=when, lang=e.lang, index_delay=e.index_delay)
    elif e.action == "reply":
        created = world.reply(
            user,
            world.latest(str(target)),
            e.text or "",
            at=when,
            lang=e.lang,
            index_delay=e.index_delay,
        )
    elif e.action == "quote":
        created = world.quote(
            user,
            world.latest(str(target)),
            e.text or "",
            at=when,
            lang=e.lang,
            index_delay=e.index_delay,
        )
    elif e.action == "retweet":
        created = world.retweet(user, world.latest(str(target)), at=when)
    elif e.action == "like":
        world.like(str(target), e.count)
    elif e.action == "unlike":
        world.unlike(str(target), e.count)
    elif e.action == "delete":
        world.delete(str(target))
    elif e.action == "edit":
        created = world.edit(world.latest(str(target)), e.text or "", at=when)
    elif e.action == "protect":
        world.set_protected(user, e.value)
    elif e.action == "suspend":
        world.set_suspended(user, e.value)
    elif e.action == "metrics":
        world.set_metrics(world.latest(str(target)), **dict(e.metrics))
    if created is not None and e.ref:
        refs[e.ref] = created
    return created


class ScenarioPlayer:
    """Plays a scenario into a world. `advance_to(now)` applies every event whose time has come;
    `start()` does the same from a background thread that follows `clock`."""

    def __init__(
        self,
        scenario: Scenario,
        world: World,
        clock: Clock,
        *,
        start: datetime | None = None,
        strict: bool = True,
        refs: dict[str, str] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """`refs` may be shared (e.g. `Sandbox.refs`, so admin world actions can target the
        scenario's tweets); `on_error` receives each play-time error when not `strict`."""
        self.scenario, self.world, self.clock, self.strict = scenario, world, clock, strict
        self.start_time = (start or scenario.start or clock.now()).astimezone(UTC)
        self.refs: dict[str, str] = refs if refs is not None else {}
        self.on_error = on_error
        self.applied: list[tuple[Event, str | None]] = []
        self.errors: list[str] = []
        self._next = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with world.lock:
            for a in (Account(scenario.bot_username, name="Contest Bot"), *scenario.accounts):
                if world.find_user(a.username) is None:
                    world.add_user(
                        a.username,
                        name=a.name,
                        created_at=self.start_time - timedelta(days=a.age_days),
                        followers=a.followers,
                        following=a.following,
                        protected=a.protected,
                        suspended=a.suspended,
                        verified=a.verified,
                        description=a.description,
                    )

    @property
    def done(self) -> bool:
        return self._next >= len(self.scenario.events)

    @property
    def end_time(self) -> datetime:
        return self.start_time + timedelta(seconds=self.scenario.duration)

    def ref(self, name: str) -> str:
        """The tweet id a `ref` created (the latest version if it was edited)."""
        if name not in self.refs:
            raise KeyError(
                f"scenario ref {name!r} has not been created yet (known: {sorted(self.refs)})"
            )
        return self.world.latest(self.refs[name])

    def advance_to(self, now: datetime | None = None) -> list[Event]:
        now = now or self.clock.now()
        done: list[Event] = []
        events = self.scenario.events
        with self.world.lock:
            while self._next < len(events):
                e = events[self._next]
                when = self.start_time + timedelta(seconds=e.at)
                if when > now:
                    break
                self._next += 1
                try:
                    created = apply_event(self.world, e, when, self.refs)
                except (KeyError, ValueError) as exc:
                    detail = exc.args[0] if exc.args else repr(exc)
                    msg = f"event {self._next} ({e.action} at {e.at:+g}s): {detail}"
                    if self.strict:
                        raise ScenarioError(msg) from exc
                    self.errors.append(msg)
                    if self.on_error is not None:
                        self.on_error(msg)
                    continue
                self.applied.append((e, created))
                done.append(e)
        return done

    def start(self, tick: float = 0.05) -> ScenarioPlayer:
        """Follow the clock in a daemon thread (real seconds between checks: `tick`)."""
        self.strict = False

        def loop() -> None:
            while not self._stop.wait(tick):
                self.advance_to(self.clock.now())
                if self.done:
                    return

        self.advance_to(self.clock.now())
        self._thread = threading.Thread(target=loop, name="scenario-player", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
