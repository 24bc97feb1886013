"""Correct counting (issue 10), as stories on the real sandbox through tweepy and a real database
(SQLite, or PostgreSQL with --db postgresql): the announced winner is the real winner.

- a reply is credited to the post it replies to, not to everyone in the thread;
- repliers pass the entrant rules (or the category's own): too-new accounts, the bot, organisers
  and excluded accounts never count, and `explain` says why each dropped reply is out;
- commands to the bot ("@contestbot rank") are never entries, and the bot's own posts count for
  nothing, even with the bot among the tracked accounts;
- a category is never won with a score of 0: with no qualifying entry it says so everywhere;
- one prize per author is settled at the deadline, so the live board does not drop a leader early.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.core.composing import compose_leaderboard_update, compose_winners
from bot.core.explain import explain
from bot.core.mentions import compose_standing_reply, standing_of
from bot.core.models import Category, Competition, Eligibility
from bot.core.results import verify
from bot.freezer import freeze_if_due, live_standings
from bot.polling.poller import Poller
from bot.polling.replies import collect_replies
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient

AT_ONCE = timedelta(0)  # no final poll to wait for: both phases of the freeze in one call
BOT = "contestbot"  # the sandbox's own account


def contest(clock: ManualClock, *categories: Category, **kwargs: Any) -> Competition:
    values: dict[str, Any] = {
        "id": "spring",
        "title": "Spring contest",
        "hashtags": ("Spring",),
        "start": clock.now(),
        "end": clock.now() + timedelta(hours=6),
        "categories": categories,
        "organisers": ("orga",),
        "excluded_accounts": ("staff",),
    }
    values.update(kwargs)
    return Competition(**values)


def people(sandbox: Any, *names: str, **kwargs: Any) -> None:
    for name in names:
        sandbox.world.add_user(name, followers=50, **kwargs)


def scores(standings: Any, category: str) -> dict[str, float]:
    cs = next(c for c in standings.categories if c.category.id == category)
    return {r.username: r.score for r in cs.entries}


DISTINCT = Category("most-discussed", "replies", replies_mode="distinct")


def test_a_reply_counts_for_the_post_it_answers_not_for_the_whole_thread(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    people(sandbox, "bob", "alice", "carol", "dan", "erin", "frank")
    comp = contest(clock, DISTINCT, eligibility=Eligibility(allow_replies=True))
    clock.advance(minutes=1)
    # Bob asks; Alice answers in his thread with her own entry; Carol and Dan answer Bob;
    # Erin answers Alice; Frank answers Erin (a reply to a reply: nobody's comment on an entry).
    bob = world.post("bob", "What should the IGF discuss? #Spring", at=clock.advance(seconds=5))
    alice = world.reply("alice", bob, "Open standards! #Spring", at=clock.advance(seconds=5))
    world.reply("carol", bob, "Access", at=clock.advance(seconds=5))
    world.reply("dan", bob, "Privacy", at=clock.advance(seconds=5))
    erin = world.reply("erin", alice, "Agreed", at=clock.advance(seconds=5))
    world.reply("frank", erin, "Me too", at=clock.advance(seconds=5))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    collect_replies(comp, client=client, store=store, clock=clock)

    # Before: both entries share conversation_id=bob, so each got everyone in the thread.
    live = live_standings(store, comp, clock.now())
    assert scores(live, "most-discussed") == {"bob": 3.0, "alice": 1.0}  # alice, carol, dan; erin

    clock.set(comp.end + timedelta(minutes=1))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify(frozen.result).ok
    assert scores(frozen.result.standings, "most-discussed") == {"bob": 3.0, "alice": 1.0}
    facts = {f.username: f for f in frozen.result.inputs}
    assert sorted(r.username for r in facts["alice"].repliers) == ["erin"]


def test_repliers_pass_the_entrant_rules_and_explain_says_why_a_reply_is_out(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    people(sandbox, "bob", "carol", "orga", "staff")
    people(sandbox, "newbie", created_at=clock.now() - timedelta(days=2))
    comp = contest(clock, DISTINCT, eligibility=Eligibility(min_account_age_days=30))
    clock.advance(minutes=1)
    bob = world.post("bob", "Tulips #Spring", at=clock.advance(seconds=5))
    for who in ("carol", "newbie", "orga", "staff", BOT, "bob", "carol"):
        world.reply(who, bob, "nice", at=clock.advance(seconds=5))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    collect_replies(comp, client=client, store=store, clock=clock, bot_username=BOT)

    live = live_standings(store, comp, clock.now(), bot_username=BOT)
    assert scores(live, "most-discussed") == {"bob": 1.0}  # carol only
    answer = explain(comp, store.entries(comp.id), live, bob, bot_username=BOT)
    text = "\n".join(answer.lines)
    assert "repliers counted: 1 (@carol); 6 replies not counted:" in text
    assert "by @newbie: account-too-new: @newbie's account was created" in text
    assert "repliers need at least 30" in text
    assert "by @orga: organiser: @orga is an organiser" in text
    assert "by @staff: excluded-account" in text
    assert f"by @{BOT}: bot-account: @{BOT} is the bot itself" in text
    assert "by @bob: self-reply: @bob is the entry's author" in text
    assert "by @carol: repeat: @carol is counted once" in text

    # A category may declare its own replier rules: here any account counts.
    from bot.core.models import ReplierRules

    open_door = Category(
        "open-door", "replies", replies_mode="distinct", repliers=ReplierRules(0, 0)
    )
    both = replace(comp, categories=(DISTINCT, open_door))
    clock.set(both.end + timedelta(minutes=1))
    frozen = freeze_if_due(
        both, client=client, store=store, clock=clock, bot_username=BOT, settle=AT_ONCE
    )
    assert frozen is not None and verify(frozen.result).ok
    assert scores(frozen.result.standings, "open-door") == {"bob": 2.0}  # carol and newbie
    assert scores(frozen.result.standings, "most-discussed") == {"bob": 1.0}


def test_commands_to_the_bot_and_the_bots_own_posts_never_count(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    """The shipped config tracks the bot's mentions. A fan asks "@contestbot rank" (with the
    hashtag, and gets likes for it); the bot answers and posts a leaderboard update with the
    hashtag. Neither the question nor anything the bot posts is an entry; the bot's answer to a
    participant's question under their own entry is no comment on it."""
    world = sandbox.world
    people(sandbox, "fan", "poster", "friend")
    likes = Category("most-liked", "likes")
    comp = contest(clock, likes, DISTINCT, accounts=(BOT,))
    clock.advance(minutes=1)
    ask = world.post("fan", f"@{BOT} rank #Spring", at=clock.advance(seconds=5))
    world.like(ask, 40)
    world.reply(BOT, ask, "@fan Most liked: #1 of 2", at=clock.advance(seconds=5))
    board = world.post(BOT, "Leaderboard #Spring 1. @fan 40", at=clock.advance(seconds=5))
    world.like(board, 90)
    entry = world.post("poster", f"Thanks @{BOT}, lovely week #Spring", at=clock.advance(seconds=5))
    world.like(entry, 3)
    world.reply("friend", entry, "Indeed", at=clock.advance(seconds=5))
    question = world.reply("poster", entry, f"@{BOT} classement", at=clock.advance(seconds=5))
    world.reply(BOT, question, "@poster Most liked: n°1 sur 1", at=clock.advance(seconds=5))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    collect_replies(comp, client=client, store=store, clock=clock, bot_username=BOT)
    clock.set(comp.end + timedelta(minutes=1))
    frozen = freeze_if_due(
        comp, client=client, store=store, clock=clock, bot_username=BOT, settle=AT_ONCE
    )
    assert frozen is not None and verify(frozen.result).ok
    standings = frozen.result.standings
    assert scores(standings, "most-liked") == {"poster": 3.0}
    assert scores(standings, "most-discussed") == {"poster": 1.0}  # friend; not the bot
    rules = {(x.username, x.rule) for x in standings.exclusions if x.category is None}
    assert ("fan", "bot-command") in rules and (BOT, "bot-account") in rules
    assert not any(r.username == "fan" for cs in standings.categories for r in cs.entries)


