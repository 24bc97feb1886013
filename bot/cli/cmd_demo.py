"""`contestbot demo`: the whole bot on the embedded sandbox and the shipped scenario, with SQLite
under data/, showing the leaderboard as it evolves and ending by itself with the final standings.
Needs no credentials and no network."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.args import seconds, speed
from bot.cli.context import Context

DEFAULT_DB = "data/demo.db"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="watch a whole competition run against the built-in sandbox (no X account needed)",
        description="Start the X API sandbox in-process with the shipped scenario (entries, likes "
        "and replies growing, a deletion, an edit, a retweet, an excluded organiser), run the bot "
        "against it, print the leaderboard as it evolves, and end with the final standings.",
    )
    p.add_argument(
        "--speed",
        type=speed,
        default=None,
        help="simulated seconds per real second (default: the scenario's own, x80: about 100 s)",
    )
    p.add_argument(
        "--seconds",
        type=seconds,
        default=None,
        help="fit the whole scenario into about this many real seconds (sets the speed)",
    )
    p.add_argument(
        "--db",
        metavar="FILE",
        default=DEFAULT_DB,
        help=f"SQLite file for the demo's database (default {DEFAULT_DB})",
    )
    p.set_defaults(func=demo)


def demo(ctx: Context) -> int:
    from bot.demo.run import run_demo
    from bot.store.paths import check_sqlite_file

    # The demo starts from a fresh database: it deletes the file at --db, so that file must be a
    # SQLite database (or absent), never a folder or someone's document (exit 2, nothing touched).
    check_sqlite_file(
        Path(ctx.args.db),
        fix="give --db a new file path (or an earlier demo's database), e.g. --db data/demo.db",
        option="--db ",
    )
    code: int = run_demo(
        speed=ctx.args.speed,
        seconds=ctx.args.seconds,
        db=ctx.args.db,
        commands=getattr(ctx.args, "commands", ()),
    )
    return code
