"""What the report reads in bulk (issue 11): every metric snapshot of a competition's entries in
one query, and the author ids of other competitions' entries (new vs returning authors).

Read-only, one short session per method, small values out (`Metrics`, ids), never rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from bot.core.models import Metrics
from bot.store import Store
from bot.store.schema import CompetitionEntryRow, MetricSnapshotRow, TweetRow


class ReportsStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def entry_snapshots(self, competition_id: str) -> dict[str, list[tuple[datetime, Metrics]]]:
        """Entry key -> its snapshots (taken_at, metrics), oldest first."""
        keys = select(CompetitionEntryRow.key).where(
            CompetitionEntryRow.competition_id == competition_id
        )
        q = (
            select(
                MetricSnapshotRow.key,
                MetricSnapshotRow.taken_at,
                MetricSnapshotRow.likes,
                MetricSnapshotRow.replies,
                MetricSnapshotRow.reposts,
                MetricSnapshotRow.quotes,
                MetricSnapshotRow.bookmarks,
                MetricSnapshotRow.impressions,
            )
            .where(MetricSnapshotRow.key.in_(keys))
            .order_by(MetricSnapshotRow.key, MetricSnapshotRow.taken_at)
        )
        out: dict[str, list[tuple[datetime, Metrics]]] = {}
        with self.store.session() as s:
            for key, at, likes, replies, reposts, quotes, bookmarks, impressions in s.execute(q):
                out.setdefault(key, []).append(
                    (
                        at,
                        Metrics(
                            likes=likes,
                            replies=replies,
                            reposts=reposts,
                            quotes=quotes,
                            bookmarks=bookmarks,
                            impressions=impressions,
                        ),
                    )
                )
        return out

    def author_ids(self, competition_ids: Iterable[str]) -> frozenset[str]:
        """The authors of every stored entry of these competitions (any status)."""
        ids = list(competition_ids)
        if not ids:
            return frozenset()
        q = (
            select(TweetRow.author_id)
            .join(CompetitionEntryRow, CompetitionEntryRow.key == TweetRow.key)
            .where(CompetitionEntryRow.competition_id.in_(ids))
            .distinct()
        )
        with self.store.session() as s:
            return frozenset(str(a) for a in s.scalars(q))
