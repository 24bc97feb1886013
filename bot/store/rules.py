"""Storage of the competition rules' state: the disqualification audit log, jury picks, the final
snapshot record, frozen results and their re-issues, and the pre-announcement checks (tables in
`schema_rules`).

`RulesStore(store)` shares the `Store`'s engine; each method is one short session and one
transaction, taking and returning core dataclasses. Writes are idempotent: repeating a decision that
is already the entry's current state, or a pick already recorded, adds nothing; a frozen result is
written once and a second freeze returns the one already stored. A re-issue is version N+1 of the
competition's result and names the digest it follows, so the history of digests is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.models import Metrics
from bot.core.resultjson import TEXT_COMMITTED, canonical_bytes, committed_document
from bot.core.results import (
    DELAY_REASONS,
    DelayReason,
    FinalSnapshot,
    FrozenResult,
    Replacement,
    canonical_json,
    digest,
    load_result,
)
from bot.core.revisions import Action, Cause, Decision, decision_state, is_repeat
from bot.core.scoring import JuryPick
from bot.store import Store
from bot.store.schema import MetricSnapshotRow
from bot.store.schema_rules import (
    AnnouncementCheckRow,
    DisqualificationRow,
    FinalSnapshotRow,
    FrozenResultRow,
    JuryPickRow,
    ResultRevisionRow,
)


@dataclass(frozen=True)
class StoredResult:
    """One version of a competition's result as stored: version 1 is the freeze, later versions
    are re-issues (`cause` says why) following `previous_digest`. `canonical` is the exact text
    the digest was taken over; `result` is it read back."""

    competition_id: str
    version: int
    cause: Cause
    digest: str
    previous_digest: str | None
    created_at: datetime
    canonical: str

    @property
    def result(self) -> FrozenResult:
        return load_result(self.canonical)

    @property
    def content_digest(self) -> str:
        """SHA-256 of the stored text as it is now, in its committed form from version 3 on
        (differs from `digest` if it was altered)."""
        raw = self.canonical.encode("utf-8")
        try:
            document = json.loads(raw)
        except ValueError:
            return hashlib.sha256(raw).hexdigest()  # not JSON any more: certainly altered
        if not isinstance(document, dict) or document.get("schema") not in TEXT_COMMITTED:
            return hashlib.sha256(raw).hexdigest()
        return hashlib.sha256(canonical_bytes(committed_document(document))).hexdigest()


@dataclass(frozen=True)
class AnnouncementCheck:
    competition_id: str
    checked_at: datetime
    replacements: tuple[Replacement, ...]
    digest: str


class RulesStore:
    """The rules tables of `store`'s database (created by migration 0002)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ decisions (audit log)

    def record_decision(self, decision: Decision) -> bool:
        """Append a disqualification or re-qualification to the audit log. Returns False (and
        writes nothing) when it only repeats the entry's current state."""
        with self.store.transaction() as s:
            if is_repeat(decision, self._decisions(s, decision.competition_id, decision.key)):
                return False
            s.add(
                DisqualificationRow(
                    competition_id=decision.competition_id,
                    key=decision.key,
                    action=decision.action,
                    reason=decision.reason,
                    by=decision.by,
                    at=decision.at,
                )
            )
        return True

    def decisions(self, competition_id: str) -> list[Decision]:
        """The audit log of the competition, oldest first."""
        with self.store.session() as s:
            return self._decisions(s, competition_id)

    def decision_state(self, competition_id: str) -> tuple[dict[str, str], tuple[str, ...]]:
        """(disqualified key -> reason, re-qualified keys): the latest action per entry."""
        return decision_state(self.decisions(competition_id))

    def _decisions(self, s: Session, competition_id: str, key: str | None = None) -> list[Decision]:
        q = select(DisqualificationRow).where(DisqualificationRow.competition_id == competition_id)
        if key is not None:
            q = q.where(DisqualificationRow.key == key)
        rows = s.scalars(q.order_by(DisqualificationRow.at, DisqualificationRow.id)).all()
        return [
            Decision(r.competition_id, r.key, cast(Action, r.action), r.reason, r.by, r.at)
            for r in rows
        ]

    # ------------------------------------------------------------------ jury picks

    def add_pick(self, competition_id: str, pick: JuryPick) -> bool:
        """Record a jury pick; False when the same pick (category, entry, judge, time) exists."""
        try:
            with self.store.transaction() as s:
                found = s.scalar(
                    select(JuryPickRow.id).where(
                        JuryPickRow.competition_id == competition_id,
                        JuryPickRow.category_id == pick.category_id,
                        JuryPickRow.key == pick.key,
                        JuryPickRow.judge == pick.judge,
                        JuryPickRow.picked_at == pick.picked_at,
                    )
                )
                if found is not None:
                    return False
                s.add(
                    JuryPickRow(
                        competition_id=competition_id,
                        category_id=pick.category_id,
                        key=pick.key,
                        rank=pick.rank,
                        judge=pick.judge,
                        picked_at=pick.picked_at,
                        reason=pick.reason,
                    )
                )
        except IntegrityError:  # a concurrent writer recorded the same pick first
            return False
        return True

    def picks(self, competition_id: str) -> list[JuryPick]:
        """Every pick of the competition, in the order they were made."""
        with self.store.session() as s:
            rows = s.scalars(
                select(JuryPickRow)
                .where(JuryPickRow.competition_id == competition_id)
                .order_by(JuryPickRow.picked_at, JuryPickRow.id)
            ).all()
        return [
            JuryPick(r.category_id, r.key, r.rank, r.judge, r.picked_at, r.reason) for r in rows
        ]

    # ------------------------------------------------------------------ final snapshot (phase 1)

    def record_final_snapshot(self, snapshot: FinalSnapshot) -> FinalSnapshot:
        """Record phase one of the freeze. Written once: when the competition already has one,
        nothing is written and the stored one is returned."""
        try:
            with self.store.transaction() as s:
                row = s.get(FinalSnapshotRow, snapshot.competition_id)
                if row is None:
                    row = FinalSnapshotRow(
                        competition_id=snapshot.competition_id,
                        taken_at=snapshot.taken_at,
                        deadline=snapshot.deadline,
                        delay_seconds=snapshot.delay_seconds,
                        reason=snapshot.reason,
                        entries=snapshot.entries,
                    )
                    s.add(row)
                return _final(row)
        except IntegrityError:  # another instance recorded it between our read and our write
            stored = self.final_snapshot(snapshot.competition_id)
            assert stored is not None
            return stored

    def final_snapshot(self, competition_id: str) -> FinalSnapshot | None:
        with self.store.session() as s:
            row = s.get(FinalSnapshotRow, competition_id)
            return _final(row) if row is not None else None

    # ------------------------------------------------------------------ frozen results

    def save_frozen(self, result: FrozenResult, *, created_at: datetime) -> StoredResult:
        """Store the freeze (canonical text and digest, one transaction). Written once: when the
        competition already has one, nothing is written and the stored one is returned."""
        text = canonical_json(result).decode("utf-8")
        try:
            with self.store.transaction() as s:
                row = s.get(FrozenResultRow, result.competition_id)
                if row is None:
                    row = FrozenResultRow(
                        competition_id=result.competition_id,
                        frozen_at=result.frozen_at,
                        deadline=result.deadline,
                        delay_seconds=result.freeze_delay_seconds,
                        delay_reason=result.freeze_delay_reason,
                        canonical=text,
                        digest=digest(result),
                        created_at=created_at,
                    )
                    s.add(row)
                stored = _frozen(row)
        except IntegrityError:  # another process froze it between our read and our write
            frozen = self.frozen(result.competition_id)
            assert frozen is not None
            return frozen
        return stored

    def frozen(self, competition_id: str) -> StoredResult | None:
        """Version 1: the result as frozen at the deadline."""
        with self.store.session() as s:
            row = s.get(FrozenResultRow, competition_id)
            return _frozen(row) if row is not None else None

    def is_frozen(self, competition_id: str) -> bool:
        with self.store.session() as s:
            return s.get(FrozenResultRow, competition_id) is not None

    def add_revision(
        self, result: FrozenResult, *, cause: Cause, created_at: datetime
    ) -> StoredResult:
        """Re-issue the competition's result as the next version. Nothing is written when it is
        identical to the current version (same digest), which is returned instead."""
        text = canonical_json(result).decode("utf-8")
        new_digest = digest(result)
        with self.store.transaction() as s:
            history = self._history(s, result.competition_id)
            if not history:
                raise ValueError(
                    f"competition {result.competition_id!r} has no frozen result to re-issue; "
                    "freeze it first"
                )
            current = history[-1]
            if current.digest == new_digest:
                return current
            row = ResultRevisionRow(
                competition_id=result.competition_id,
                version=current.version + 1,
                cause=cause,
                previous_digest=current.digest,
                canonical=text,
                digest=new_digest,
                created_at=created_at,
            )
            s.add(row)
            return _revision(row)

    def history(self, competition_id: str) -> list[StoredResult]:
        """Every version of the competition's result, the freeze first (empty: not frozen)."""
        with self.store.session() as s:
            return self._history(s, competition_id)

    def current(self, competition_id: str) -> StoredResult | None:
        """The latest version: what the leaderboard shows and the announcement uses."""
        history = self.history(competition_id)
        return history[-1] if history else None

    def _history(self, s: Session, competition_id: str) -> list[StoredResult]:
        row = s.get(FrozenResultRow, competition_id)
        if row is None:
            return []
        revisions = s.scalars(
            select(ResultRevisionRow)
            .where(ResultRevisionRow.competition_id == competition_id)
            .order_by(ResultRevisionRow.version)
        ).all()
        return [_frozen(row), *(_revision(r) for r in revisions)]

    def frozen_competitions(self) -> list[str]:
        with self.store.session() as s:
            return list(s.scalars(select(FrozenResultRow.competition_id)))

    # ------------------------------------------------------------------ snapshots for verify

    def snapshot_metrics(self, taken: Mapping[str, datetime]) -> dict[str, Metrics]:
        """The metric snapshot rows of entry keys at the given times (`taken`: key -> the time,
        whole seconds). A row stamped exactly then wins (the final snapshot's rows are); else a
        row within that second. Keys without such a row are left out."""
        out: dict[str, Metrics] = {}
        exact: set[str] = set()
        keys = list(taken)
        with self.store.session() as s:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                earliest = min(taken[k] for k in chunk)
                latest = max(taken[k] for k in chunk) + timedelta(seconds=1)
                rows = s.scalars(
                    select(MetricSnapshotRow)
                    .where(
                        MetricSnapshotRow.key.in_(chunk),
                        MetricSnapshotRow.taken_at >= earliest,
                        MetricSnapshotRow.taken_at < latest,
                    )
                    .order_by(MetricSnapshotRow.taken_at)
                ).all()
                for r in rows:
                    when = taken[r.key]
                    if r.key in exact or not when <= r.taken_at < when + timedelta(seconds=1):
                        continue
                    if r.taken_at == when:
                        exact.add(r.key)
                    elif r.key in out:
                        continue  # the earliest row of the second, when none is exact
                    out[r.key] = Metrics(
                        likes=r.likes,
                        replies=r.replies,
                        reposts=r.reposts,
                        quotes=r.quotes,
                        bookmarks=r.bookmarks,
                        impressions=r.impressions,
                    )
        return out

    # ------------------------------------------------------------------ announcement checks

    def record_check(
        self,
        competition_id: str,
        *,
        checked_at: datetime,
        replacements: Sequence[Replacement],
        result_digest: str,
    ) -> None:
        with self.store.transaction() as s:
            s.add(
                AnnouncementCheckRow(
                    competition_id=competition_id,
                    checked_at=checked_at,
                    replacements=[_replacement_json(r) for r in replacements],
                    digest=result_digest,
                )
            )

    def checks(self, competition_id: str) -> list[AnnouncementCheck]:
        with self.store.session() as s:
            rows = s.scalars(
                select(AnnouncementCheckRow)
                .where(AnnouncementCheckRow.competition_id == competition_id)
                .order_by(AnnouncementCheckRow.checked_at, AnnouncementCheckRow.id)
            ).all()
        return [
            AnnouncementCheck(
                r.competition_id,
                r.checked_at,
                tuple(Replacement(**d) for d in r.replacements),
                r.digest,
            )
            for r in rows
        ]


def _frozen(row: FrozenResultRow) -> StoredResult:
    return StoredResult(
        row.competition_id, 1, "freeze", row.digest, None, row.created_at, row.canonical
    )


def _final(row: FinalSnapshotRow) -> FinalSnapshot:
    reason: DelayReason = next((r for r in DELAY_REASONS if r == row.reason), "bot-not-running")
    return FinalSnapshot(
        row.competition_id, row.taken_at, row.deadline, row.delay_seconds, reason, row.entries
    )


def _revision(row: ResultRevisionRow) -> StoredResult:
    return StoredResult(
        row.competition_id,
        row.version,
        cast(Cause, row.cause),
        row.digest,
        row.previous_digest,
        row.created_at,
        row.canonical,
    )


def _replacement_json(r: Replacement) -> dict[str, Any]:
    return {
        "category_id": r.category_id,
        "removed_key": r.removed_key,
        "removed_username": r.removed_username,
        "replacement_key": r.replacement_key,
        "replacement_username": r.replacement_username,
        "reason": r.reason,
    }
