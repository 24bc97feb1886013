"""Fault switches: make chosen endpoints fail the way the real X API fails, on purpose.

A fault names a kind (see `KINDS`), the endpoint it applies to (or "*"), and when it fires: with a
probability drawn from a seeded RNG (so runs are reproducible), for the next `count` matching calls,
and/or only between two clock times. The HTTP layer asks `pick(endpoint, now)` once per API request
and turns the answer into a 429 burst, a usage-cap 429, a 402, a 500/503, a slow reply, a dropped
connection or a malformed body. Late indexing is a world property, set here for convenience.
Removing or clearing a fault calls the `on_removed` listeners (the sandbox uses one to refill the
rate-limit buckets a `rate_limit` fault emptied). `PROFILES` name ready-made mixes that
`Faults.add_profile` switches on at a total failure rate: "every" (each kind, long rate-limit
resets and persistent failures included) and "transient" (only failures a client should retry
soon: 429s with a short reset, 503s, dropped connections, and look-ups that answer 200 with some
posts withheld as `resource-unavailable` or `resource-not-found` partial errors).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

KINDS = (
    "rate_limit",  # 429 Too Many Requests and the endpoint's bucket emptied until reset_in
    "usage_cap",  # 429 usage-capped (monthly product cap)
    "credits",  # 402 CreditsDepleted
    "server_error",  # 500
    "unavailable",  # 503
    "unauthorized",  # 401 (as for a revoked token)
    "not_enrolled",  # 403 client-forbidden / client-not-enrolled
    "slow",  # answer normally after `delay` real seconds (beyond a client timeout)
    "drop",  # close the connection without any response
    "malformed",  # 200 with a truncated JSON body
    "partial",  # tweet look-ups: 200 with some found posts as resource-unavailable partial errors
    "vanish",  # tweet look-ups: 200 with some found posts as resource-not-found (a passing miss)
)
ENDPOINTS = (
    "*",
    "search",
    "mentions",
    "tweets",
    "tweet",
    "create",
    "delete",
    "me",
    "user_by_username",
    "user_tweets",
    "media_upload",
)


# name -> (kind, endpoint, share of the profile's failures, seconds until a rate-limit reset)
PROFILES: dict[str, tuple[tuple[str, str, float, int], ...]] = {
    "every": tuple((kind, "*", 1 / len(KINDS), 300) for kind in KINDS),
    "transient": (
        ("rate_limit", "*", 0.25, 5),
        ("unavailable", "*", 0.3, 0),
        ("drop", "*", 0.25, 0),
        ("partial", "tweets", 0.1, 0),
        ("vanish", "tweets", 0.1, 0),
    ),
}


@dataclass
class Fault:
    kind: str
    endpoint: str = "*"
    probability: float = 1.0
    count: int | None = None  # fire at most this many more times; None = no limit
    start: datetime | None = None  # active from this clock time (inclusive)
    end: datetime | None = None  # until this clock time (exclusive)
    delay: float = 2.0  # seconds of real time, for "slow"
    reset_in: int = 900  # seconds until the bucket resets, for "rate_limit"
    id: int = 0
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("start", "end"):
            if d[key] is not None:
                d[key] = d[key].strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


class Faults:
    """The active fault switches of one sandbox. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._ids = itertools.count(1)
        self.active: list[Fault] = []
        self.on_removed: list[Callable[[list[Fault]], None]] = []

    def add(
        self,
        kind: str,
        endpoint: str = "*",
        *,
        probability: float = 1.0,
        count: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        delay: float = 2.0,
        reset_in: int = 900,
    ) -> Fault:
        """Switch a fault on. E.g. `add("unavailable", "search", count=2)` makes the next two
        searches answer 503; `add("drop", probability=0.1)` drops one request in ten."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; use one of {', '.join(ENDPOINTS)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} must be between 0 and 1")
        with self._lock:
            fault = Fault(
                kind, endpoint, probability, count, start, end, delay, reset_in, id=next(self._ids)
            )
            self.active.append(fault)
            return fault

    def add_profile(self, name: str, rate: float, *, delay: float = 0.3) -> list[Fault]:
        """Switch on every fault of profile `name` on every endpoint, so that about `rate` of
        all requests fail, split between the kinds by their shares. (Switches are tried in
        order, so each one's probability is its share of what the earlier ones let through.)"""
        if name not in PROFILES:
            raise ValueError(f"unknown fault profile {name!r}; use one of {', '.join(PROFILES)}")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate {rate} must be at least 0 and below 1")
        added, left = [], 1.0
        for kind, endpoint, share, reset_in in PROFILES[name]:
            wanted = rate * share  # of all requests
            probability = min(1.0, wanted / left)
            added.append(
                self.add(
                    kind, endpoint, probability=probability, delay=delay, reset_in=max(1, reset_in)
                )
            )
            left -= wanted
        return added

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            gone = [f for f in self.active if f.id == fault_id]
            self.active = [f for f in self.active if f.id != fault_id]
        self._removed(gone)
        return bool(gone)

    def clear(self) -> None:
        with self._lock:
            gone, self.active = self.active, []
        self._removed(gone)

    def _removed(self, gone: list[Fault]) -> None:
        if gone:
            for listener in list(self.on_removed):
                listener(gone)

    def pick(self, endpoint: str, now: datetime) -> Fault | None:
        """The fault that fires for this request, if any (first matching switch wins)."""
        with self._lock:
            for fault in self.active:
                if fault.endpoint not in ("*", endpoint):
                    continue
                if fault.count is not None and fault.count <= 0:
                    continue
                if fault.start is not None and now < fault.start:
                    continue
                if fault.end is not None and now >= fault.end:
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                fault.fired += 1
                return fault
            return None

    def withheld(self, ids: Sequence[str]) -> set[str]:
        """For a "partial" or "vanish" fault: the found ids to withhold (each with an even
        chance, at least one)."""
        if not ids:
            return set()
        with self._lock:
            out = {i for i in ids if self._rng.random() < 0.5}
            return out or {ids[self._rng.randrange(len(ids))]}

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self.active]
