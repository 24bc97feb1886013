"""What a running instance tells the others and the organiser: typed, with its JSON form.

`InstanceStatus` is stored with each heartbeat row (`instances.state`) and read back by
`contestbot status`: the instance's next job runs, the leases it holds, the jobs a failure blocks
(until when, why, whether it needs a human), its budget slow-down and whether it runs dry. The
`Heartbeat` is the file the daemon rewrites on every loop turn (`data/heartbeat-<host>.json`) and
`contestbot health` reads: `heartbeat_health` decides from it whether the daemon is healthy. Both
read old or partial documents leniently (a missing field takes its default), so a status written by
an older release still shows. Pure: no I/O, `now` is a parameter; times print as `iso_z`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.timefmt import iso_z, parse_iso

Json = dict[str, Any]
STALE_POLLS = 3
"""A heartbeat older than this many poll intervals is unhealthy."""


@dataclass(frozen=True)
class BlockedJob:
    """A job a failure keeps from running: until when, why, and whether it needs a human."""

    until: datetime | None
    reason: str | None
    persistent: bool = False

    def to_json(self) -> Json:
        return {"until": iso_z(self.until), "reason": self.reason, "persistent": self.persistent}

    @classmethod
    def from_json(cls, raw: object) -> BlockedJob:
        doc = raw if isinstance(raw, Mapping) else {}
        reason = doc.get("reason")
        return cls(
            until=_time(doc.get("until")),
            reason=None if reason is None else str(reason),
            persistent=bool(doc.get("persistent")),
        )


@dataclass(frozen=True)
class InstanceStatus:
    """What `contestbot status` shows of one instance, stored with its heartbeat."""

    jobs: Mapping[str, datetime | None] = field(default_factory=dict)  # job -> next run
    held: tuple[str, ...] = ()
    blocked: Mapping[str, BlockedJob] = field(default_factory=dict)
    budget_factor: float | None = None
    budget_warning: str | None = None
    poll_interval_seconds: float | None = None
    dry_run: bool = False

    def persistent(self) -> dict[str, str]:
        """The jobs blocked by a failure that needs a human: job -> reason."""
        return {job: str(b.reason) for job, b in self.blocked.items() if b.persistent}

    def to_json(self) -> Json:
        return {
            "jobs": {name: iso_z(at) for name, at in self.jobs.items()},
            "held": list(self.held),
            "blocked": {name: b.to_json() for name, b in self.blocked.items()},
            "budget_factor": self.budget_factor,
            "budget_warning": self.budget_warning,
            "poll_interval_seconds": self.poll_interval_seconds,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_json(cls, raw: object) -> InstanceStatus:
        doc = raw if isinstance(raw, Mapping) else {}
        jobs = doc.get("jobs")
        blocked = doc.get("blocked")
        factor = doc.get("budget_factor")
        warning = doc.get("budget_warning")
        interval = doc.get("poll_interval_seconds")
        return cls(
            jobs={str(k): _time(v) for k, v in jobs.items()} if isinstance(jobs, Mapping) else {},
            held=tuple(str(h) for h in doc.get("held") or ()),
            blocked=(
                {str(k): BlockedJob.from_json(v) for k, v in blocked.items()}
                if isinstance(blocked, Mapping)
                else {}
            ),
            budget_factor=float(factor) if isinstance(factor, int | float) else None,
            budget_warning=None if warning is None else str(warning),
            poll_interval_seconds=float(interval) if isinstance(interval, int | float) else None,
            dry_run=bool(doc.get("dry_run")),
        )


@dataclass(frozen=True)
class Heartbeat:
    """The heartbeat file: who beat, when, whether it stopped cleanly, what it holds, and the
    persistent failures it waits on."""

    instance_id: str
    pid: int
    at: datetime
    stopped: bool = False
    poll_interval_seconds: float = 300.0
    held: tuple[str, ...] = ()
    persistent: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {
            "instance_id": self.instance_id,
            "pid": self.pid,
            "at": iso_z(self.at),
            "stopped": self.stopped,
            "poll_interval_seconds": self.poll_interval_seconds,
            "held": list(self.held),
            "persistent": list(self.persistent),
        }

    @classmethod
    def from_json(cls, raw: object) -> Heartbeat:
        """Raises ValueError (or KeyError, TypeError) when the document has no valid `at`."""
        if not isinstance(raw, Mapping):
            raise ValueError("the heartbeat is not a JSON object")
        at = _time(raw["at"])
        if at is None:
            raise ValueError("the heartbeat has no time")
        interval = raw.get("poll_interval_seconds")
        return cls(
            instance_id=str(raw.get("instance_id")),
            pid=int(raw.get("pid") or 0),
            at=at,
            stopped=bool(raw.get("stopped")),
            poll_interval_seconds=(
                float(interval) if isinstance(interval, int | float) and interval > 0 else 300.0
            ),
            held=tuple(str(h) for h in raw.get("held") or ()),
            persistent=tuple(str(p) for p in raw.get("persistent") or ()),
        )


@dataclass(frozen=True)
class Health:
    healthy: bool
    age: timedelta
    limit: timedelta
    problem: str | None  # "stopped" or "stale" when unhealthy


def heartbeat_health(beat: Heartbeat, *, now: datetime, stale_polls: int = STALE_POLLS) -> Health:
    """Healthy while the daemon runs and its heartbeat is younger than `stale_polls` intervals."""
    age = now - beat.at
    limit = timedelta(seconds=stale_polls * beat.poll_interval_seconds)
    if beat.stopped:
        return Health(False, age, limit, "stopped")
    if age > limit:
        return Health(False, age, limit, "stale")
    return Health(True, age, limit, None)


def _time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    return parse_iso(raw)
