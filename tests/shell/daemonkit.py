"""Helpers shared by the daemon, fault, instance and crash tests: a config for N competitions, a
daemon wired to the sandbox, a sandbox world with entries, the environment of a `python -m bot run`
subprocess, and the overlap check of acting intervals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from bot.config import Config, parse_config
from bot.daemon.loop import Daemon, DaemonOptions
from bot.sandbox import Sandbox
from bot.store import Store
from bot.store.ops import JobRun
from bot.x.tweepy_client import TweepyXClient

REPO = Path(__file__).resolve().parents[2]
OPEN_STORES: list[Store] = []


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """Close the stores `daemon_for` opened (PostgreSQL connections warn when left open)."""
    yield
    while OPEN_STORES:
        OPEN_STORES.pop().close()


@dataclass(frozen=True)
class Comp:
    id: str
    hashtag: str
    start: datetime
    end: datetime
    grace: str | None = None  # late_posts_grace (default: the config's, 6h)


def config_text(comps: Sequence[Comp], *, poll: int = 60, extra: str = "") -> str:
    parts = [f'[bot]\nusername = "contestbot"\npoll_interval_seconds = {poll}\ndry_run = true\n']
    for c in comps:
        parts.append(
            f"""
[[competition]]
id = "{c.id}"
title = "Competition {c.id}"
hashtags = ["{c.hashtag}"]
start = "{c.start.isoformat()}"
end = "{c.end.isoformat()}"
{f'late_posts_grace = "{c.grace}"' if c.grace else ""}
[[competition.categories]]
id = "most-liked"
kind = "likes"

[[competition.categories]]
id = "most-comments"
kind = "replies"
"""
        )
    return "".join(parts) + extra


def config_of(comps: Sequence[Comp], *, poll: int = 60, extra: str = "") -> Config:
    return parse_config(config_text(comps, poll=poll, extra=extra), source="test.toml")


def client_for(sandbox: Sandbox, *, timeout: float = 5.0) -> TweepyXClient:
    return TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, timeout=timeout)


def daemon_for(
    sandbox: Sandbox,
    db_url: str,
    clock: Clock,
    config: Config,
    tmp_path: Path,
    *,
    instance_id: str = "test-1",
    timeout: float = 5.0,
    **options: Any,
) -> Daemon:
    store = Store(db_url)
    OPEN_STORES.append(store)
    store.upgrade()
    options.setdefault("heartbeat_file", tmp_path / "heartbeat.json")
    options.setdefault("seed", 7)
    opts = DaemonOptions(
        poll_interval=timedelta(seconds=config.bot.poll_interval_seconds), **options
    )
    return Daemon(
        config,
        client_for(sandbox, timeout=timeout),
        store,
        clock,
        instance_id=instance_id,
        options=opts,
        user_context=False,
    )


def populate(
    sandbox: Sandbox, hashtag: str, n: int, *, at: datetime, prefix: str = "u"
) -> list[str]:
    """`n` authors each post one entry with `hashtag` (likes i*3 % 17, replies i % 5)."""
    world = sandbox.world
    ids = []
    for i in range(n):
        name = f"{prefix}{hashtag.lower()}{i}"
        if world.find_user(name) is None:
            world.add_user(name)
        tid = world.post(name, f"entry {i} #{hashtag}", at=at + timedelta(seconds=i))
        world.set_metrics(tid, likes=(i * 3) % 17, replies=i % 5)
        ids.append(tid)
    return ids


def overlapping(runs: Iterable[JobRun]) -> list[tuple[JobRun, JobRun]]:
    """Pairs of acting intervals of DIFFERENT instances on the same competition that overlap.
    An interval without an end (the process was killed) lasts until its lease expiry."""
    by_comp: dict[str, list[JobRun]] = {}
    for r in runs:
        by_comp.setdefault(r.competition_id, []).append(r)
    bad: list[tuple[JobRun, JobRun]] = []
    for comp_runs in by_comp.values():
        comp_runs.sort(key=lambda r: r.started_at)
        for i, a in enumerate(comp_runs):
            a_end = a.finished_at or a.lease_expires_at
            for b in comp_runs[i + 1 :]:
                if b.started_at >= a_end:
                    break
                if b.instance_id != a.instance_id:
                    bad.append((a, b))
    return bad


def bot_env(
    sandbox: Sandbox,
    *,
    db_url: str,
    config: Path,
    data_dir: Path,
    clock_spec: str,
    instance_id: str,
    lease_ttl: float,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "CONTESTBOT_CONFIG": str(config),
        "CONTESTBOT_DATA_DIR": str(data_dir),
        "CONTESTBOT_CLOCK": clock_spec,
        "CONTESTBOT_INSTANCE_ID": instance_id,
        "CONTESTBOT_LEASE_TTL": str(lease_ttl),
        "X_API_BASE_URL": sandbox.base_url,
    }
    for key, value in sandbox.credentials.items():
        env[f"X_{key.upper()}"] = value
    env.update(extra or {})
    return env


def spawn_bot(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`python -m bot run` in its own process group, stderr to `log` (cwd: the log's folder)."""
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args],
            cwd=log.parent,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=timeout)