def test_no_category_is_won_with_zero_and_every_output_says_so(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    people(sandbox, "alice", "bob")
    comments = Category("most-comments", "replies", title="Most comments")
    liked = Category("most-liked", "likes", title="Most liked")
    comp = contest(clock, liked, comments)
    clock.advance(minutes=1)
    alice = world.post("alice", "Tulips #Spring", at=clock.advance(seconds=5))
    world.post("bob", "Daffodils #Spring", at=clock.advance(seconds=5))
    world.like(alice, 2)
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    live = live_standings(store, comp, clock.now())
    update = compose_leaderboard_update(comp, live, 3, "en").parts[0]
    assert "no entry reached the minimum score (1)" in update

    clock.set(comp.end + timedelta(minutes=1))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify(frozen.result).ok
    cats = {cs.category.id: cs for cs in frozen.result.standings.categories}
    assert cats["most-liked"].winners == (alice,)  # bob's 0 likes do not rank at all
    assert cats["most-comments"].winners == () and cats["most-comments"].no_qualifying_entry
    post = "\n".join(compose_winners(comp, frozen.result.standings, frozen.digest, "en").parts)
    assert "Most comments: no entry reached the minimum score (1)" in post
    fr = "\n".join(compose_winners(comp, frozen.result.standings, frozen.digest, "fr").parts)
    assert "aucune participation n'a atteint le score minimum (1)" in fr


def test_the_rank_reply_says_why_an_entry_does_not_rank(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    world = sandbox.world
    people(sandbox, "alice", "fresh")
    sandbox.world.add_user("newcomer", followers=50, created_at=clock.now() - timedelta(days=1))
    comp = contest(
        clock, Category("most-liked", "likes"), eligibility=Eligibility(min_account_age_days=7)
    )
    clock.advance(minutes=1)
    world.like(world.post("alice", "Tulips #Spring", at=clock.advance(seconds=5)), 4)
    world.like(world.post("newcomer", "Crocus #Spring", at=clock.advance(seconds=5)), 9)
    world.post("fresh", "Lilies #Spring", at=clock.advance(seconds=5))  # no like yet
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    live = live_standings(store, comp, clock.now())

    def reply(user: str, lang: str = "en") -> str:
        return compose_standing_reply(user, standing_of(user, live), lang, comp)

    assert "#1 of 1" in reply("alice")
    assert "not ranked: account too new" in reply("newcomer")
    assert "non classé : compte trop récent" in reply("newcomer", "fr")
    assert "not ranked: not enough engagement yet" in reply("fresh")
    assert "no eligible entry yet" in reply("nobody")


def test_one_prize_per_author_is_settled_at_the_deadline(
    sandbox: Any, clock: ManualClock, poller: Poller, client: TweepyXClient, store: Store
) -> None:
    """Before the deadline the star leads both categories, and nothing is settled: the live board
    ranks them in both (a jury could pick them). At the freeze, declared order decides."""
    world = sandbox.world
    people(sandbox, "star", "runner", "orga")
    comp = contest(
        clock,
        Category("most-liked", "likes"),
        Category("most-comments", "replies"),
        eligibility=Eligibility(one_prize_per_author=True),
    )
    clock.advance(minutes=1)
    star = world.post("star", "Tulips #Spring", at=clock.advance(seconds=5))
    runner = world.post("runner", "Daffodils #Spring", at=clock.advance(seconds=5))
    world.like(star, 50)
    world.like(runner, 1)
    for i in range(3):
        world.reply("orga", star, f"wow {i}", at=clock.advance(seconds=5))
    world.reply("orga", runner, "ok", at=clock.advance(seconds=5))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    live = live_standings(store, comp, clock.now())
    assert live.prizes_pending
    assert {cs.category.id: cs.winners for cs in live.categories} == {
        "most-liked": (star,),
        "most-comments": (star,),
    }
    clock.set(comp.end + timedelta(minutes=1))
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, settle=AT_ONCE)
    assert frozen is not None and verify(frozen.result).ok
    assert {cs.category.id: cs.winners for cs in frozen.result.standings.categories} == {
        "most-liked": (star,),
        "most-comments": (runner,),
    }
