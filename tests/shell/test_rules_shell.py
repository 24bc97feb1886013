"""The rules' shell against the real sandbox through tweepy and a real database (db_url: SQLite, or
PostgreSQL with --db postgresql): the deadline freeze, its delay, deletions before and after it,
jury picks and decisions after it, distinct repliers, verification and tampering."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.core.models import Category, Competition
from bot.core.results import canonical_json, digest
from bot.core.revisions import Decision
from bot.core.scoring import JuryPick
from bot.freezer import (
    NotFrozen,
    freeze_if_due,
    live_standings,
    recheck_before_announcement,
    reissue,
    verify_stored,
)
from bot.polling.poller import Poller
from bot.polling.replies import collect_replies
from bot.store import Store
from bot.store.rules import RulesStore
from bot.x.tweepy_client import TweepyXClient

HOURS = 6
AT_ONCE = timedelta(0)  # no final poll to wait for: both phases of the freeze in one call


def competition(clock: ManualClock, *categories: Category, **kwargs: Any) -> Competition:
    values: dict[str, Any] = {
        "id": "spring",
        "title": "Spring photo contest",
        "hashtags": ("Spring",),
        "start": clock.now(),
        "end": clock.now() + timedelta(hours=HOURS),
        "categories": categories or (Category(id="most-liked", kind="likes", winners=1),),
        "organisers": ("orga",),
    }
    values.update(kwargs)
    return Competition(**values)


def users(sandbox: Any, *names: str) -> None:
    for name in names:
        sandbox.world.add_user(name, followers=50)


def winners(store: Store, comp: Competition, clock: ManualClock) -> dict[str, tuple[str, ...]]:
    standings = live_standings(store, comp, clock.now())
    return {cs.category.id: cs.winners for cs in standings.categories}


def test_likes_after_the_deadline_never_change_the_frozen_standings(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    users(sandbox, "alice", "bob")
    comp = competition(clock, late_grace=timedelta(minutes=2))  # a short late-posts grace
    clock.advance(minutes=5)
    a = world.post("alice", "tulips #Spring")
    b = world.post("bob", "daffodils #Spring")
    world.like(a, 5)
    world.like(b, 3)
    clock.advance(minutes=5)
    poller.run_cycle([comp])
    assert freeze_if_due(comp, client=client, store=store, clock=clock) is None  # not ended
    assert RulesStore(store).final_snapshot(comp.id) is None

    clock.set(comp.end)
    # Phase one: the final snapshot at the end; the standings wait for the final poll.
    assert freeze_if_due(comp, client=client, store=store, clock=clock) is None
    final = RulesStore(store).final_snapshot(comp.id)
    assert final is not None and (final.taken_at, final.delay_seconds) == (comp.end, 0)
    assert final.reason == "on-time" and final.entries == 2
    world.like(b, 10)  # after the deadline, before the standings freeze
    clock.advance(minutes=2, seconds=5)
    poller.run_cycle([comp])  # the final poll reads b's 13 likes (search and refresh)
    assert {e.key: e.post.metrics.likes for e in store.entries(comp.id)}[b] == 13
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock)
    assert frozen is not None and frozen.version == 1
    assert frozen.result.freeze_delay_seconds == 0 and frozen.result.frozen_at == comp.end
    assert frozen.result.freeze_delay_reason == "on-time"
    assert {f.key: f.metrics.likes for f in frozen.result.inputs} == {a: 5, b: 3}
    assert {f.metrics_at for f in frozen.result.inputs} == {comp.end}
    assert winners(store, comp, clock) == {"most-liked": (a,)}

    world.like(b, 10)
    clock.advance(minutes=5)
    poller.run_cycle([comp])
    after = live_standings(store, comp, clock.now())
    assert [r.key for r in after.categories[0].entries] == [a, b]
    assert [r.score for r in after.categories[0].entries] == [5.0, 3.0]
    assert freeze_if_due(comp, client=client, store=store, clock=clock) is None
    again = RulesStore(store).save_frozen(frozen.result, created_at=clock.now())
    assert again == frozen  # written once: a second freeze returns the stored one
    assert verify_stored(comp.id, store=store).ok


def test_a_bot_down_at_the_deadline_freezes_late_and_records_the_delay(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice")
    comp = competition(clock)
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "tulips #Spring")
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    sandbox.world.like(a, 4)
    clock.set(comp.end + timedelta(hours=2, seconds=7, microseconds=500))
    stored = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert stored is not None
    result = stored.result
    assert result.deadline == comp.end
    assert result.frozen_at == comp.end + timedelta(hours=2, seconds=7)
    assert result.freeze_delay_seconds == 2 * 3600 + 7
    assert result.freeze_delay_reason == "bot-not-running"
    assert result.inputs[0].metrics.likes == 4  # the snapshot is the late one, and says so
    assert result.inputs[0].metrics_at == result.frozen_at


def test_an_entry_deleted_before_the_freeze_is_out(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice", "bob")
    comp = competition(clock)
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "tulips #Spring")
    b = sandbox.world.post("bob", "daffodils #Spring")
    sandbox.world.like(a, 9)
    sandbox.world.like(b, 1)  # a category is never won with 0: bob needs a like to win
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    sandbox.world.delete(a)  # after the last poll, before the deadline: the freeze sees it
    clock.set(comp.end)
    stored = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert stored is not None
    standings = stored.result.standings
    assert standings.categories[0].winners == (b,)
    assert [(x.key, x.rule) for x in standings.exclusions] == [(a, "deleted")]


def test_a_winner_deleted_after_the_freeze_is_replaced_at_the_recheck(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice", "bob", "carol")
    comp = competition(clock, Category(id="most-liked", kind="likes", winners=2))
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "tulips #Spring")
    b = sandbox.world.post("bob", "daffodils #Spring")
    c = sandbox.world.post("carol", "crocus #Spring")
    for tid, likes in ((a, 9), (b, 7), (c, 2)):
        sandbox.world.like(tid, likes)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.set(comp.end)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and frozen.result.standings.categories[0].winners == (a, b)

    sandbox.world.delete(a)
    clock.advance(hours=1)
    check = recheck_before_announcement(comp.id, client=client, store=store, clock=clock)
    assert [(r.removed_key, r.replacement_key) for r in check.replacements] == [(a, c)]
    assert "deleted since the freeze" in check.replacements[0].reason
    assert check.result.version == 2 and check.result.cause == "recheck"
    assert check.result.previous_digest == frozen.digest
    assert winners(store, comp, clock) == {"most-liked": (b, c)}
    rules = RulesStore(store)
    assert [len(c.replacements) for c in rules.checks(comp.id)] == [1]
    assert verify_stored(comp.id, store=store).ok

    # Nothing changed since: a second check records itself but issues no new version.
    again = recheck_before_announcement(comp.id, client=client, store=store, clock=clock)
    assert again.replacements == () and again.result.version == 2
    assert [h.version for h in rules.history(comp.id)] == [1, 2]


def test_jury_picks_after_the_freeze_re_issue_the_result_keeping_the_first_digest(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice", "bob")
    jury = Category(id="best-question", kind="jury", questions_only=True, shortlist=5)
    comp = competition(clock, Category(id="most-liked", kind="likes"), jury)
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "What should the IGF fix first? #Spring")
    b = sandbox.world.post("bob", "How do we reach people outside? #Spring")
    sandbox.world.like(a, 3)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.set(comp.end)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None
    assert frozen.result.standings.categories[1].awaiting_jury

    clock.advance(hours=3)
    rules = RulesStore(store)
    pick = JuryPick("best-question", b, 1, "Ana", clock.now(), "reaches newcomers")
    assert rules.add_pick(comp.id, pick) and not rules.add_pick(comp.id, pick)
    revised = reissue(comp.id, store=store, clock=clock, cause="jury")
    assert revised is not None and revised.version == 2
    assert revised.previous_digest == frozen.digest != revised.digest
    assert winners(store, comp, clock) == {"most-liked": (a,), "best-question": (b,)}
    assert reissue(comp.id, store=store, clock=clock, cause="jury") == revised  # no change
    verification = verify_stored(comp.id, store=store)
    assert verification.ok and [v.version for v in verification.versions] == [1, 2]


def test_disqualify_and_requalify_are_audit_logged_and_rank_live(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    sandbox.world.add_user("alice", followers=50)
    sandbox.world.add_user("newbie", followers=1)
    comp = competition(clock)
    comp = Competition(**{**comp.__dict__, "eligibility": type(comp.eligibility)(min_followers=10)})
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "tulips #Spring")
    n = sandbox.world.post("newbie", "my first post #Spring")
    sandbox.world.like(a, 2)
    sandbox.world.like(n, 8)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    rules = RulesStore(store)
    assert winners(store, comp, clock) == {"most-liked": (a,)}  # newbie: too few followers

    lift = Decision(comp.id, n, "requalify", "known member, new account", "Ana", clock.now())
    assert rules.record_decision(lift)
    assert not rules.record_decision(lift)  # the same decision again adds nothing
    assert winners(store, comp, clock) == {"most-liked": (n,)}
    clock.advance(minutes=1)
    rules.record_decision(Decision(comp.id, n, "disqualify", "bought likes", "Bo", clock.now()))
    standings = live_standings(store, comp, clock.now())
    assert standings.categories[0].winners == (a,)
    assert {(x.key, x.rule) for x in standings.exclusions} == {
        (n, "too-few-followers"),
        (n, "disqualified"),
    }
    log = rules.decisions(comp.id)
    assert [(d.action, d.by) for d in log] == [("requalify", "Ana"), ("disqualify", "Bo")]
    assert rules.decision_state(comp.id) == ({n: "bought likes"}, ())


def test_verify_detects_a_tampered_snapshot_row_and_a_tampered_result(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice", "bob")
    comp = competition(clock)
    clock.advance(minutes=1)
    a = sandbox.world.post("alice", "tulips #Spring")
    b = sandbox.world.post("bob", "daffodils #Spring")
    sandbox.world.like(a, 5)
    sandbox.world.like(b, 4)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    clock.set(comp.end)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify_stored(comp.id, store=store).ok
    assert frozen.digest == digest(frozen.result)
    assert frozen.canonical.encode() == canonical_json(frozen.result)

    with store.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE metric_snapshots SET likes = 50 WHERE key = :k AND taken_at = "
                "(SELECT max(taken_at) FROM metric_snapshots WHERE key = :k)"
            ),
            {"k": b},
        )
    bad = verify_stored(comp.id, store=store)
    assert not bad.ok
    assert any(f"metrics of entry {b}" in p for p in bad.versions[0].problems)

    with store.engine.begin() as conn:
        conn.execute(text("UPDATE metric_snapshots SET likes = 4 WHERE key = :k"), {"k": b})
        conn.execute(
            text("UPDATE frozen_results SET canonical = replace(canonical, :old, :new)"),
            {"old": '"likes":4,', "new": '"likes":40,'},
        )
    tampered = verify_stored(comp.id, store=store)
    assert not tampered.ok
    problems = " ".join(tampered.versions[0].problems)
    assert "was changed after it was written" in problems
    assert "recomputed" in problems  # the standings no longer follow from the inputs


def test_distinct_repliers_count_other_accounts_until_the_deadline_only(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    users(sandbox, "alice", "bob", "farmer", "orga", "x1", "x2", "x3")
    comp = competition(
        clock, Category(id="most-discussed", kind="replies", replies_mode="distinct")
    )
    clock.advance(minutes=1)
    a = world.post("alice", "tulips #Spring")
    farm = world.post("farmer", "reply to me! #Spring")
    clock.advance(minutes=1)
    for i in range(12):  # a self-reply farm: a high reply count, no distinct replier
        world.reply("farmer", farm, f"me again {i}", at=clock.advance(seconds=5))
    world.reply("x1", farm, "nice", at=clock.advance(seconds=5))
    for user in ("x1", "x2", "x1", "orga", "alice"):
        world.reply(user, a, "lovely", at=clock.advance(seconds=5))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    report = collect_replies(comp, client=client, store=store, clock=clock)
    assert report.conversations == 2 and report.new_replies == 18
    clock.set(comp.end - timedelta(minutes=1))
    late = world.reply("x3", a, "late", at=comp.end + timedelta(seconds=1))
    clock.set(comp.end + timedelta(minutes=1))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and late
    ranked = frozen.result.standings.categories[0].entries
    assert [(r.key, r.score) for r in ranked] == [(a, 2.0), (farm, 1.0)]
    entries = {e.key: e for e in store.entries(comp.id)}
    assert entries[farm].post.metrics.replies == 13  # what a reported count would have ranked
    assert "x3" not in {r.username for r in entries[a].repliers}


def test_the_freeze_follows_an_edit_to_the_newest_version(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    users(sandbox, "alice")
    comp = competition(clock)
    clock.advance(minutes=1)
    first = sandbox.world.post("alice", "tulips #Spring")
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    newest = sandbox.world.edit(first, "tulips, no tag any more", at=clock.advance(minutes=1))
    sandbox.world.like(newest, 6)
    clock.set(comp.end)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None
    (facts,) = frozen.result.inputs
    assert (facts.key, facts.post_id, facts.metrics.likes) == (first, newest, 6)
    assert [x.rule for x in frozen.result.standings.exclusions] == ["no-tracked-tag"]


def test_verify_and_recheck_need_a_frozen_result(store: Store, clock: ManualClock) -> None:
    with pytest.raises(NotFrozen, match="not frozen yet"):
        verify_stored("spring", store=store)
    assert reissue("spring", store=store, clock=clock, cause="jury") is None
