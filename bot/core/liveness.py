"""Whether a bot instance is running, from its last heartbeat: the status command's verdict.

A daemon writes its heartbeat every quarter lease TTL and a clean stop records `stopped_at`; a
killed one (SIGKILL, power loss) just stops writing. So an instance is "live" while its heartbeat
is younger than the threshold, "stale" (since the heartbeat plus the threshold) once it is older
without a clean stop, and "stopped" after a clean stop. `threshold_for` derives the threshold from
the lease TTL the daemons run with. Pure: `now` is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

State = Literal["live", "stale", "stopped"]
MISSED_BEATS = 3  # lease TTLs without a heartbeat before an instance counts as gone


@dataclass(frozen=True)
class Liveness:
    state: State
    since: datetime | None  # stale: when it was last expected to beat; stopped: when it stopped

    @property
    def is_live(self) -> bool:
        return self.state == "live"

    def describe(self, fmt: Callable[[datetime], str] = datetime.isoformat) -> str:
        """ "live", "stale since <time>", "stopped at <time>" (`fmt` formats a datetime)."""
        if self.state == "live" or self.since is None:
            return self.state
        text = fmt(self.since)
        return f"{'stale since' if self.state == 'stale' else 'stopped at'} {text}"


def threshold_for(lease_ttl: timedelta) -> timedelta:
    """How old a heartbeat may be: a few lease TTLs (a daemon beats every TTL/4, so a live one is
    never near it; a step that outlasts it has already let its leases lapse)."""
    return MISSED_BEATS * lease_ttl


def liveness(
    heartbeat_at: datetime, stopped_at: datetime | None, *, now: datetime, threshold: timedelta
) -> Liveness:
    if stopped_at is not None:
        return Liveness("stopped", stopped_at)
    if now - heartbeat_at <= threshold:
        return Liveness("live", None)
    return Liveness("stale", heartbeat_at + threshold)
