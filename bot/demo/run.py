"""`contestbot demo`: a whole competition, start to results, against the built-in X API sandbox.

Owns the demo's wiring. It starts the sandbox in-process on 127.0.0.1 with the shipped scenario
(`bot.sandbox.DEMO_SCENARIO`), played accelerated on one `AcceleratedClock` shared by the sandbox,
the scenario player and the bot; writes the demo competition's config (built here, checked by the
real config parser, saved next to the database so later commands can read it); and runs the real
bot against it: settings with `X_API_BASE_URL` = the sandbox -> `TweepyXClient` over HTTP -> SQLite
(fresh each run, migrated with Alembic) -> `bot.daemon.loop.Daemon` (poll with its re-scans for
late-indexed posts, replies, refresh, the freeze after the competition's short late grace, planner,
poster and mention responder), one full cycle every two simulated minutes. The winners announcement
waits for approval, which the demo gives. `bot.demo.show` plays the timeline and checks the
outcome; `bot.demo.view` renders the text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.app import make_client, open_store
from bot.clock import AcceleratedClock
from bot.config import Config, parse_config
from bot.daemon.loop import Daemon, DaemonOptions
from bot.demo import view
from bot.demo.stage import (
    COMPETITION_ID,
    POLL_EVERY,
    REPLIES_EVERY,
    TAIL,
    DemoBot,
    DemoFailed,
    Timeline,
    demo_config_text,
    demo_speed,
)
from bot.logs import configure_logging
from bot.sandbox import DEMO_SCENARIO, Sandbox, ScenarioPlayer, World, load_scenario
from bot.settings import load_settings


def run_demo(
    *,
    speed: float | None = None,
    seconds: float | None = None,
    db: str = "data/demo.db",
    out: TextIO | None = None,
    commands: Sequence[str] = (),
) -> int:
    """Play the demo; 0 when it ran and its final self-check passed, 1 when the check failed
    (printed). Unexpected errors propagate to the CLI, which prints one line (--debug: all).
    `commands` are the CLI's subcommands: the only ones the demo suggests trying next."""
    stream = out or sys.stdout

    def say(text: str = "") -> None:
        stream.write(text + "\n")
        stream.flush()

    try:
        _run(speed, seconds, Path(db), say, tuple(commands))
    except DemoFailed as exc:
        say(f"\nerror: {exc}")
        return 1
    return 0


def _run(
    speed: float | None,
    seconds: float | None,
    db: Path,
    say: Callable[[str], None],
    commands: tuple[str, ...],
) -> None:
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
            from bot.demo.show import Show  # it builds on this module's pieces

            show = Show(timeline, competition, sandbox, player, bot, say, commands=commands)
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
