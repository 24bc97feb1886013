"""What scripts/crash_test.py compares between the crashed run and the undisturbed reference run:
the tally of lost, doubled and missing records per kind, each cell defined below. Entries of the
two runs are matched by author and creation time, since the two sandboxes mint different ids.

- tweets: lost = reference entries with no crashed counterpart; doubled = tweet ids stored in
  more than one row (an edit chain under two keys); missing = hashtag posts of the crashed
  sandbox's truth (first versions, not deleted, not the bot's own) not stored.
- snapshots: lost = (key, taken_at) rows seen in the crashed database right after some kill and
  gone at the end, plus reference result entries that have their freeze snapshot (at the freeze,
  or at their metrics time when late-indexed) whose crashed counterpart lacks its own; doubled =
  (key, taken_at) pairs stored more than once; missing = entries of the crashed run's frozen
  result without the snapshot their frozen metrics come from. Refresh moments between the two
  runs are not compared: kills delay cycles, so their timing legitimately differs.
- cursors: lost = reference (competition, stream kind, since_id) positions the crashed run does
  not end on; doubled = more than one row per (competition, stream), plus streams of a kind
  beyond the reference's count; missing = cursors left half-paged (a next token still set).
- results: lost / doubled = standings rows (category, rank, user, score) only in the reference /
  only in the crashed run, plus result versions beyond the reference's; missing = no freeze.
- posts: lost = texts the reference sandbox received that the crashed one did not (result
  digests masked); doubled = texts the crashed sandbox received more than once; missing =
  reference outbox keys that the crashed outbox does not hold as sent with the same number of
  parts, every posted id of which the crashed sandbox received.

A last column, checked, counts the reference records each row was compared against (tweets:
reference entries; snapshots: rows seen after kills plus reference freeze snapshots; cursors:
reference cursor rows; results: reference standings rows; posts: reference posts sent).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.sandbox import Sandbox
from bot.store import Store
from bot.store.audit import StoreAudit
from bot.store.outbox import OutboxStore
from bot.store.rules import RulesStore

COMPETITION = "crashcup"
HASHTAG = "CrashCup"
KINDS = ("tweets", "snapshots", "cursors", "results", "posts")


@dataclass
class Tally:
    lost: Counter[str] = field(default_factory=Counter)
    doubled: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)
    checked: Counter[str] = field(default_factory=Counter)  # reference records compared

    @property
    def clean(self) -> bool:
        return not (+self.lost or +self.doubled or +self.missing)


def compare(
    ref_url: str,
    crash_url: str,
    crashed: Sandbox,
    reference: Sandbox,
    committed: set[tuple[str, datetime]],
) -> Tally:
    t = Tally()
    ref, got = Store(ref_url), Store(crash_url)
    try:
        _compare_tweets(t, ref, got, reference, crashed)
        _compare_snapshots(t, ref, got, reference, crashed, committed)
        _compare_cursors(t, ref, got)
        _compare_results(t, ref, got)
        _compare_posts(t, ref, got, reference, crashed)
    finally:
        ref.close()
        got.close()
    return t


def _compare_tweets(t: Tally, ref: Store, got: Store, reference: Sandbox, crashed: Sandbox) -> None:
    # The bot's own posts carry the hashtag and are stored too; they are compared as posts.
    ref_keys = set(_entrants(ref, reference).values())
    got_entrants = _entrants(got, crashed)
    t.checked["tweets"] = len(ref_keys)
    t.lost["tweets"] = len(ref_keys - set(got_entrants.values()))
    world = crashed.world
    truth = {
        str(n)
        for n in world.order
        if f"#{HASHTAG}".lower() in world.tweets[n].full_text.lower()
        and world.tweets[n].chain[0] == world.tweets[n].id
        and not world.tweets[n].deleted
        and world.tweets[n].author_id != crashed.bot_user_id
    }
    t.missing["tweets"] = len(truth - set(got_entrants))
    seen: Counter[str] = Counter(i for h in StoreAudit(got).edit_histories() for i in h)
    t.doubled["tweets"] = sum(1 for n in seen.values() if n > 1)


def _freeze_moments(store: Store, w: Sandbox) -> dict[tuple[str, str], bool]:
    """Per frozen-result entry (matched by author and creation time): whether the store holds
    the snapshot its frozen metrics come from (within a second)."""
    stored = RulesStore(store).frozen(COMPETITION)
    if stored is None:
        return {}
    result = stored.result
    entrants = _entrants(store, w)
    moments = set(StoreAudit(store).snapshot_moments())
    out: dict[tuple[str, str], bool] = {}
    for f in result.inputs:
        if f.status == "deleted" or f.key not in entrants:
            continue
        at = f.metrics_at if result.is_late_indexed(f) else result.frozen_at
        out[entrants[f.key]] = at is not None and any(
            k == f.key and abs((taken - at).total_seconds()) < 1 for k, taken in moments
        )
    return out


def _compare_snapshots(
    t: Tally,
    ref: Store,
    got: Store,
    reference: Sandbox,
    crashed: Sandbox,
    committed: set[tuple[str, datetime]],
) -> None:
    rows = StoreAudit(got).snapshot_moments()
    final = set(rows)
    t.doubled["snapshots"] = len(rows) - len(final)
    ref_frozen = _freeze_moments(ref, reference)
    got_frozen = _freeze_moments(got, crashed)
    t.checked["snapshots"] = len(committed) + len(ref_frozen)
    t.lost["snapshots"] = len(committed - final) + sum(
        1 for who, has in ref_frozen.items() if has and not got_frozen.get(who, False)
    )
    t.missing["snapshots"] = sum(1 for has in got_frozen.values() if not has)


def _compare_cursors(t: Tally, ref: Store, got: Store) -> None:
    def kind(stream: str) -> str:
        return stream.split(":")[0]  # "mentions:<bot id>": the two sandboxes' ids differ

    ref_rows, got_rows = StoreAudit(ref).cursor_rows(), StoreAudit(got).cursor_rows()
    ref_pos = {(c, kind(st), cur.since_id) for c, st, cur in ref_rows}
    got_pos = {(c, kind(st), cur.since_id) for c, st, cur in got_rows}
    t.checked["cursors"] = len(ref_rows)
    t.lost["cursors"] = len(ref_pos - got_pos)
    per_stream = Counter((c, st) for c, st, _ in got_rows)
    ref_kinds = Counter((c, kind(st)) for c, st, _ in ref_rows)
    got_kinds = Counter((c, kind(st)) for c, st, _ in got_rows)
    t.doubled["cursors"] = sum(n - 1 for n in per_stream.values() if n > 1) + sum(
        (got_kinds - ref_kinds).values()
    )
    t.missing["cursors"] = sum(1 for _, _, cur in got_rows if cur.pending_next_token is not None)


def _compare_results(t: Tally, ref: Store, got: Store) -> None:
    ref_history, got_history = (
        RulesStore(ref).history(COMPETITION),
        RulesStore(got).history(COMPETITION),
    )
    if not got_history:
        t.missing["results"] = 1
        return

    def rows(r: Any) -> set[tuple[str, int, str, float]]:
        return {
            (c.category.id, e.rank, e.username, e.score)
            for c in r.result.standings.categories
            for e in c.entries
        }

    t.checked["results"] = len(rows(ref_history[0]))
    t.lost["results"] = len(rows(ref_history[0]) - rows(got_history[0]))
    t.doubled["results"] = len(rows(got_history[0]) - rows(ref_history[0]))
    t.doubled["results"] += max(0, len(got_history) - len(ref_history))


def _compare_posts(t: Tally, ref: Store, got: Store, reference: Sandbox, crashed: Sandbox) -> None:
    ref_texts = Counter(_normalised(p["text"]) for p in reference.posted)
    received = crashed.posted
    got_texts = Counter(_normalised(p["text"]) for p in received)
    t.lost["posts"] = sum((ref_texts - got_texts).values())
    t.doubled["posts"] = sum(n - 1 for n in Counter(p["text"] for p in received).values() if n > 1)
    received_ids = {str(p["id"]) for p in received}
    got_posts: dict[str, list[Any]] = {}
    for e in OutboxStore(got).entries():
        got_posts.setdefault(e.post.key, []).append(e.post)
    ref_sent = OutboxStore(ref).entries(states=("sent",))
    t.checked["posts"] = len(ref_sent)
    for e in ref_sent:
        mine = got_posts.get(e.post.key, [])
        ok = (
            len(mine) == 1
            and mine[0].state == "sent"
            and len(mine[0].parts) == len(e.post.parts) == len(mine[0].posted_ids)
            and set(mine[0].posted_ids) <= received_ids
        )
        t.missing["posts"] += 0 if ok else 1


def _normalised(text: str) -> str:
    return re.sub(r"[0-9a-f]{12,64}", "<digest>", text)


def _entrants(store: Store, w: Sandbox) -> dict[str, tuple[str, str]]:
    """Entry key -> (author, creation time of the first version), the bot's own posts left out
    (they carry the hashtag too; they are compared as posts)."""
    bot = w.bot_user_id
    return {
        e.key: (e.author.username, w.world.get(e.key).created_at.isoformat())  # type: ignore[union-attr]
        for e in store.entries(COMPETITION)
        if e.post.author_id != bot
    }
