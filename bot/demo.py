"""`contestbot demo`: a whole competition, start to results, against the built-in X API sandbox.

Owns the demo's wiring. It starts the sandbox in-process on 127.0.0.1 with the shipped scenario
(`bot.sandbox.DEMO_SCENARIO`), played accelerated on one `AcceleratedClock` shared by the sandbox,
the scenario player and the bot; writes the demo competition's config (built here, checked by the
real config parser, saved next to the database so later commands can read it); and runs the real
bot against it: settings with `X_API_BASE_URL` = the sandbox -> `TweepyXClient` over HTTP ->
SQLite (fresh each run, migrated with Alembic) -> `bot.daemon.Daemon` (poll with its re-scans for
late-indexed posts, replies, refresh, the freeze after the competition's short late grace,
planner, poster and mention responder), one full cycle every two simulated minutes. The winners
announcement waits for approval, which the demo gives. `bot.demo_show` plays the timeline and
checks the outcome; `bot.demo_view` renders the text.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot import demo_view as view
from bot.app import make_client, open_store
from bot.clock import AcceleratedClock
from bot.config import Config, parse_config
from bot.core.models import Competition, Entry, Standings
from bot.daemon import Daemon, DaemonOptions
from bot.freezer import live_standings
from bot.logs import configure_logging
from bot.poller import Poller
from bot.sandbox import DEMO_SCENARIO, Sandbox, ScenarioPlayer, World, load_scenario
from bot.sandbox.scenario import Scenario
from bot.settings import load_settings
from bot.store import Store
from bot.store.outbox import OutboxStore

COMPETITION_ID = "igf-demo"
BOT = "contestbot"
COMPETITION_LENGTH = timedelta(hours=2)
WEBINAR_AFTER_END = timedelta(minutes=30)  # its "1h" reminder falls at +1h30m, inside the demo
POLL_EVERY = timedelta(minutes=2)  # simulated time between two bot cycles
BOARD_EVERY = timedelta(minutes=15)  # simulated time between two leaderboard prints
REPLIES_EVERY = timedelta(minutes=10)  # simulated time between two reads of the entries' replies
# How long after the end the freeze waits for posts X indexes late (`late_posts_grace`; 6 h by
# default, which the accelerated demo would spend waiting); the scenario's late likes come after.
LATE_GRACE = timedelta(minutes=10)
# Entrants' minimum account age, which repliers must pass too: spam_sam's 1-day account does not.
MIN_ACCOUNT_AGE_DAYS = 2
TAIL = timedelta(minutes=1)  # played after the scenario's last event, so the bot sees it
ZONES = ("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi")


class DemoFailed(Exception):
    """The demo could not run or its final self-check failed; the message says what."""


def demo_config_text(start: datetime) -> str:
    """The demo competition (matching the shipped scenario) as the organiser's TOML file."""
    end = start + COMPETITION_LENGTH
    webinar = end + WEBINAR_AFTER_END
    zones = ", ".join(f'"{z}"' for z in ZONES)
    return f"""# Written by `contestbot demo` for its run against the sandbox: not a real contest.
[bot]
username = "{BOT}"
dry_run = false
poll_interval_seconds = {int(POLL_EVERY.total_seconds())}

[[competition]]
id = "{COMPETITION_ID}"
title = "IGF demo contest"
hashtags = ["IGFcontest", "InternetGov"]
accounts = ["{BOT}"]
start = "{view.iso(start)}"
end = "{view.iso(end)}"
timezone = "UTC"
organisers = ["igf_org"]
tie_rule = "earliest"
leaderboard_top = 10
late_posts_grace = "{int(LATE_GRACE.total_seconds()) // 60}m"

[competition.eligibility]
allow_replies = false
allow_quotes = true
min_account_age_days = {MIN_ACCOUNT_AGE_DAYS}

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
winners = 3

[[competition.categories]]
id = "most-comments"
kind = "replies"
title = "Most comments"
winners = 1
replies_mode = "distinct"

[[competition.categories]]
id = "best-question"
kind = "jury"
title = "Best question"
winners = 1
questions_only = true
shortlist = 5

[[event]]
id = "igf-webinar"
title = "IGF webinar: meet the winners"
start = "{view.iso(webinar)}"
duration = "1h"
link = "https://example.org/igf-webinar"
languages = ["en", "fr", "es"]
show_zones = [{zones}]
reminders = ["1h"]
post_languages = ["en", "fr"]

[posting]
enabled = true
dry_run = false
approval = ["winners"]
languages = ["en"]
"""


@dataclass
class Timeline:
    """Where the demo stands: simulated start/end, the speed, and the real start."""

    start: datetime
    end: datetime
    speed: float
    real_start: float = field(default_factory=time.monotonic)

    def real_elapsed(self) -> float:
        return time.monotonic() - self.real_start


def demo_speed(scenario: Scenario, speed: float | None, seconds: float | None) -> float:
    """`speed` if given; else the whole scenario fitted into `seconds`; else its own speed."""
    if speed is not None:
        return speed
    if seconds is not None:
        return (scenario.duration + TAIL.total_seconds()) / seconds
    return scenario.speed


