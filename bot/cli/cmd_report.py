"""`contestbot report COMPETITION|--all [-o DIR]` and `contestbot chart COMPETITION -o FILE.png`.

`report` writes, per competition, the organiser's report and the public results page (HTML, each
self-contained), their JSON documents and CSV tables into DIR/<competition>/ (default: the data
folder's `[reports] dir`, data/reports/), and prints the paths. `chart` draws one chart of the
report as a PNG for posts and slides: the standings by default, or any analysis table by key.
Both only read the database.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.args import check_output_file, count
from bot.cli.cmd_leaderboard import find_competition
from bot.cli.context import Context, UsageError

CHARTS = (
    "standings",
    "entries_per_day",
    "entries_per_hour",
    "growth",
    "audience",
    "new_vs_returning",
    "top_contributors",
    "languages",
    "hashtags",
    "partners",
    "own_engagement_over_time",
)


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report",
        help="write the organiser's report and the public results page (HTML, JSON, CSV)",
        description="Write, for COMPETITION (or every competition with --all), the organiser's "
        "report (standings, exclusions, jury picks, posts and their cost, API spend, the post "
        "analysis) and the public results page (winners, standings, rules, and a digest check "
        "that runs in the reader's browser), each one self-contained HTML file, with their JSON "
        "documents and CSV tables, into DIR/<competition>/. Prints the paths.",
    )
    p.add_argument("competition", metavar="COMPETITION", nargs="?", help="the competition id")
    p.add_argument("--all", action="store_true", help="every competition of the config")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="the folder to write into (default: [reports] dir under the data folder, "
        "data/reports/)",
    )
    p.set_defaults(func=report)

    c: argparse.ArgumentParser = sub.add_parser(
        "chart",
        help="draw a competition's chart as PNG (for posts and slides)",
        description="Draw one chart of COMPETITION as a PNG file: the standings by default, or "
        "one of the report's analysis charts (--chart).",
    )
    c.add_argument("competition", metavar="COMPETITION", help="the competition id")
    c.add_argument("-o", "--output", metavar="FILE.png", required=True, help="the PNG to write")
    c.add_argument("--chart", choices=CHARTS, default="standings", help="which chart")
    c.add_argument(
        "--top", type=count, default=5, metavar="N", help="entries per category (standings)"
    )
    c.set_defaults(func=chart)


def reports_folder(ctx: Context) -> Path:
    from bot.daemon.options import data_dir
    from bot.report.job import reports_root

    if ctx.args.output:
        return Path(ctx.args.output)
    settings = ctx.settings()
    return reports_root(ctx.config(), data_dir(settings.database_url, ctx.environ))


def report(ctx: Context) -> int:
    from bot.app import existing_store
    from bot.report.gather import gather
    from bot.report.write import write_report

    config = ctx.config()
    if ctx.args.all and ctx.args.competition:
        raise UsageError("give a COMPETITION or --all, not both")
    if ctx.args.all:
        competitions = list(config.competitions)
        if not competitions:
            raise UsageError(f"{config.source} declares no competition")
    elif ctx.args.competition:
        competitions = [find_competition(ctx, ctx.args.competition)]
    else:
        raise UsageError("name a COMPETITION (see `contestbot competitions`) or give --all")
    root = reports_folder(ctx)
    _check_folder(root)
    store = existing_store(ctx.settings())
    try:
        now = ctx.clock.now()
        for competition in competitions:
            written = write_report(gather(store, config, competition, now), root)
            ctx.out.write(
                f"{competition.id}: organiser report {written.organiser}\n"
                f"{' ' * len(competition.id)}  public results page {written.public}\n"
            )
    finally:
        store.close()
    return 0


def _check_folder(root: Path) -> None:
    probe = root
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UsageError(f"{probe} is a file, not a folder — give -o a folder to write into")


def chart(ctx: Context) -> int:
    from bot.app import existing_store
    from bot.freezer import live_standings
    from bot.posting.chart import standings_chart
    from bot.report.charts import png
    from bot.report.gather import gather
    from bot.report.write import atomic_write

    config = ctx.config()
    competition = find_competition(ctx, ctx.args.competition)
    out = Path(ctx.args.output)
    if out.suffix.lower() != ".png":
        raise UsageError(f"{out} does not end in .png — charts are written as PNG files")
    if out.is_dir():
        raise UsageError(f"{out} is a folder — give a file name such as chart.png")
    check_output_file(out, option="-o")
    store = existing_store(ctx.settings())
    try:
        now = ctx.clock.now()
        if ctx.args.chart == "standings":
            standings = live_standings(store, competition, now, bot_username=config.bot.username)
            if not standings.categories:
                raise UsageError(f"competition {competition.id} declares no category to chart")
            data = standings_chart(standings, title=competition.title, top=ctx.args.top)
        else:
            analysis = gather(store, config, competition, now).analysis
            try:
                table = analysis.table(ctx.args.chart)
            except KeyError:
                raise UsageError(
                    f"competition {competition.id} has no {ctx.args.chart} chart (it needs "
                    "partner accounts: `accounts` other than the bot)"
                ) from None
            drawn = png(table)
            if drawn is None:
                raise UsageError(f"no data to draw the {ctx.args.chart} chart yet")
            data = drawn
    finally:
        store.close()
    atomic_write(out, data)
    ctx.out.write(f"{out}\n")
    return 0
