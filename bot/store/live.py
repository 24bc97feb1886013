"""The live leaderboard kept incrementally in the database (issue 14), around `bot.core.board`.

The store's writes append what they touch to `live_changes` (entry chains written, accounts whose
facts changed). `LiveStore.catch_up` applies the log to one competition: it recomputes the rows of
the entries touched (an account's change reaches its entries and the entries it replied to), the
rows whose organisers' decision or jury pick changed, and, under one entry per author, which of
each touched author's entries ranks; it keeps the exclusion counts by difference. The top of a
category is then the first rows of `ix_live_scores_order` (`LiveStore.top`), whatever the number
of entries.

Everything the rows depend on besides the log is recorded with them: the fingerprint of the
competition's rules and the bot's handle (`fingerprint`), the decisions and picks, and the
organisers' user ids among the entries' authors. A change of the rules (or of the organiser ids,
which mark replies to the organisers) recomputes the competition's rows from every entry once
(`rebuild`), in bounded memory. A catch-up holds the competition's `live_state` row while it works,
so two processes never apply the same changes twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, delete, func, select, text, tuple_, update
from sqlalchemy.orm import Session

from bot.core.audience import cached_handle_set, normalise_handle
from bot.core.board import (
    NOT_AUTHORS_BEST,
    BoardRow,
    authors_best,
    authors_best_reason,
    entry_rows,
    pick_ranks,
)
from bot.core.eligibility import facts_of, rule_order
from bot.core.mentions import Place
from bot.core.models import Competition, Entry, Exclusion
from bot.core.scoring import JuryPick, key_order
from bot.store.convert import competition_config
from bot.store.schema import AuthorRow, CompetitionEntryRow, ReplyRow, TweetRow
from bot.store.schema_live import LiveChangeRow, LiveExclusionRow, LiveScoreRow, LiveStateRow
from bot.store.writes import bulk_insert, entry_of, insert_ignoring, repliers_of

if TYPE_CHECKING:
    from bot.store import Store

LIVE_VERSION = "1"
"""Bump when the rules' code changes what a row holds: every competition's rows are rebuilt."""
_CHUNK = 500  # IN (...) lists
_REBUILD_CHUNK = 2000  # entries loaded at once by a rebuild
REBUILD_ABOVE = 50_000
"""More changed entries than this at once are recomputed by a rebuild (a chunk at a time)."""
ENTRIES = "@entries"  # count keys: entries excluded anywhere, exclusions in all
EXCLUSIONS = "@exclusions"


@dataclass(frozen=True)
class Decisions:
    """What the rows depend on from the organisers: disqualifications, re-qualifications and the
    jury's latest pick ranks (category -> key -> rank)."""

    disqualified: Mapping[str, str]
    requalified: frozenset[str]
    picks: Mapping[str, Mapping[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "disqualified": dict(sorted(self.disqualified.items())),
            "requalified": sorted(self.requalified),
            "picks": {c: dict(sorted(p.items())) for c, p in sorted(self.picks.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decisions:
        return cls(
            dict(data.get("disqualified", {})),
            frozenset(data.get("requalified", ())),
            {c: dict(p) for c, p in data.get("picks", {}).items()},
        )

    def changed_keys(self, other: Decisions) -> set[str]:
        """The entries whose decision or pick differs between the two."""
        keys = {
            k
            for k in set(self.disqualified) | set(other.disqualified)
            if self.disqualified.get(k) != other.disqualified.get(k)
        }
        keys |= self.requalified ^ other.requalified
        for c in set(self.picks) | set(other.picks):
            mine, theirs = self.picks.get(c, {}), other.picks.get(c, {})
            keys |= {k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
        return keys


def decisions_of(
    competition: Competition,
    disqualified: Mapping[str, str],
    requalified: Iterable[str],
    picks: Sequence[JuryPick],
) -> Decisions:
    return Decisions(dict(disqualified), frozenset(requalified), pick_ranks(competition, picks))


def fingerprint(competition: Competition, bot_username: str | None) -> str:
    """What the rows were computed under: the competition's rules, the bot's handle (its posts
    and commands never rank) and the version of the code that fills the rows."""
    _, digest = competition_config(competition)
    text = f"{LIVE_VERSION}|{digest}|{normalise_handle(bot_username or '')}"
    return hashlib.sha256(text.encode()).hexdigest()


class _Rebuild(Exception):
    """The organiser ids changed: every reply's facts may change, recompute everything."""


class LiveStore:
    """The live tables of one competition at a time (a facade over `Store`, like `RulesStore`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------------------ keeping

    def catch_up(
        self,
        competition: Competition,
        decisions: Decisions,
        *,
        bot_username: str | None,
        now: datetime,
    ) -> bool:
        """Bring the competition's rows up to date with the change log and `decisions`. Returns
        whether anything was written (nothing when already up to date)."""
        fp = fingerprint(competition, bot_username)
        with self.store.session() as s:
            state = s.get(LiveStateRow, competition.id)
            top = s.scalar(select(func.max(LiveChangeRow.seq))) or 0
            if (
                state is not None
                and state.fingerprint == fp
                and state.seq >= top
                and Decisions.from_json(state.decisions) == decisions
            ):
                return False
        try:
            with self.store.transaction() as s:
                state = self._hold(s, competition.id, now)
                if state is None or state.fingerprint != fp:
                    self._rebuild(s, competition, decisions, fp, bot_username, now)
                else:
                    self._apply(s, competition, state, decisions, bot_username, now)
        except _Rebuild:
            self.rebuild(competition, decisions, bot_username=bot_username, now=now)
        return True

    def rebuild(
        self,
        competition: Competition,
        decisions: Decisions,
        *,
        bot_username: str | None,
        now: datetime,
    ) -> None:
        """Recompute the competition's rows from every entry (what a rules change does)."""
        with self.store.transaction() as s:
            self._hold(s, competition.id, now)
            fp = fingerprint(competition, bot_username)
            self._rebuild(s, competition, decisions, fp, bot_username, now)

    def release(self, competition_id: str) -> None:
        """Drop a competition's live rows (it ended: the leaderboard computes it whole from then
        on), so its place in the change log no longer holds the log back."""
        with self.store.session() as s:
            if s.get(LiveStateRow, competition_id) is None:
                return
        with self.store.transaction() as s:
            for table in (LiveScoreRow, LiveExclusionRow, LiveStateRow):
                s.execute(delete(table).where(table.competition_id == competition_id))
            _prune(s)

    def release_others(self, configured: Iterable[str]) -> list[str]:
        """Drop the live rows of every competition not in `configured` (the ids the config
        names): a competition removed from the config is never read again, and its place in the
        change log would keep the log from being pruned. Returns the ids released."""
        keep = set(configured)
        with self.store.session() as s:
            held = list(s.scalars(select(LiveStateRow.competition_id)))
        gone = sorted(cid for cid in held if cid not in keep)
        for cid in gone:
            self.release(cid)
        return gone

    def _hold(self, s: Session, competition_id: str, now: datetime) -> LiveStateRow | None:
        """Lock the competition's state row for this transaction (made first when missing: an
        UPDATE holds it until commit on PostgreSQL, and takes SQLite's write lock), then read it
        as it is now. None when there was no state yet."""
        s.execute(
            insert_ignoring(s, LiveStateRow, ["competition_id"]).values(
                competition_id=competition_id,
                fingerprint="",
                seq=0,
                decisions={},
                organisers=[],
                counts={},
                built_at=now,
                updated_at=now,
            )
        )
        s.execute(
            update(LiveStateRow)
            .where(LiveStateRow.competition_id == competition_id)
            .values(updated_at=now)
        )
        state = s.get(LiveStateRow, competition_id, populate_existing=True)
        return None if state is None or not state.fingerprint else state

    def _apply(
        self,
        s: Session,
        competition: Competition,
        state: LiveStateRow,
        decisions: Decisions,
        bot_username: str | None,
        now: datetime,
    ) -> None:
        cid = competition.id
        top = _log_end(s)
        keys = _changed_keys(s, state.seq, top)
        keys |= decisions.changed_keys(Decisions.from_json(state.decisions))
        keys = _entry_keys(s, cid, keys)
        if len(keys) > REBUILD_ABOVE:
            raise _Rebuild  # in bounded memory, an entry chunk at a time
        counts = Counter(state.counts)
        if keys:
            entries = _entries(s, sorted(keys))
            organisers = _organisers_after(competition, set(state.organisers), entries)
            if organisers != set(state.organisers):
                raise _Rebuild
            excluded, rows = _compute(
                competition, entries, decisions, frozenset(organisers), bot_username
            )
            old_rows = _score_rows(s, cid, keys)
            counts.subtract(_contributions(s, cid, keys))
            _delete_rows(s, cid, keys)
            _insert_rows(s, cid, excluded, rows)
            span = set(keys)
            if competition.eligibility.one_entry_per_author:
                changes = _settle(s, cid, keys, old_rows, rows)
                moved = {c["key"] for c in changes} - keys
                counts.subtract(_contributions(s, cid, moved))
                if changes:
                    s.execute(update(LiveScoreRow), changes)
                span |= moved
            counts.update(_contributions(s, cid, span))
        state.seq = max(state.seq, top)
        state.decisions = decisions.as_json()
        state.counts = {k: v for k, v in counts.items() if v}
        state.updated_at = now
        s.flush()
        _prune(s)

    def _rebuild(
        self,
        s: Session,
        competition: Competition,
        decisions: Decisions,
        fp: str,
        bot_username: str | None,
        now: datetime,
    ) -> None:
        cid = competition.id
        _delete_rows(s, cid, None)
        top = _log_end(s)
        org_ids = _organiser_ids(s, competition)
        last = ""
        while True:
            q = (
                select(CompetitionEntryRow.key)
                .where(CompetitionEntryRow.competition_id == cid, CompetitionEntryRow.key > last)
                .order_by(CompetitionEntryRow.key)
                .limit(_REBUILD_CHUNK)
            )
            chunk = list(s.scalars(q))
            if not chunk:
                break
            last = chunk[-1]
            entries = _entries(s, chunk)
            excluded, rows = _compute(competition, entries, decisions, org_ids, bot_username)
            _insert_rows(s, cid, excluded, rows)
            s.expunge_all()
        if competition.eligibility.one_entry_per_author:
            for category in competition.categories:
                _settle_category(s, cid, category.id)
        state = s.get(LiveStateRow, cid)
        assert state is not None  # held
        state.fingerprint = fp
        state.seq = top
        state.decisions = decisions.as_json()
        state.organisers = sorted(org_ids)
        state.counts = _count_all(s, cid)
        state.built_at = now
        state.updated_at = now
        s.flush()
        _prune(s)

    # ------------------------------------------------------------------------------ reading

    def counts(self, competition_id: str) -> Counter[str]:
        with self.store.session() as s:
            state = s.get(LiveStateRow, competition_id)
            return Counter(state.counts if state is not None else {})

    def top(self, competition_id: str, category_id: str, limit: int) -> list[BoardRow]:
        """The first `limit` rows that rank in the category, in its order."""
        with self.store.session() as s:
            found = s.scalars(_category_query(competition_id, category_id).limit(limit))
            return [_board_row(r) for r in found]

    def ranked(self, competition_id: str, category_id: str) -> Iterator[BoardRow]:
        """Every row that ranks in the category, in its order, streamed from the index a
        thousand at a time (a full-standings export holds no more than that)."""
        with self.store.session() as s:
            query = _category_query(competition_id, category_id).execution_options(yield_per=1000)
            for r in s.scalars(query):
                yield _board_row(r)

    def places_of(
        self, competition: Competition, author_id: str
    ) -> tuple[list[Place], list[tuple[str, str, str | None]]]:
        """An author's best place in each category (rank, the category's ranked lines, score)
        and their entries' exclusions (key, rule code, category or None): what a reply to
        "my rank" says (`bot.core.mentions.standing_lines`), from the indexes: the author's
        first ranked row, the rows ahead of it counted (under shared ranks, the rows of better
        groups), the category's ranked rows counted."""
        cid = competition.id
        shared = competition.tie_rule == "shared"
        places: list[Place] = []
        excluded: list[tuple[str, str, str | None]] = []
        with self.store.session() as s:
            for category in competition.categories:
                ranked = _ranks_in(cid, category.id)
                total = s.scalar(select(func.count()).select_from(LiveScoreRow).where(*ranked))
                best = _ranked_of_author(s, cid, category.id, author_id)
                if best is None:
                    places.append(Place(category, None, total or 0))
                    continue
                order = best.group if shared else best.order
                ahead = s.scalar(
                    select(func.count())
                    .select_from(LiveScoreRow)
                    .where(*ranked, tuple_(*_ORDER[: len(order)]) < tuple_(*order))
                )
                places.append(Place(category, (ahead or 0) + 1, total or 0, best.score))
            # Every post of the author's (by the tweets' author index); those that are not the
            # competition's entries have no live rows.
            keys = sorted(s.scalars(select(TweetRow.key).where(TweetRow.author_id == author_id)))
            for chunk in _chunks(keys):
                for key, rules in s.execute(
                    select(LiveExclusionRow.key, LiveExclusionRow.rules).where(
                        LiveExclusionRow.competition_id == cid, LiveExclusionRow.key.in_(chunk)
                    )
                ):
                    excluded.extend((key, code, None) for code, _ in rules)
                excluded.extend(
                    (key, rule, category)
                    for key, rule, category in s.execute(
                        select(LiveScoreRow.key, LiveScoreRow.rule, LiveScoreRow.category_id).where(
                            LiveScoreRow.competition_id == cid,
                            LiveScoreRow.key.in_(chunk),
                            LiveScoreRow.rule.is_not(None),
                        )
                    )
                    if rule is not None
                )
        return places, excluded

    def exclusions(self, competition: Competition) -> Iterator[Exclusion]:
        """Every exclusion, in the standings' order (entry key, category, rule), streamed."""
        cid = competition.id
        with self.store.session() as s:
            globals_ = s.execute(
                select(
                    LiveExclusionRow.key,
                    LiveExclusionRow.post_id,
                    LiveExclusionRow.username,
                    LiveExclusionRow.rules,
                )
                .where(LiveExclusionRow.competition_id == cid)
                .order_by(func.length(LiveExclusionRow.key), LiveExclusionRow.key)
                .execution_options(yield_per=1000)
            )
            scored = s.scalars(
                select(LiveScoreRow)
                .where(LiveScoreRow.competition_id == cid, LiveScoreRow.rule.is_not(None))
                .order_by(LiveScoreRow.key_len, LiveScoreRow.key)
                .execution_options(yield_per=1000)
            )
            best: dict[tuple[str, str], BoardRow | None] = {}
            pending: list[Exclusion] = []
            for row in _merge_by_key(iter(globals_), scored):
                if pending and pending[0].key != (
                    row.key if isinstance(row, LiveScoreRow) else row[0]
                ):
                    yield from _flush(pending)
                if isinstance(row, LiveScoreRow):
                    pending.append(self._category_exclusion(s, cid, competition, row, best))
                    continue
                key, post_id, username, rules = row
                for code, reason in rules:
                    yield Exclusion(key, post_id, username, code, reason)
            yield from _flush(pending)

    def _category_exclusion(
        self,
        s: Session,
        cid: str,
        competition: Competition,
        row: LiveScoreRow,
        best: dict[tuple[str, str], BoardRow | None],
    ) -> Exclusion:
        reason = row.reason or ""
        if row.rule == NOT_AUTHORS_BEST:
            pair = (row.category_id, row.author_id)
            if pair not in best:
                if len(best) > 10_000:
                    best.clear()
                best[pair] = _ranked_of_author(s, cid, *pair)
            winner = best[pair]
            if winner is not None:
                reason = authors_best_reason(winner, _board_row(row), competition.tie_rule)
        assert row.rule is not None
        return Exclusion(row.key, row.post_id, row.username, row.rule, reason, row.category_id)


def _flush(pending: list[Exclusion]) -> Iterator[Exclusion]:
    """An entry's category exclusions in category, then rule order."""
    pending.sort(key=lambda x: (x.category or "", rule_order(x.rule)))
    yield from pending
    pending.clear()


def _merge_by_key(globals_: Iterator[Any], scored: Iterable[LiveScoreRow]) -> Iterator[Any]:
    """The global exclusion rows and the excluded score rows in one key order (an entry has one
    or the other: an entry that fails a global rule has no score rows)."""
    g = next(globals_, None)
    for row in scored:
        while g is not None and key_order(g[0]) < key_order(row.key):
            yield g
            g = next(globals_, None)
        yield row
    while g is not None:
        yield g
        g = next(globals_, None)


# ---------------------------------------------------------------------------------- helpers


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


_ORDER = (
    LiveScoreRow.g0,
    LiveScoreRow.g1,
    LiveScoreRow.tiebreak,
    LiveScoreRow.key_len,
    LiveScoreRow.key,
)
"""The category's order (`BoardRow.order`), as the indexes hold it."""


def _category_query(competition_id: str, category_id: str) -> Select[LiveScoreRow]:
    """The rows that rank in the category, in its order (read from the index)."""
    return select(LiveScoreRow).where(*_ranks_in(competition_id, category_id)).order_by(*_ORDER)


def _ranks_in(competition_id: str, category_id: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions of the rows that rank in the category (`ix_live_scores_order`)."""
    return (
        LiveScoreRow.competition_id == competition_id,
        LiveScoreRow.category_id == category_id,
        LiveScoreRow.ranked.is_(True),
    )


def _log_end(s: Session) -> int:
    """The last change in the log, once every transaction writing to it has committed: on
    PostgreSQL a transaction may hold a lower sequence number than one that committed first, so
    the log is locked against writers until this transaction ends (SQLite has one writer at a
    time, and this transaction is it)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("LOCK TABLE live_changes IN EXCLUSIVE MODE"))
    return s.scalar(select(func.max(LiveChangeRow.seq))) or 0


def _changed_keys(s: Session, after: int, upto: int) -> set[str]:
    """The entry chains the log names after `after` (up to `upto`): written ones, those of the
    accounts that changed, and those the changed accounts replied to."""
    keys: set[str] = set()
    authors: set[str] = set()
    for key, author in s.execute(
        select(LiveChangeRow.key, LiveChangeRow.author_id).where(
            LiveChangeRow.seq > after, LiveChangeRow.seq <= upto
        )
    ):
        if key is not None:
            keys.add(key)
        if author is not None:
            authors.add(author)
    for chunk in _chunks(sorted(authors)):
        keys.update(s.scalars(select(TweetRow.key).where(TweetRow.author_id.in_(chunk))))
        keys.update(
            s.scalars(select(ReplyRow.conversation_key).where(ReplyRow.replier_id.in_(chunk)))
        )
    return keys


def _entry_keys(s: Session, cid: str, keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(keys)):
        found.update(
            s.scalars(
                select(CompetitionEntryRow.key).where(
                    CompetitionEntryRow.competition_id == cid, CompetitionEntryRow.key.in_(chunk)
                )
            )
        )
    return found


def _entries(s: Session, keys: Sequence[str]) -> list[Entry]:
    """The entries of `keys` as `Store.entries` reads them (latest version, author, repliers)."""
    out: list[Entry] = []
    for chunk in _chunks(keys):
        rows = s.execute(
            select(TweetRow, AuthorRow)
            .outerjoin(AuthorRow, AuthorRow.id == TweetRow.author_id)
            .where(TweetRow.key.in_(chunk))
        ).all()
        repliers = repliers_of(s, list(chunk))
        out.extend(entry_of(t, a, repliers.get(t.key, ())) for t, a in rows)
    return out


def _organiser_ids(s: Session, competition: Competition) -> frozenset[str]:
    """`organiser_ids` over every entry, read from the accounts of the entries' authors."""
    orgs = cached_handle_set(competition.organisers)
    if not orgs:
        return frozenset()
    found = s.execute(
        select(AuthorRow.id, AuthorRow.username)
        .join(TweetRow, TweetRow.author_id == AuthorRow.id)
        .join(CompetitionEntryRow, CompetitionEntryRow.key == TweetRow.key)
        .where(CompetitionEntryRow.competition_id == competition.id)
        .distinct()
    )
    return frozenset(i for i, name in found if normalise_handle(name) in orgs)


def _organisers_after(
    competition: Competition, before: set[str], entries: Sequence[Entry]
) -> set[str]:
    """The organiser ids once `entries` are as now: each of their authors is one exactly when
    its handle is an organiser's (every entry of an author has the same account)."""
    orgs = cached_handle_set(competition.organisers)
    after = set(before)
    for e in entries:
        if normalise_handle(e.author.username) in orgs:
            after.add(e.author.id)
        else:
            after.discard(e.author.id)
    return after


def _compute(
    competition: Competition,
    entries: Sequence[Entry],
    decisions: Decisions,
    org_ids: frozenset[str],
    bot_username: str | None,
) -> tuple[list[tuple[str, str, str, list[Exclusion]]], list[BoardRow]]:
    excluded: list[tuple[str, str, str, list[Exclusion]]] = []
    rows: list[BoardRow] = []
    for e in entries:
        facts = facts_of(competition, e, org_ids=org_ids, bot_username=bot_username)
        failed, mine = entry_rows(
            competition,
            facts,
            bot_username=bot_username,
            disqualified=decisions.disqualified,
            requalified=decisions.requalified,
            picks=decisions.picks,
        )
        if failed:
            excluded.append((facts.key, facts.post_id, facts.username, failed))
        rows.extend(mine)
    return excluded, rows


def _delete_rows(s: Session, cid: str, keys: Iterable[str] | None) -> None:
    for table in (LiveScoreRow, LiveExclusionRow):
        if keys is None:
            s.execute(delete(table).where(table.competition_id == cid))
            continue
        for chunk in _chunks(sorted(keys)):
            s.execute(delete(table).where(table.competition_id == cid, table.key.in_(chunk)))


def _insert_rows(
    s: Session,
    cid: str,
    excluded: Sequence[tuple[str, str, str, list[Exclusion]]],
    rows: Sequence[BoardRow],
) -> None:
    if excluded:
        bulk_insert(
            s,
            LiveExclusionRow,
            [
                {
                    "competition_id": cid,
                    "key": key,
                    "post_id": post_id,
                    "username": username,
                    "rules": [[x.rule, x.reason] for x in failed],
                }
                for key, post_id, username, failed in excluded
            ],
        )
    if rows:
        bulk_insert(s, LiveScoreRow, [_row_values(cid, r) for r in rows])


def _row_values(cid: str, r: BoardRow) -> dict[str, Any]:
    g0, g1 = r.group
    return {
        "competition_id": cid,
        "category_id": r.category_id,
        "key": r.key,
        "post_id": r.post_id,
        "author_id": r.author_id,
        "username": r.username,
        "created_at": r.created_at,
        "audience": r.audience,
        "score": r.score,
        "pick_rank": r.pick_rank,
        "rule": r.rule,
        "reason": r.reason,
        "tiebreak": r.tiebreak,
        "key_len": len(r.key),
        "g0": g0,
        "g1": g1,
        "ranked": r.rule is None,
    }


def _board_row(r: LiveScoreRow) -> BoardRow:
    return BoardRow(
        category_id=r.category_id,
        key=r.key,
        post_id=r.post_id,
        author_id=r.author_id,
        username=r.username,
        created_at=r.created_at,
        audience="community" if r.audience == "community" else "outside",
        score=r.score,
        pick_rank=r.pick_rank,
        rule=r.rule,
        reason=r.reason,
        tiebreak=r.tiebreak,
    )


def _score_rows(s: Session, cid: str, keys: Iterable[str]) -> list[BoardRow]:
    """The stored rows of `keys`, every category."""
    out: list[BoardRow] = []
    for chunk in _chunks(sorted(keys)):
        out.extend(
            _board_row(r)
            for r in s.scalars(
                select(LiveScoreRow).where(
                    LiveScoreRow.competition_id == cid, LiveScoreRow.key.in_(chunk)
                )
            )
        )
    return out


def _ranked_of_author(s: Session, cid: str, category: str, author: str) -> BoardRow | None:
    """The row of the author's that ranks in the category (one entry per author: its best)."""
    return _first_of_author(s, cid, category, author, LiveScoreRow.ranked.is_(True))


def _first_not_best(s: Session, cid: str, category: str, author: str) -> BoardRow | None:
    """The first of the author's "not-authors-best" rows in the category's order."""
    return _first_of_author(
        s,
        cid,
        category,
        author,
        LiveScoreRow.ranked.is_(False),
        LiveScoreRow.rule == NOT_AUTHORS_BEST,
    )


def _first_of_author(
    s: Session, cid: str, category: str, author: str, *conditions: Any
) -> BoardRow | None:
    """The author's first row in the category's order that meets `conditions`
    (`ix_live_scores_author`)."""
    found = s.scalars(
        select(LiveScoreRow)
        .where(
            LiveScoreRow.competition_id == cid,
            LiveScoreRow.category_id == category,
            LiveScoreRow.author_id == author,
            *conditions,
        )
        .order_by(*_ORDER)
        .limit(1)
    ).first()
    return _board_row(found) if found is not None else None


def _settle(
    s: Session,
    cid: str,
    keys: set[str],
    old_rows: Sequence[BoardRow],
    new_rows: Sequence[BoardRow],
) -> list[dict[str, Any]]:
    """One entry per author once the rows of `keys` changed (`old_rows` as they were, `new_rows`
    as just written, every candidate among them unranked by author yet): the row updates that
    leave each touched author's first candidate in the category's order ranked and the others
    "not-authors-best".

    Before, each author had its first candidate ranked and the others marked. Its untouched
    candidates did not change, so their first is the old best when that one is untouched; when
    the old best itself changed and did not move up, the first untouched candidate is the first
    marked row (one indexed read). The new best is the first of that and the touched candidates.
    """
    old_of: dict[tuple[str, str], list[BoardRow]] = {}
    new_of: dict[tuple[str, str], list[BoardRow]] = {}
    for r in old_rows:
        old_of.setdefault((r.category_id, r.author_id), []).append(r)
    for r in new_rows:
        new_of.setdefault((r.category_id, r.author_id), []).append(r)
    pairs = sorted(set(old_of) | set(new_of))
    ranked_now = _ranked_rows(s, cid, pairs)
    changes: list[dict[str, Any]] = []
    for pair in pairs:
        category, author = pair
        untouched = [r for r in ranked_now.get(pair, ()) if r.key not in keys]
        touched = [r for r in new_of.get(pair, ()) if r.is_candidate]
        pool = untouched + touched
        if not untouched:
            now_of = {r.key: r for r in touched}
            for was in (r for r in old_of.get(pair, ()) if r.rule is None):
                moved = now_of.get(was.key)
                if moved is None or moved.order > was.order:
                    first = _first_not_best(s, cid, category, author)
                    if first is not None:
                        pool.append(first)
                    break
        changes.extend(_best_changes(cid, category, pool))
    return changes


def _best_changes(cid: str, category: str, rows: Iterable[BoardRow]) -> list[dict[str, Any]]:
    """The updates that leave the first of an author's candidate `rows` ranked and mark the
    others "not-authors-best" (rows that are no candidates are left as they are)."""
    candidates = [r for r in rows if r.is_candidate]
    best = authors_best(candidates)
    return [
        {
            "competition_id": cid,
            "category_id": category,
            "key": r.key,
            "rule": rule,
            "reason": None,
            "ranked": rule is None,
        }
        for r in candidates
        if (rule := None if best is not None and r.key == best.key else NOT_AUTHORS_BEST) != r.rule
    ]


def _ranked_rows(
    s: Session, cid: str, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[BoardRow]]:
    """The ranked rows of each (category, author), in batches (`ix_live_scores_author`)."""
    out: dict[tuple[str, str], list[BoardRow]] = {}
    by_category: dict[str, list[str]] = {}
    for category, author in sorted(pairs):
        by_category.setdefault(category, []).append(author)
    for category, authors in by_category.items():
        for chunk in _chunks(authors):
            for r in s.scalars(
                select(LiveScoreRow).where(
                    LiveScoreRow.competition_id == cid,
                    LiveScoreRow.category_id == category,
                    LiveScoreRow.author_id.in_(chunk),
                    LiveScoreRow.ranked.is_(True),
                )
            ):
                out.setdefault((category, r.author_id), []).append(_board_row(r))
    return out


def _settle_category(s: Session, cid: str, category: str) -> None:
    """One entry per author over a whole category (a rebuild, every candidate unranked by
    author yet), an author at a time, in bounded memory."""
    q = (
        select(LiveScoreRow)
        .where(
            LiveScoreRow.competition_id == cid,
            LiveScoreRow.category_id == category,
            LiveScoreRow.rule.is_(None),
        )
        .order_by(LiveScoreRow.author_id)
        .execution_options(yield_per=2000)
    )
    batch: list[list[BoardRow]] = []
    current: list[BoardRow] = []
    for r in s.scalars(q):
        if current and current[0].author_id != r.author_id:
            batch.append(current)
            current = []
        current.append(_board_row(r))
        if len(batch) >= 1000:
            _set_best(s, cid, category, batch)
            batch = []
    batch.append(current)
    _set_best(s, cid, category, batch)


def _set_best(s: Session, cid: str, category: str, groups: Iterable[Sequence[BoardRow]]) -> None:
    changes = [c for rows in groups for c in _best_changes(cid, category, rows)]
    if changes:
        s.execute(update(LiveScoreRow), changes)


def _contributions(s: Session, cid: str, keys: Iterable[str]) -> Counter[str]:
    """What the rows of `keys` add to the counts: per category and rule, every exclusion in all,
    and the entries excluded anywhere."""
    out: Counter[str] = Counter()
    excluded: set[str] = set()
    for chunk in _chunks(sorted(keys)):
        for key, rules in s.execute(
            select(LiveExclusionRow.key, LiveExclusionRow.rules).where(
                LiveExclusionRow.competition_id == cid, LiveExclusionRow.key.in_(chunk)
            )
        ):
            excluded.add(key)
            for code, _ in rules:
                out["\t" + code] += 1
                out[EXCLUSIONS] += 1
        for key, category, rule in s.execute(
            select(LiveScoreRow.key, LiveScoreRow.category_id, LiveScoreRow.rule).where(
                LiveScoreRow.competition_id == cid,
                LiveScoreRow.key.in_(chunk),
                LiveScoreRow.rule.is_not(None),
            )
        ):
            excluded.add(key)
            out[f"{category}\t{rule}"] += 1
            out[EXCLUSIONS] += 1
    out[ENTRIES] += len(excluded)
    return out


def _count_all(s: Session, cid: str) -> dict[str, int]:
    out: Counter[str] = Counter()
    entries = 0
    for (rules,) in s.execute(
        select(LiveExclusionRow.rules)
        .where(LiveExclusionRow.competition_id == cid)
        .execution_options(yield_per=2000)
    ):
        entries += 1
        for code, _ in rules:
            out["\t" + code] += 1
            out[EXCLUSIONS] += 1
    for category, rule, n in s.execute(
        select(LiveScoreRow.category_id, LiveScoreRow.rule, func.count())
        .where(LiveScoreRow.competition_id == cid, LiveScoreRow.rule.is_not(None))
        .group_by(LiveScoreRow.category_id, LiveScoreRow.rule)
    ):
        out[f"{category}\t{rule}"] += n
        out[EXCLUSIONS] += n
    entries += (
        s.scalar(
            select(func.count(func.distinct(LiveScoreRow.key))).where(
                LiveScoreRow.competition_id == cid, LiveScoreRow.rule.is_not(None)
            )
        )
        or 0
    )
    out[ENTRIES] = entries
    return {k: v for k, v in out.items() if v}


def _prune(s: Session) -> None:
    """Forget the changes every competition's rows have taken in."""
    oldest = s.scalar(select(func.min(LiveStateRow.seq)).where(LiveStateRow.fingerprint != ""))
    if oldest is not None:
        s.execute(delete(LiveChangeRow).where(LiveChangeRow.seq <= oldest))
