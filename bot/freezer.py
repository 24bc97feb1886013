"""Shell: the deadline freeze, re-issues after it, the pre-announcement re-check, verification.

The freeze has two phases. Phase one (`take_final_snapshot`) runs at the first chance at or after
the competition's end: it looks every entry up, those marked deleted before included (100 ids a
request, following edits to their newest version and asking again for a passing miss,
`bot.x.lookups`; deleted and protected posts are marked, a post found again is active again),
stores one snapshot row each, all stamped with the same whole-second time, and records that time
with the delay after the deadline and its reason ("on-time" within `ON_TIME_TOLERANCE`, else
"bot-not-running": the bot missed the deadline and took it at its first chance). During the
competition's late grace (`Competition.late_grace`, `late_posts_grace`) the poller keeps searching
for posts created before the end and indexed late; each one it finds gets its first snapshot at
once (`snapshot_late_entries`): the earliest reading is the closest to the deadline. Phase two
(`freeze_if_due`, from the end of the grace, once the final re-scan of the whole window is done)
reads the replies when a category counts distinct repliers (only replies created before the end,
`bot.polling.replies`), and freezes the standings from the metrics of the final snapshot rows:
likes the poller or anyone read after that time never enter. Late-indexed entries carry their first
snapshot after it (a later `metrics_at`, `late_indexed` in the result), which may include a little
engagement after the deadline. The result's `frozen_at` is the final snapshot's time, and it
records the parts of the window the 7-day search horizon kept out of reach (`uncollected`). Until
the freeze the standings after the end are provisional, computed exactly as the freeze will; from
then on the leaderboard shows the frozen standings (`live_standings`).

After the freeze only organisers' decisions (jury picks, disqualifications, re-qualifications) and
the re-check's statuses can change the result; each change re-issues it as a new version whose
digest follows the previous one (`reissue`, `recheck_before_announcement`). The decisions live in
`bot.core.revisions`; this module fetches, calls the core, and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.core.models import Competition, EntryStatus, Metrics, Standings
from bot.core.phases import is_due, is_settled
from bot.core.polling import batched, uncollected_spans
from bot.core.results import (
    ON_TIME_TOLERANCE,
    FinalSnapshot,
    FrozenResult,
    Replacement,
    as_of_snapshots,
    delay_reason,
    freeze,
    recheck_winners,
    verify,
    with_statuses,
)
from bot.core.revisions import Cause, revise, revision_problems, snapshot_problems
from bot.core.scoring import compute_standings
from bot.polling.replies import collect_replies, needs_repliers
from bot.store import Store
from bot.store.rules import RulesStore, StoredResult
from bot.x.interface import XClient
from bot.x.lookups import lookup_newest

_STATUS_OF_PROBLEM: dict[str, EntryStatus] = {
    "deleted": "deleted",
    "protected": "protected",
    "suspended": "protected",
}


class NotFrozen(Exception):
    """The competition has no frozen result yet (it has not ended, or the bot has not run since)."""


@dataclass(frozen=True)
class Recheck:
    """What the pre-announcement re-check did: the statuses it saw for the winners it looked up,
    the replacements made, and the result version the announcement should use."""

    competition_id: str
    checked_at: datetime
    statuses: tuple[tuple[str, EntryStatus], ...]
    replacements: tuple[Replacement, ...]
    result: StoredResult


def take_final_snapshot(
    competition: Competition,
    *,
    client: XClient,
    store: Store,
    clock: Clock,
    tolerance: timedelta = ON_TIME_TOLERANCE,
) -> FinalSnapshot | None:
    """Phase one: at or after the end, snapshot every entry and record the time
    (once: later calls return the record). None before the end."""
    rules = RulesStore(store)
    now = clock.now()
    if not is_due(competition, now):
        return None
    recorded = rules.final_snapshot(competition.id)
    if recorded is not None:
        return recorded
    taken_at = now.replace(microsecond=0)
    # Every entry, the ones marked deleted included: a mark from one look-up during the
    # competition must not decide the result (a deactivated account's posts come back).
    ids = [e.post.id for e in store.entries(competition.id)]
    for batch in batched(ids):
        store.save_lookup(lookup_newest(client, batch).lookup, taken_at)
    deadline = competition.end.replace(microsecond=0)
    delay = max(0, int((taken_at - deadline).total_seconds()))
    return rules.record_final_snapshot(
        FinalSnapshot(
            competition.id,
            taken_at,
            deadline,
            delay,
            delay_reason(deadline, taken_at, tolerance=tolerance),
            len(ids),
        )
    )


def freeze_if_due(
    competition: Competition,
    *,
    client: XClient,
    store: Store,
    clock: Clock,
    bot_username: str | None = None,
    settle: timedelta | None = None,
    final_poll_done: bool = True,
) -> StoredResult | None:
    """Take the final snapshot if the end has passed and it is not taken yet (phase one); freeze
    if the late grace (`settle` when given) has passed since the end and `final_poll_done` (the
    final re-scan, phase two). Returns the stored result (version 1) when it froze now, None
    otherwise (not ended, waiting for the final re-scan, or already frozen).
    `settle=timedelta(0)` freezes in one call, for a bot without a poller."""
    rules = RulesStore(store)
    now = clock.now()
    if not is_due(competition, now) or rules.is_frozen(competition.id):
        return None
    final = take_final_snapshot(competition, client=client, store=store, clock=clock)
    assert final is not None  # due
    if not (final_poll_done and is_settled(competition, now, settle=settle)):
        return None
    snapshots = _frozen_metrics(competition, final, client=client, store=store, clock=clock)
    if needs_repliers(competition):
        collect_replies(
            competition, client=client, store=store, clock=clock, bot_username=bot_username
        )
    disqualified, requalified = rules.decision_state(competition.id)
    result = freeze(
        competition,
        as_of_snapshots(store.entries(competition.id), snapshots),
        frozen_at=final.taken_at,
        deadline=competition.end,
        disqualified=disqualified,
        requalified=requalified,
        jury_picks=rules.picks(competition.id),
        bot_username=bot_username,
        reason=final.reason,
        uncollected=uncollected_spans(
            competition.start, competition.end, store.search_times(competition.id)
        ),
    )
    return rules.save_frozen(result, created_at=clock.now())


def late_entries(competition: Competition, *, store: Store) -> list[str]:
    """Ids of the active entries found after the final snapshot that have no reading since it
    (none before the final snapshot is taken)."""
    final = RulesStore(store).final_snapshot(competition.id)
    if final is None:
        return []
    read = store.first_snapshots_since(competition.id, final.taken_at)
    return [
        e.post.id
        for e in store.entries(competition.id)
        if e.status == "active" and e.key not in read
    ]


def snapshot_late_entries(
    competition: Competition, ids: Sequence[str], *, client: XClient, store: Store, clock: Clock
) -> int:
    """The first reading of late-indexed entries (`late_entries`), at a whole second: the metrics
    the freeze will score them with. Returns the snapshots written."""
    if not ids:
        return 0
    final = RulesStore(store).final_snapshot(competition.id)
    taken_at = clock.now().replace(microsecond=0)
    if final is not None:
        taken_at = max(taken_at, final.taken_at)
    return sum(
        store.save_lookup(lookup_newest(client, batch).lookup, taken_at) for batch in batched(ids)
    )


def deadline_metrics(
    competition: Competition, final: FinalSnapshot, *, store: Store
) -> dict[str, tuple[Metrics, datetime]]:
    """key -> (metrics, time) the freeze scores: each entry's earliest reading at or after the
    final snapshot (its final snapshot row; for an entry found later, its first reading)."""
    times = store.first_snapshots_since(competition.id, final.taken_at)
    found = RulesStore(store).snapshot_metrics(times)
    return {k: (m, times[k]) for k, m in found.items()}


def _frozen_metrics(
    competition: Competition, final: FinalSnapshot, *, client: XClient, store: Store, clock: Clock
) -> dict[str, tuple[Metrics, datetime]]:
    """`deadline_metrics`, after giving an active entry without a reading since the final
    snapshot (found by the final re-scan) its first reading now."""
    snapshot_late_entries(
        competition,
        late_entries(competition, store=store),
        client=client,
        store=store,
        clock=clock,
    )
    return deadline_metrics(competition, final, store=store)


def live_standings(
    store: Store, competition: Competition, now: datetime, *, bot_username: str | None = None
) -> Standings:
    """What the leaderboard shows: the current frozen standings once frozen, else the standings of
    the stored entries at `now` with the stored disqualifications, re-qualifications and picks
    (between the final snapshot and the freeze, provisional: with the metrics the freeze will
    use, the final snapshot's and late entries' first readings, so likes after the deadline never
    show)."""
    rules = RulesStore(store)
    current = rules.current(competition.id)
    if current is not None:
        return current.result.standings
    entries = store.entries(competition.id)
    final = rules.final_snapshot(competition.id)
    if final is not None:
        # Provisional until the freeze, and computed as the freeze will compute it.
        entries = as_of_snapshots(entries, deadline_metrics(competition, final, store=store))
    disqualified, requalified = rules.decision_state(competition.id)
    return compute_standings(
        competition,
        entries,
        now=now,
        disqualified=disqualified,
        requalified=requalified,
        jury_picks=rules.picks(competition.id),
        bot_username=bot_username,
    )


def reissue(
    competition_id: str, *, store: Store, clock: Clock, cause: Cause
) -> StoredResult | None:
    """After a decision or jury pick made once the competition is frozen: re-issue its result with
    the organisers' current decisions (a new version, unless nothing changed). None when the
    competition is not frozen (the decision then simply enters the freeze)."""
    rules = RulesStore(store)
    current = rules.current(competition_id)
    if current is None:
        return None
    disqualified, requalified = rules.decision_state(competition_id)
    revised = revise(
        current.result,
        jury_picks=rules.picks(competition_id),
        disqualified=disqualified,
        requalified=requalified,
    )
    return rules.add_revision(revised, cause=cause, created_at=clock.now())


def recheck_before_announcement(
    competition_id: str, *, client: XClient, store: Store, clock: Clock
) -> Recheck:
    """Just before announcing: look the winners up again. A winner deleted or protected since the
    freeze gives way to the next eligible entry (whose post is then checked too); the replacements
    are recorded and the result re-issued with the statuses seen. Raises NotFrozen."""
    rules = RulesStore(store)
    current = rules.current(competition_id)
    if current is None:
        raise NotFrozen(
            f"competition {competition_id!r} has no frozen result to re-check; it freezes at its "
            "end (run the bot, or wait for the end)"
        )
    result = current.result
    tweet_of = {f.key: f.post_id for f in result.inputs}
    key_of = {f.post_id: f.key for f in result.inputs}
    statuses: dict[str, EntryStatus] = {}
    checked: set[str] = set()
    probe = result
    while True:
        winners = [k for cs in probe.standings.categories for k in cs.winners if k not in checked]
        if not winners:
            break
        checked.update(winners)
        for batch in batched([tweet_of[k] for k in dict.fromkeys(winners)]):
            lookup = lookup_newest(client, batch).lookup
            protected = {u.id for u in lookup.accounts if u.protected}
            for t in lookup.posts:
                if t.key in tweet_of:  # by entry key: the newest version has a new id
                    statuses[t.key] = "protected" if t.author_id in protected else "active"
            for tweet_id, problem in lookup.problems:
                if tweet_id in key_of and problem in _STATUS_OF_PROBLEM:
                    statuses[key_of[tweet_id]] = _STATUS_OF_PROBLEM[problem]
        probe = with_statuses(result, statuses)
    _, replacements = recheck_winners(result, statuses)
    checked_at = clock.now()
    stored = rules.add_revision(
        revise(result, statuses=statuses), cause="recheck", created_at=checked_at
    )
    rules.record_check(
        competition_id,
        checked_at=checked_at,
        replacements=replacements,
        result_digest=stored.digest,
    )
    return Recheck(
        competition_id,
        checked_at,
        tuple(sorted(statuses.items())),
        tuple(replacements),
        stored,
    )


@dataclass(frozen=True)
class VersionCheck:
    """The verification of one stored version: `digest` is what its stored text hashes to now."""

    version: int
    cause: Cause
    recorded_digest: str
    digest: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class StoredVerification:
    competition_id: str
    versions: tuple[VersionCheck, ...]

    @property
    def ok(self) -> bool:
        return bool(self.versions) and all(v.ok for v in self.versions)


def verify_stored(competition_id: str, *, store: Store) -> StoredVerification:
    """Recompute every stored version of the competition's result from its stored inputs and rules
    alone and compare: the digest recorded at the time against the stored text, the standings
    against the recomputed ones, each re-issue against the freeze (only decisions and statuses may
    differ) and the digest chain, and the frozen metrics against the snapshot rows of the freeze.
    Raises NotFrozen when there is nothing to verify."""
    rules = RulesStore(store)
    history = rules.history(competition_id)
    if not history:
        raise NotFrozen(
            f"competition {competition_id!r} is not frozen yet: there is no result to verify "
            "(it freezes at its end)"
        )
    checks: list[VersionCheck] = []
    frozen: FrozenResult | None = None
    for i, version in enumerate(history):
        problems: list[str] = []
        if version.content_digest != version.digest:
            problems.append(
                f"stored text: recorded digest {version.digest} but the text now hashes to "
                f"{version.content_digest}; it was changed after it was written"
            )
        if i > 0 and version.previous_digest != history[i - 1].digest:
            problems.append(
                f"history: version {version.version} follows {version.previous_digest}, not "
                f"version {history[i - 1].version}'s digest {history[i - 1].digest}"
            )
        try:
            result = version.result
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"stored text: cannot be read as a result ({exc})")
            checks.append(
                VersionCheck(
                    version.version,
                    version.cause,
                    version.digest,
                    version.content_digest,
                    tuple(problems),
                )
            )
            continue
        report = verify(result, recorded_digest=version.digest)
        problems.extend(p for p in report.problems if not p.startswith("digest:"))
        if frozen is None:
            frozen = result
            # The final snapshot's rows, and the first snapshot of late-indexed entries.
            at_freeze = {f.key: f.metrics_at for f in result.inputs}
            taken = {k: t for k, t in at_freeze.items() if t is not None and t >= result.frozen_at}
            problems.extend(snapshot_problems(result, rules.snapshot_metrics(taken)))
        else:
            problems.extend(revision_problems(frozen, result))
        checks.append(
            VersionCheck(
                version.version,
                version.cause,
                version.digest,
                report.digest,
                tuple(problems),
            )
        )
    return StoredVerification(competition_id, tuple(checks))