def run_demo(
    *,
    speed: float | None = None,
    seconds: float | None = None,
    db: str = "data/demo.db",
    out: TextIO | None = None,
) -> int:
    """Play the demo; 0 when it ran and its final self-check passed, 1 when the check failed
    (printed). Unexpected errors propagate to the CLI, which prints one line (--debug: all)."""
    stream = out or sys.stdout

    def say(text: str = "") -> None:
        stream.write(text + "\n")
        stream.flush()

    try:
        _run(speed, seconds, Path(db), say)
    except DemoFailed as exc:
        say(f"\nerror: {exc}")
        return 1
    return 0


def _run(speed: float | None, seconds: float | None, db: Path, say: Callable[[str], None]) -> None:
    scenario = load_scenario(DEMO_SCENARIO)
    rate = demo_speed(scenario, speed, seconds)
    span = timedelta(seconds=scenario.duration) + TAIL
    # The timeline ends about when the demo does, so the database reads as a finished
    # competition for the commands tried afterwards (whose clock is the real one).
    start = (datetime.now(UTC) - span).replace(second=0, microsecond=0)
    _fresh_database(db)
    config_path = _config_path(db)
    config = _write_config(config_path, start)
    competition = config.competition(COMPETITION_ID)
    if competition is None:  # cannot happen: the text above declares it
        raise DemoFailed(f"the demo config {config_path} lost competition {COMPETITION_ID}")

    clock = AcceleratedClock(start, rate)
    world = World(clock)
    sandbox = Sandbox(world, clock=clock, bot_username=scenario.bot_username)
    player = ScenarioPlayer(scenario, world, clock, start=start, strict=False)
    with sandbox:
        env = {f"X_{k.upper()}": v for k, v in sandbox.credentials.items()}
        env |= {
            "X_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": f"sqlite:///{db}",
            "CONTESTBOT_CONFIG": str(config_path),
        }
        settings = load_settings(env)
        # The demo's output is the show; the bot's info logs would drown it. Warnings still show.
        configure_logging(level="WARNING", secrets=settings.secrets())
        store = open_store(settings)
        store.upgrade()
        store.sync_competitions(config.competitions, now=clock.now())  # as `run` does
        daemon = Daemon(
            config,
            make_client(settings),
            store,
            clock,
            instance_id="contestbot-demo",
            options=DaemonOptions(
                poll_interval=POLL_EVERY, posting_interval=POLL_EVERY, replies_every=REPLIES_EVERY
            ),
        )
        bot = DemoBot(competition, store, clock, daemon)
        timeline = Timeline(start, start + span, rate)
        say(
            view.intro(
                sandbox_url=sandbox.base_url,
                scenario_name=scenario.name,
                events=len(scenario.events),
                speed=rate,
                span=span,
                db=db,
                config_path=config_path,
                competition=competition,
                poll_every=POLL_EVERY,
            )
        )
        player.start()
        try:
            from bot.demo_show import Show  # it builds on this module's pieces

            show = Show(timeline, competition, sandbox, player, bot, say)
            show.play()
            show.finale(db, config_path)
        finally:
            player.stop()
            store.close()


def _config_path(db: Path) -> Path:
    path = db.with_suffix(".toml")
    return path if path != db else db.with_name(db.name + ".config.toml")


def _write_config(path: Path, start: datetime) -> Config:
    text = demo_config_text(start)
    config = parse_config(text, source=str(path))  # the real validation; raises ConfigError
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return config


def _fresh_database(db: Path) -> None:
    if db.is_dir():
        raise DemoFailed(f"--db {db} is a directory; give a file path such as data/demo.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ bot


@dataclass
class DemoBot:
    """The bot as `contestbot run` runs it: the daemon, one full cycle (leases, poll with its
    re-scans, replies every `REPLIES_EVERY`, refresh and the freeze, posts and mention replies)
    per `cycle()`."""

    competition: Competition
    store: Store
    clock: AcceleratedClock
    daemon: Daemon
    warnings: list[str] = field(default_factory=list)

    @property
    def poller(self) -> Poller:
        return self.daemon.poller

    def cycle(self) -> None:
        errors = self.daemon.run_once()
        # As in `contestbot run`: logged, and the next cycle tries again. The demo shows them.
        self.warnings += [f"{type(e).__name__}: {one_line(e)}; retried next cycle" for e in errors]

    def approve_winners(self) -> list[str]:
        """Approve the winners posts waiting for an organiser, as `contestbot outbox approve`
        does; returns the keys approved."""
        outbox = OutboxStore(self.store)
        approved = []
        for entry in outbox.entries(states=("pending",), kinds=("winners",)):
            if entry.post.needs_approval and entry.post.approved_at is None:
                outbox.approve(entry.post.key, by="contestbot demo", now=self.clock.now())
                approved.append(entry.post.key)
        return approved

    def standings(self) -> Standings:
        """What the leaderboard shows: live, then the frozen standings once frozen."""
        return live_standings(self.store, self.competition, self.clock.now(), bot_username=BOT)

    def entries(self) -> list[Entry]:
        return self.store.entries(self.competition.id)


def one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split("\n", 1)[0].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
