"""The daemon's state, typed: what it holds, what waits, what it has built, and what the job steps
may use of the daemon running them.

`DaemonState` is everything a running `bot.daemon.loop.Daemon` changes as it goes (leases held,
backoff gates per job, the budget slow-down, the poster and responder once built); `Runtime` is
the daemon as the job steps (`bot.daemon.jobs`) and the failure handling (`bot.daemon.failures`)
see it, so neither imports the loop. What `status` shows of an instance is
`bot.core.status.InstanceStatus`, built from this state by `jobs.status`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import TYPE_CHECKING, Protocol

from bot.core.backoff import Decision
from bot.core.errors import ApiError

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.core.models import Competition
    from bot.daemon.options import DaemonOptions
    from bot.daemon.scheduling import ClockedJob, ClockedScheduler
    from bot.polling.metering import MeteredClient
    from bot.polling.own_posts import OwnPostsTracker
    from bot.polling.poller import Poller
    from bot.posting.poster import Poster
    from bot.posting.responder import Responder
    from bot.store import Store
    from bot.store.ops import OpsStore

POSTING = "__posting__"
"""The lease under which one instance posts and answers mentions."""
API_JOBS = ("poll", "refresh", "post")
"""The jobs a persistent failure (credits, credentials, usage cap) pauses together."""
JOBS = (*API_JOBS, "own_posts", "reports", "leases", "housekeeping")


class LeaseLost(Exception):
    """Another instance holds the lease now: stop acting on that competition at once."""


class PostingStopped(ApiError):
    """The poster met a failure that needs a human (usage cap, credits, credentials)."""


@dataclass
class Gate:
    """Backoff state of one job: consecutive failures and when it may call the API again."""

    failures: int = 0
    until: datetime | None = None
    decision: Decision | None = None


@dataclass
class DaemonState:
    """What a running daemon changes as it goes."""

    held: dict[str, datetime] = field(default_factory=dict)  # competition id -> lease expiry
    replies_at: dict[str, datetime] = field(default_factory=dict)  # id -> last replies read
    gates: dict[str, Gate] = field(default_factory=lambda: {name: Gate() for name in JOBS})
    factor: float = 1.0  # the budget's slow-down of the refresh cadence (1: none)
    budget_warning: str | None = None
    warned: tuple[datetime | None, float] = (None, 1.0)  # last budget warning: when, factor
    cycle_errors: list[Exception] = field(default_factory=list)  # failures of this `run --once`
    synced: bool = False  # competitions written to the store
    once: bool = False  # `run --once`: a failure ends the run, nothing is retried
    stopped: bool = False
    acting: tuple[str, int] | None = None  # (competition id, job run id) of the running step
    lost_at: datetime | None = None  # when the lease lost during a step ran out
    poster: Poster | None = None  # built on the first posting step (it needs GET /2/users/me)
    responder: Responder | None = None

    def open_gates(self) -> None:
        """`run --once` means: try now."""
        self.gates = {name: Gate() for name in self.gates}


class Runtime(Protocol):
    """The daemon as its job steps and its failure handling use it."""

    config: Config
    competitions: dict[str, Competition]
    store: Store
    clock: Clock
    client: MeteredClient
    ops: OpsStore
    options: DaemonOptions
    poller: Poller
    own_posts_tracker: OwnPostsTracker
    scheduler: ClockedScheduler
    state: DaemonState
    me: str
    dry_run: bool
    rand: Random

    @property
    def stopping(self) -> bool: ...

    def acting(self, cid: str, job: str) -> AbstractContextManager[None]: ...

    def held_competitions(self) -> list[Competition]: ...

    def posting_enabled(self) -> bool: ...

    def job(self, name: str) -> ClockedJob: ...
