"""`contestbot run`: the bot itself. Validates config and settings, upgrades the database, then
runs `bot.daemon.loop.Daemon` (polling, adaptive refresh, freeze, posting, leases) until SIGTERM or
SIGINT (which finish the current step cleanly, exit 0); `--once` runs one full cycle and exits.

A failure inside the loop is logged, recorded for `contestbot status` and retried after a backoff;
with `--once` the first failure is the exit status.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from loguru import logger

from bot.cli.context import Context, UsageError

if TYPE_CHECKING:
    from bot.core.models import Competition
    from bot.store import Store

SLEEP_SLICE = 1.0  # seconds between checks of the stop flag while waiting


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run the bot: poll X for entries and refresh their metrics, until stopped",
        description="Poll the X API for every configured competition, store entries and metric "
        "snapshots, and repeat every [bot].poll_interval_seconds. Upgrades the database first. "
        "SIGTERM or Ctrl-C finish the current cycle and exit 0.",
    )
    p.add_argument("--once", action="store_true", help="run one full poll cycle, then exit")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="never post to X (overrides [bot].dry_run = false); reading still happens",
    )
    p.set_defaults(func=run)


class StopFlag:
    """Set by SIGTERM/SIGINT; a second signal interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        logger.info("{} received: finishing the current cycle", signal.Signals(signum).name)
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


@contextmanager
def stop_on_signals(flag: StopFlag) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread (e.g. a test calling main())
        return
    previous = {s: signal.signal(s, flag.handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run(ctx: Context) -> int:
    from bot.app import make_client, open_store
    from bot.daemon.loop import BadOption, Daemon, build_options
    from bot.daemon.scheduling import ClockSpecError, clock_from_spec

    settings = ctx.settings()
    config = ctx.config()  # validated before the database is touched
    if not config.competitions:
        raise UsageError(
            f"{settings.config_path}: no [[competition]] declared — add one (see README, "
            "'Config reference')"
        )
    dry_run = ctx.args.dry_run or config.bot.dry_run
    _check_posting(config, settings, dry_run)
    try:
        options, instance_id = build_options(config, settings.database_url, ctx.environ)
        spec = ctx.environ.get("CONTESTBOT_CLOCK")  # a testing aid (accelerated time)
        clock = clock_from_spec(spec) if spec else ctx.clock
    except (BadOption, ClockSpecError) as exc:
        raise UsageError(str(exc)) from None
    client = make_client(settings)
    store = open_store(settings)
    store.upgrade()
    store.sync_competitions(config.competitions, now=clock.now())
    warn_uncollectable(config.competitions, store, clock.now())
    logger.info(
        "contestbot running: {} competition(s) [{}], API {}, database {}{}, instance {}",
        len(config.competitions),
        ", ".join(config.competition_ids),
        settings.x_api_base_url,
        settings.database_url_masked,
        ", dry run" if dry_run else "",
        instance_id,
    )
    daemon = Daemon(
        config,
        client,
        store,
        clock,
        instance_id=instance_id,
        dry_run=dry_run,
        options=options,
        user_context=settings.has_user_context,
    )
    try:
        if ctx.args.once:
            errors = daemon.run_once()
            if errors:
                raise errors[0]  # the exit status of a one-shot run is its first failure
        else:
            daemon.run_forever()
    finally:
        daemon.shutdown()
        store.close()
    logger.info("contestbot stopped")
    return 0


def warn_uncollectable(competitions: Sequence[Competition], store: Store, now: datetime) -> None:
    """One warning per competition (not frozen) whose window starts further back than X's recent
    search reached when the bot first searched it (or reaches now, if it never did)."""
    from bot.core.polling import uncollectable_warnings
    from bot.store.rules import RulesStore

    rules = RulesStore(store)
    first: dict[str, datetime] = {}
    for c in competitions:
        times = store.search_times(c.id)
        if times:
            first[c.id] = times[0]
    frozen = {c.id for c in competitions if rules.is_frozen(c.id)}
    for line in uncollectable_warnings(competitions, now, first_search=first, skip=frozen):
        logger.warning("{}", line)


def _check_posting(config: Any, settings: Any, dry_run: bool) -> None:
    """An explicit `[posting]` that would post needs the four user-context credentials."""
    from bot.posting.planner import posting_of
    from bot.settings import USER_CONTEXT

    posting = config.sections.get("posting")
    if posting is None or dry_run or not posting_of(config).enabled or posting_of(config).dry_run:
        return
    missing = settings.missing(*USER_CONTEXT)
    if missing:
        raise UsageError(
            f"{config.source}: [posting] is enabled but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set — put the bot account's user "
            "credentials in .env, or set [posting] enabled = false (or dry_run = true)"
        )


def _wait(ctx: Context, seconds: float, flag: StopFlag) -> None:
    remaining = seconds
    while remaining > 0 and not flag.stopped:
        step = min(SLEEP_SLICE, remaining)
        ctx.clock.sleep(step)
        remaining -= step
