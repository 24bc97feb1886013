"""Mentions, as stories against the real sandbox: a participant asks the bot for their rank and gets
one reply with their standing; a second question within the period gets nothing; a tweet that does
not mention the bot gets nothing; help and French work; the reply never echoes the user's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import ManualClock
from bot.core.mentions import MAX_AGE
from bot.polling.poller import MentionsReader, Poller
from bot.posting.responder import Responder, ResponderReport
from bot.store import Store
from tests.shell.postingkit import (  # close_stores: autouse
    client_for,
    close_stores,
    competition_toml,
    config_of,
    open_store,
    poster_for,
)

__all__ = ["close_stores"]

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(days=2)
POSTING = '\n[posting]\nlanguages = ["en", "fr"]\nmention_reply_period = "1h"\n'


class PolledResponder:
    """The daemon's order: the poller reads the bot's mentions once per cycle into the store
    (the bot's account as a reader, as while holding the posting lease), then the responder
    answers from the store, making no request of its own."""

    def __init__(self, poller: Poller, responder: Responder, config: Any, clock: ManualClock):
        self.poller, self.responder, self.config, self.clock = poller, responder, config, clock

    def poll(self) -> ResponderReport:
        reader = MentionsReader(
            self.responder.bot_user_id, self.clock.now() - MAX_AGE, "__posting__"
        )
        self.poller.ingest(self.config.competitions, readers=[reader])
        return self.responder.poll()


def setup(sandbox: Any, clock: ManualClock, db_url: str) -> tuple[Any, Any, Store]:
    world = sandbox.world
    for name, likes in (("alice", 9), ("bob", 4), ("carol", 1)):
        world.add_user(name)
        tid = world.post(name, f"Entry #Spring by {name}", at=START + timedelta(minutes=5))
        world.like(tid, likes)
    config = config_of(competition_toml("spring", START, END) + POSTING)
    store = open_store(db_url)
    clock.set(START + timedelta(hours=1))
    poller = Poller(client_for(sandbox), store, clock)
    poller.run_cycle(config.competitions)
    responder = Responder(
        client_for(sandbox),
        store,
        clock,
        config=config,
        bot_user_id=sandbox.bot_user_id,
        bot_username=sandbox.bot_username,
    )
    polled = PolledResponder(poller, responder, config, clock)
    return polled, poster_for(sandbox, store, clock, config), store


def replies(sandbox: Any) -> list[dict[str, Any]]:
    return [p for p in sandbox.posted if p["in_reply_to_tweet_id"]]


def test_a_participant_who_asks_for_their_rank_gets_one_reply_with_it(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    responder, poster, _ = setup(sandbox, clock, db_url)
    clock.advance(60)
    ask = sandbox.world.post("bob", "@contestbot rank please, my secret is hunter2")
    clock.advance(60)
    assert len(responder.poll().queued) == 1
    poster.run_due()
    [reply] = replies(sandbox)
    assert reply["in_reply_to_tweet_id"] == ask
    assert reply["text"].startswith("@bob Your standing in Spring photos")
    assert "#2 of 3 (4)" in reply["text"]
    assert "hunter2" not in reply["text"] and "please" not in reply["text"]
    # polling again and sending again add nothing
    responder.poll()
    poster.run_due()
    assert len(replies(sandbox)) == 1


def test_one_reply_per_user_per_period(sandbox: Any, clock: ManualClock, db_url: str) -> None:
    responder, poster, _ = setup(sandbox, clock, db_url)
    sandbox.world.post("alice", "@contestbot rank")
    clock.advance(60)
    responder.poll()
    poster.run_due()
    clock.advance(20 * 60)
    second = sandbox.world.post("alice", "@contestbot rank?")
    clock.advance(60)
    report = responder.poll()
    poster.run_due()
    assert report.queued == [] and report.ignored[second] == "already answered within the period"
    assert len(replies(sandbox)) == 1
    clock.advance(3600)  # the period is over
    third = sandbox.world.post("alice", "@contestbot rank")
    clock.advance(60)
    responder.poll()
    poster.run_due()
    assert [r["in_reply_to_tweet_id"] for r in replies(sandbox)][-1] == third
    assert len(replies(sandbox)) == 2
    assert "#1 of 3 (9)" in replies(sandbox)[-1]["text"]


def test_tweets_that_do_not_mention_the_bot_or_ask_nothing_get_no_reply(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    responder, poster, _ = setup(sandbox, clock, db_url)
    sandbox.world.post("alice", "rank of @bob is great")  # mentions bob, not the bot
    sandbox.world.post("carol", "what a contest")  # mentions nobody
    chat = sandbox.world.post("carol", "@contestbot thanks for organising")  # no command word
    clock.advance(60)
    report = responder.poll()
    poster.run_due()
    assert report.queued == [] and report.ignored == {chat: "no command word"}
    assert sandbox.posted == []


def test_help_and_french_commands(sandbox: Any, clock: ManualClock, db_url: str) -> None:
    responder, poster, _ = setup(sandbox, clock, db_url)
    sandbox.world.post("carol", "@contestbot help")
    sandbox.world.post("bob", "@contestbot classement")
    clock.advance(60)
    responder.poll()
    poster.run_due()
    texts = {r["text"].split()[0]: r["text"] for r in replies(sandbox)}
    assert "Mention me with “rank”" in texts["@carol"]
    assert texts["@bob"].startswith("@bob Votre classement dans Spring photos")
    assert "n°2 sur 3" in texts["@bob"]


def test_the_responder_reads_mentions_from_the_store_not_the_api(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    polled, _, _ = setup(sandbox, clock, db_url)
    for i in range(3):
        sandbox.world.post("carol", f"@contestbot rank {i}")
        clock.advance(60)
    before = sum(1 for r in sandbox.requests if r.endpoint == "mentions")
    polled.poller.ingest(
        polled.config.competitions,
        readers=[MentionsReader(sandbox.bot_user_id, clock.now() - MAX_AGE, "__posting__")],
    )
    read = sum(1 for r in sandbox.requests if r.endpoint == "mentions")
    assert read - before == 1  # the competitions listing the bot and the responder: one read
    report = polled.responder.poll()
    assert sum(1 for r in sandbox.requests if r.endpoint == "mentions") == read
    assert report.mentions == 3 and len(report.queued) == 1  # one reply per user per period
