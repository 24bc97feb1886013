"""The daemon's options and where they come from: the config file and the operations variables.

`DaemonOptions` holds every setting of `bot.daemon.loop.Daemon` (intervals, lease TTL, sleeps, the
cadence and re-scan policies, budget and prices, the heartbeat file); `build_options` builds them
from the config (`[bot]`, `[budget]`, `[posting.prices]`) and `CONTESTBOT_LEASE_TTL`,
`CONTESTBOT_INSTANCE_ID` and `CONTESTBOT_DATA_DIR`, raising `BadOption` (exit 2) with the
variable, the value and the fix. `default_instance_id`, `data_dir` and `heartbeat_path` say who
this instance is and where its heartbeat file goes (the `health` command reads it).
"""

from __future__ import annotations

import math
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


MAX_LEASE_TTL = 86_400.0  # a day: past it a dead instance holds its competitions for too long
MIN_LEASE_TTL = 1.0  # the lease job runs every TTL/4 (at least every 0.5 s)
MAX_INSTANCE_ID = 200


def lease_ttl(environ: Mapping[str, str]) -> timedelta:
    """$CONTESTBOT_LEASE_TTL (seconds, finite, 1 to 86400), else the default. Raises `BadOption`."""
    text = environ.get(ENV_LEASE_TTL, "").strip()
    if not text:
        return DEFAULT_TTL
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or not MIN_LEASE_TTL <= seconds <= MAX_LEASE_TTL:
        shown = text if len(text) <= 40 and text.isprintable() else "(the value set)"
        raise BadOption(
            f"{ENV_LEASE_TTL}={shown!r} is not a number of seconds from {MIN_LEASE_TTL:g} to "
            f"{MAX_LEASE_TTL:g} - use e.g. 60, or leave it unset"
        )
    return timedelta(seconds=seconds)


def instance_id(environ: Mapping[str, str]) -> str:
    """$CONTESTBOT_INSTANCE_ID (printable, at most 200 characters), else host name and pid."""
    instance = environ.get(ENV_INSTANCE_ID, "").strip() or default_instance_id()
    if len(instance) > MAX_INSTANCE_ID:
        raise BadOption(
            f"{ENV_INSTANCE_ID} is {len(instance)} characters - use at most {MAX_INSTANCE_ID}"
        )
    if not instance.isprintable():
        raise BadOption(
            f"{ENV_INSTANCE_ID} holds control characters or bytes that are not UTF-8 - use "
            "letters, digits and punctuation (e.g. host-1), or leave it unset"
        )
    return instance


def check_data_dir(folder: Path) -> None:
    """The heartbeat folder must be a folder, or creatable (nothing below a file). Raises
    `BadOption`; creates nothing."""
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        what = "is a file" if probe == folder.absolute() else f"is below the file {probe}"
        raise BadOption(
            f"the data folder {folder} {what}, not a folder - set {ENV_DATA_DIR} to a folder "
            "(or leave it unset: the database's folder)"
        )


def build_options(
    config: Config, database_url: str, environ: Mapping[str, str]
) -> tuple[DaemonOptions, str]:
    """Daemon options from the config (`[bot]`, `[budget]`, `[posting.prices]`) and the operations
    variables; returns them with the instance id. Raises `BadOption` naming the variable."""
    from bot.config.budget import BudgetConfig
    from bot.posting.planner import posting_of

    ttl = lease_ttl(environ)
    instance = instance_id(environ)
    folder = data_dir(database_url, environ)
    check_data_dir(folder)
    section = config.sections.get("budget")
    budget = section if isinstance(section, BudgetConfig) else BudgetConfig()
    options = DaemonOptions(
        poll_interval=timedelta(seconds=config.bot.poll_interval_seconds),
        lease_ttl=ttl,
        budget=Budget(month_reads=budget.monthly_reads, month_spend=budget.monthly_usd),
        pricing=posting_of(config).prices,
        heartbeat_file=heartbeat_path(folder),
        data_dir=folder,
    )
    return options, instance
