"""Shell: the daemon's `reports` job: rewrite the pages of the competitions this instance holds
while they run (`bot.core.campaign.reported_competitions`), into the `[reports] dir` folder.

Reads the store only (no API request), so it needs no acting interval; it runs under the
competition's lease so one instance writes each competition's files.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from bot.config import Config
from bot.config.reports import reports_of
from bot.core.campaign import reported_competitions
from bot.report.gather import gather
from bot.report.write import Written, write_report
from bot.store import Store


def reports_root(config: Config, data_dir: Path) -> Path:
    folder = Path(reports_of(config.sections).dir)
    return folder if folder.is_absolute() else data_dir / folder


def refresh_reports(
    store: Store, config: Config, *, held: Iterable[str], now: datetime, root: Path
) -> list[Written]:
    """Write the pages of every held competition due at `now`; returns what was written."""
    settings = reports_of(config.sections)
    mine = set(held)
    due = reported_competitions(config.competitions, now, analysis_days=settings.analysis_days)
    out = []
    for cid in due:
        competition = config.competition(cid)
        if competition is None or cid not in mine:
            continue
        out.append(write_report(gather(store, config, competition, now), root))
    return out
