"""Per-endpoint, per-token rate-limit buckets with the 2026 limits of CONTRACT.md §7.1.

Each (endpoint, token) pair has a fixed window that opens on its first request and resets after
15 minutes (24 hours for the app-level posting and media caps); the reset epoch comes from the
injected clock so a ManualClock test can run a bucket dry and then step past its reset.
A `drain` on behalf of a fault remembers the bucket it replaced; `restore` puts it back once no
fault that drained it is left, unless the bucket has been renewed since (its window ran out).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

WINDOW = 15 * 60
DAY = 24 * 3600

# endpoint -> ((app limit, app window), (user limit, user window)); None = not allowed/no limit
LIMITS: dict[str, tuple[tuple[int, int] | None, tuple[int, int] | None]] = {
    "search": ((450, WINDOW), (300, WINDOW)),
    "mentions": ((450, WINDOW), (300, WINDOW)),
    "tweets": ((3500, WINDOW), (5000, WINDOW)),
    "tweet": ((450, WINDOW), (900, WINDOW)),
    "create": ((10000, DAY), (100, WINDOW)),
    "delete": (None, (50, WINDOW)),
    "me": (None, (75, WINDOW)),
    "user_by_username": ((300, WINDOW), (900, WINDOW)),
    "user_tweets": ((1500, WINDOW), (900, WINDOW)),
    "media_upload": ((50000, DAY), (500, WINDOW)),
}


@dataclass
class Bucket:
    limit: int
    remaining: int
    reset: int  # unix epoch seconds


class RateLimiter:
    """`take()` spends one request; `overrides` lets tests shrink a limit (endpoint -> limit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        # key -> (the bucket before the first drain, the drained bucket, ids of the faults)
        self._drained: dict[tuple[str, str], tuple[Bucket | None, Bucket, set[int]]] = {}
        self.overrides: dict[str, int] = {}

    def take(self, endpoint: str, token: str, user_context: bool, now: datetime) -> Bucket:
        """Spend one request (unless the bucket is empty) and return the bucket after it."""
        app, user = LIMITS.get(endpoint, ((900, WINDOW), (900, WINDOW)))
        spec = user if user_context else app
        limit, window = spec if spec is not None else (900, WINDOW)
        limit = self.overrides.get(endpoint, limit)
        epoch = int(now.timestamp())
        with self._lock:
            key = (endpoint, token)
            b = self._buckets.get(key)
            if b is None or epoch >= b.reset or b.limit != limit:
                b = Bucket(limit, limit, epoch + window)
                self._buckets[key] = b
            if b.remaining > 0:
                b.remaining -= 1
                return Bucket(b.limit, b.remaining, b.reset)
            return Bucket(b.limit, -1, b.reset)

    def drain(
        self,
        endpoint: str,
        token: str,
        now: datetime,
        reset_in: int = WINDOW,
        fault_id: int | None = None,
    ) -> None:
        """Empty a bucket now (used by the 429-burst fault) until `reset_in` seconds from now.
        With `fault_id`, `restore([fault_id])` can undo it."""
        epoch = int(now.timestamp())
        with self._lock:
            key = (endpoint, token)
            b = self._buckets.get(key)
            limit = b.limit if b else self.overrides.get(endpoint, 450)
            drained = Bucket(limit, 0, epoch + reset_in)
            self._buckets[key] = drained
            if fault_id is None:
                return
            before, _, ids = self._drained.get(key, (b, drained, set()))
            self._drained[key] = (before, drained, ids | {fault_id})

    def restore(self, fault_ids: list[int]) -> int:
        """Refill the buckets these faults drained (once no other fault holds them drained).
        Returns how many buckets were put back."""
        gone, restored = set(fault_ids), 0
        with self._lock:
            for key, (before, drained, ids) in list(self._drained.items()):
                if not ids & gone:
                    continue
                ids = ids - gone
                if ids:
                    self._drained[key] = (before, drained, ids)
                    continue
                del self._drained[key]
                if self._buckets.get(key) is not drained:
                    continue  # renewed since: the drain is already over
                if before is None:
                    del self._buckets[key]
                else:
                    self._buckets[key] = before
                restored += 1
        return restored

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._drained.clear()
