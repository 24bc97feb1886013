"""Shell: the deadline freeze, re-issues after it, the pre-announcement re-check, verification.

`freeze_if_due` runs once a competition's end has passed and it has no frozen result: it takes a
final snapshot of every entry not already known deleted (`lookup_tweets`, 100 ids a request,
following edits to their newest version; deleted and protected posts are marked), reads the replies
when a category counts distinct repliers, computes the standings with the stored disqualifications
and jury picks, and stores the frozen result with its digest in one transaction. A bot that was down
at the deadline freezes at its first chance and the result records the delay. From then on the
leaderboard shows the frozen standings (`live_standings`); later likes change nothing.

After the freeze only organisers' decisions (jury picks, disqualifications, re-qualifications) and
the re-check's statuses can change the result; each change re-issues it as a new version whose
digest follows the previous one (`reissue`, `recheck_before_announcement`). The decisions live in
`bot.core.revisions`; this module fetches, calls the core, and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.core.models import Competition, EntryStatus, Lookup, Standings
from bot.core.polling import batched
from bot.core.results import (
    FrozenResult,
    Replacement,
    freeze,
    recheck_winners,
    verify,
    with_statuses,
)
from bot.core.revisions import Cause, revise, revision_problems, snapshot_problems
from bot.core.scoring import compute_standings
from bot.replies import collect_replies, needs_repliers
from bot.store import Store
from bot.store.rules import RulesStore, StoredResult
from bot.x.interface import XClient

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


def is_due(competition: Competition, now: datetime) -> bool:
    return now >= competition.end


def freeze_if_due(
    competition: Competition,
    *,
    client: XClient,
    store: Store,
    clock: Clock,
    bot_username: str | None = None,
) -> StoredResult | None:
    """Freeze `competition` if its end has passed and it is not frozen yet; returns the stored
    result (version 1) when it froze now, None when there was nothing to do."""
    rules = RulesStore(store)
    if not is_due(competition, clock.now()) or rules.is_frozen(competition.id):
        return None
    taken_at = final_snapshot(competition, client=client, store=store, clock=clock)
    if needs_repliers(competition):
        collect_replies(
            competition, client=client, store=store, clock=clock, bot_username=bot_username
        )
    disqualified, requalified = rules.decision_state(competition.id)
    result = freeze(
        competition,
        store.entries(competition.id),
        frozen_at=taken_at,
        deadline=competition.end,
        disqualified=disqualified,
        requalified=requalified,
        jury_picks=rules.picks(competition.id),
        bot_username=bot_username,
    )
    return rules.save_frozen(result, created_at=clock.now())


def final_snapshot(
    competition: Competition, *, client: XClient, store: Store, clock: Clock
) -> datetime:
    """Re-read every entry not known deleted, store one snapshot each (all stamped with the same
    whole-second time, which is returned) and the deleted/protected marks."""
    taken_at = clock.now().replace(microsecond=0)
    ids = [e.tweet.id for e in store.entries(competition.id) if e.status != "deleted"]
    for batch in batched(ids):
        store.save_lookup(_lookup_newest(client, batch), taken_at)
    return taken_at


def _lookup_newest(client: XClient, ids: Sequence[str]) -> Lookup:
    """Look `ids` up; a post edited since we last saw it comes back as its old version, so its
    newest version is looked up too and replaces it (the entry is scored on what it says now)."""
    first = client.lookup_tweets(ids)
    stale = [t for t in first.tweets if t.edit_history_ids and t.edit_history_ids[-1] != t.id]
    if not stale:
        return first
    newer = client.lookup_tweets([t.edit_history_ids[-1] for t in stale])
    stale_ids = {t.id for t in stale}
    found_keys = {t.key for t in newer.tweets}
    return Lookup(
        tweets=(
            *(t for t in first.tweets if t.id not in stale_ids),
            *newer.tweets,
            # An edit chain whose newest version could not be read keeps its old version.
            *(t for t in stale if t.key not in found_keys),
        ),
        users=(*first.users, *newer.users),
        problems=first.problems,
    )


def live_standings(
    store: Store, competition: Competition, now: datetime, *, bot_username: str | None = None
) -> Standings:
    """What the leaderboard shows: the current frozen standings once frozen, else the standings of
    the stored entries at `now` with the stored disqualifications, re-qualifications and picks."""
    rules = RulesStore(store)
    current = rules.current(competition.id)
    if current is not None:
        return current.result.standings
    disqualified, requalified = rules.decision_state(competition.id)
    return compute_standings(
        competition,
        store.entries(competition.id),
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
    tweet_of = {f.key: f.tweet_id for f in result.inputs}
    key_of = {f.tweet_id: f.key for f in result.inputs}
    statuses: dict[str, EntryStatus] = {}
    checked: set[str] = set()
    probe = result
    while True:
        winners = [k for cs in probe.standings.categories for k in cs.winners if k not in checked]
        if not winners:
            break
        checked.update(winners)
        for batch in batched([tweet_of[k] for k in dict.fromkeys(winners)]):
            lookup = client.lookup_tweets(batch)
            protected = {u.id for u in lookup.users if u.protected}
            for t in lookup.tweets:
                if t.id in key_of:
                    statuses[key_of[t.id]] = "protected" if t.author_id in protected else "active"
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
            at_freeze = {f.key: f.metrics_at for f in result.inputs}
            taken = {k: t for k, t in at_freeze.items() if t is not None and t == result.frozen_at}
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
