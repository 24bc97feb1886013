"""Lease decisions for several bot instances sharing one database: who may act on a competition.

Pure: an instance acts on a competition only while it holds that competition's lease (holder,
expiry), renews it well before it expires, and may take a lease over once it has expired. The store
applies these rules atomically with one compare-and-set statement (see docs/OPERATIONS.md, "Several
instances"); this module holds the same rules as plain functions so the daemon and the tests agree
on them, plus `assign`, a deterministic heuristic that splits competitions fairly between the live
instances so they don't all race for the same leases.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class Lease:
    """`holder` may act on `competition_id` until `expires_at` (exclusive)."""

    competition_id: str
    holder: str
    expires_at: datetime


def is_expired(lease: Lease, now: datetime) -> bool:
    return lease.expires_at <= now


def is_held_by(lease: Lease | None, me: str, now: datetime) -> bool:
    """True when `me` holds `lease` and it has not expired: the only state in which to act."""
    return lease is not None and lease.holder == me and not is_expired(lease, now)


def may_acquire(current: Lease | None, me: str, now: datetime) -> bool:
    """Whether `me` may (re)take the lease: nobody holds it, `me` does, or it has expired."""
    return current is None or current.holder == me or is_expired(current, now)


def renewal(now: datetime, ttl: timedelta = DEFAULT_TTL) -> datetime:
    """The expiry to write when acquiring or renewing at `now`."""
    _check_ttl(ttl)
    return now + ttl


def should_renew(lease: Lease, now: datetime, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Renew once half the TTL has gone, so one missed renewal still leaves time to try again."""
    _check_ttl(ttl)
    return lease.expires_at - now <= ttl / 2


def quota(competitions: int, instances: int) -> int:
    """The most leases one instance should hold: ceil(competitions / instances)."""
    if competitions < 0 or instances < 1:
        raise ValueError(
            f"competitions={competitions}, instances={instances}; "
            "need 0 or more competitions and at least one instance"
        )
    return math.ceil(competitions / instances)


def assign(competitions: Iterable[str], live_instances: Iterable[str], me: str) -> tuple[str, ...]:
    """The competitions `me` should try to hold, sorted.

    Every instance computes the same split from the same inputs: competitions in sorted order each
    go to the instance with the highest rendezvous weight (a hash of competition and instance) among
    those still under `quota`. So each instance gets at most ceil(n / instances), and when an
    instance joins or leaves most competitions keep their holder. `me` always counts as live.
    It is only a heuristic: safety comes from the leases, so two instances that briefly see
    different live sets merely compete for a lease, and the compare-and-set picks one."""
    comps = sorted(set(competitions))
    instances = sorted(set(live_instances) | {me})
    limit = quota(len(comps), len(instances))
    load = dict.fromkeys(instances, 0)
    mine: list[str] = []
    for comp in comps:
        candidates = [i for i in instances if load[i] < limit]
        owner = max(candidates, key=lambda i: (_weight(comp, i), i))
        load[owner] += 1
        if owner == me:
            mine.append(comp)
    return tuple(mine)


def _weight(competition: str, instance: str) -> int:
    digest = hashlib.sha256(f"{competition}\x00{instance}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _check_ttl(ttl: timedelta) -> None:
    if ttl <= timedelta(0):
        raise ValueError(f"ttl={ttl}; the lease TTL must be positive")
