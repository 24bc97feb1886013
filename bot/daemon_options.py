"""The daemon's options and where they come from: the config file and the operations variables.

`DaemonOptions` holds every setting of `bot.daemon.Daemon` (intervals, lease TTL, sleeps, the
cadence and re-scan policies, budget and prices, the heartbeat file); `build_options` builds them
from the config (`[bot]`, `[budget]`, `[posting.prices]`) and `CONTESTBOT_LEASE_TTL`,
`CONTESTBOT_INSTANCE_ID` and `CONTESTBOT_DATA_DIR`, raising `BadOption` (exit 2) with the
variable, the value and the fix. `default_instance_id`, `data_dir` and `heartbeat_path` say who
this instance is and where its heartbeat file goes (the `health` command reads it).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.config import Config
from bot.core.budget import Budget
from bot.core.cadence import DEFAULT_POLICY, CadencePolicy
from bot.core.cost import PriceTable
from bot.core.lease import DEFAULT_TTL
from bot.core.rescans import DEFAULT_RESCANS, RescanPolicy


@dataclass(frozen=True)
class DaemonOptions:
    poll_interval: timedelta = timedelta(minutes=5)
    lease_ttl: timedelta = DEFAULT_TTL
    max_sleep: float = 30.0  # clock seconds between two looks at the scheduler
    sleep_slice: float = 1.0  # clock seconds per sleep call, so a stop request is seen promptly
    # The longest pause after a persistent failure: a usage cap says "next month", but the
    # organiser may raise it today, and one probe an hour costs one request.
    persistent_probe: timedelta = timedelta(hours=1)
    # The re-scans for late-indexed posts (recent, wide, final; the final waits for each
    # competition's `late_grace` after its end, then the freeze).
    rescans: RescanPolicy = DEFAULT_RESCANS
    posting_interval: timedelta = timedelta(minutes=1)
    # Distinct-repliers categories: how often a running competition's new replies are read
    # (before stretching by the budget factor); the freeze reads the rest.
    replies_every: timedelta = timedelta(minutes=15)
    policy: CadencePolicy = DEFAULT_POLICY
    budget: Budget = field(default_factory=Budget)
    pricing: PriceTable = field(default_factory=PriceTable)
    heartbeat_file: Path | None = None
    # Where the `reports` job writes (`[reports] dir` is relative to it); None: no reports job.
    data_dir: Path | None = None
    seed: int | None = None


def default_instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / f"heartbeat-{socket.gethostname()}.json"


# ----------------------------------------------------------------------------------------------
# Wiring from settings and the environment
# ----------------------------------------------------------------------------------------------

ENV_LEASE_TTL = "CONTESTBOT_LEASE_TTL"  # seconds (default 60)
ENV_INSTANCE_ID = "CONTESTBOT_INSTANCE_ID"  # default: host name and process id
ENV_DATA_DIR = "CONTESTBOT_DATA_DIR"  # heartbeat files (default: the SQLite file's folder, data/)


class BadOption(ValueError):
    """An operations variable has a bad value (exit 2)."""


def data_dir(database_url: str, environ: Mapping[str, str]) -> Path:
    """Where heartbeats go: $CONTESTBOT_DATA_DIR, else the SQLite file's folder, else data/."""
    explicit = environ.get(ENV_DATA_DIR, "").strip()
    if explicit:
        return Path(explicit)
    if database_url.startswith("sqlite:///"):
        rest = database_url[len("sqlite:///") :].split("?", 1)[0]
        if rest and rest != ":memory:":
            return Path(rest).parent
    return Path("data")


def build_options(
    config: Config, database_url: str, environ: Mapping[str, str]
) -> tuple[DaemonOptions, str]:
    """Daemon options from the config (`[bot]`, `[budget]`, `[posting.prices]`) and the operations
    variables; returns them with the instance id. Raises `BadOption` naming the variable."""
    from bot.config.budget import BudgetConfig
    from bot.planner import posting_of

    ttl_text = environ.get(ENV_LEASE_TTL, "").strip()
    ttl = DEFAULT_TTL
    if ttl_text:
        try:
            ttl = timedelta(seconds=float(ttl_text))
        except ValueError:
            ttl = timedelta(0)
        if ttl <= timedelta(0) or ttl_text.lower() in ("nan", "inf"):
            raise BadOption(
                f"{ENV_LEASE_TTL}={ttl_text!r} is not a positive number of seconds - "
                "use e.g. 60, or leave it unset"
            )
    instance = environ.get(ENV_INSTANCE_ID, "").strip() or default_instance_id()
    if len(instance) > 200:
        raise BadOption(f"{ENV_INSTANCE_ID} is {len(instance)} characters - use at most 200")
    section = config.sections.get("budget")
    budget = section if isinstance(section, BudgetConfig) else BudgetConfig()
    options = DaemonOptions(
        poll_interval=timedelta(seconds=config.bot.poll_interval_seconds),
        lease_ttl=ttl,
        budget=Budget(month_reads=budget.monthly_reads, month_spend=budget.monthly_usd),
        pricing=posting_of(config).prices,
        heartbeat_file=heartbeat_path(data_dir(database_url, environ)),
        data_dir=data_dir(database_url, environ),
    )
    return options, instance
