"""`contestbot competitions`: every configured competition with its state (scheduled, running,
ended, frozen), its window, and, when the database exists, its entry count and last poll.

The state is computed at the injected clock's now, so tests drive it with a `ManualClock`. Times
are UTC; `timezone` is the zone the organiser wrote the window in (an IANA name or an offset).
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.context import Context
from bot.cli.output import Listing, add_format_option, emit
from bot.core.models import competition_state
from bot.core.timefmt import iso_z

COLUMNS = ("id", "title", "state", "start", "end", "timezone", "entries", "last_poll")


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "competitions",
        help="list the configured competitions with their state, window and entries",
        description="List every competition of the config file: state (scheduled, running, "
        "ended, frozen), start and end (UTC), entries stored and the last successful poll.",
    )
    add_format_option(p)
    p.set_defaults(func=competitions)


def competitions(ctx: Context) -> int:
    from bot.app import NoDatabase, existing_store

    settings = ctx.settings()
    config = ctx.config()
    now = ctx.clock.now()
    try:
        store = existing_store(settings)
    except NoDatabase:
        store = None  # nothing polled yet: list the config alone
    frozen: set[str] = set()
    rows: list[dict[str, Any]] = []
    try:
        if store is not None:
            from bot.store.rules import RulesStore

            frozen = set(RulesStore(store).frozen_competitions())
        for c in config.competitions:
            entries = store.entry_count(c.id) if store is not None else None
            last_poll = store.last_poll(c.id) if store is not None else None
            rows.append(
                {
                    "id": c.id,
                    "title": c.title,
                    "state": competition_state(c, now, frozen=c.id in frozen),
                    "start": iso_z(c.start),
                    "end": iso_z(c.end),
                    "timezone": config.zone_of(c),
                    "entries": entries,
                    "last_poll": iso_z(last_poll),
                }
            )
    finally:
        if store is not None:
            store.close()
    return emit(
        ctx.out,
        ctx.args.format,
        Listing(
            document=lambda: {
                "schema": "contestbot.competitions/1",
                "generated_at": iso_z(now),
                "competitions": rows,
            },
            columns=COLUMNS,
            rows=lambda: [[r[k] for k in COLUMNS] for r in rows],
            empty=f"no competitions declared in {config.source}",
        ),
    )
