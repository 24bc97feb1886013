"""Recent search through a real tweepy Client: query evaluation, newest-first paging with
`Paginator`, the 7-day window, edits, deletions, retweets and late indexing."""

from __future__ import annotations

from datetime import timedelta

import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox


def _entries(sandbox: Sandbox, clock: ManualClock, n: int, tag: str = "#IGFcontest") -> list[str]:
    w = sandbox.world
    if w.find_user("alice") is None:
        w.add_user("alice")
    ids = []
    for i in range(n):
        ids.append(w.post("alice", f"entry {i} {tag}"))
        clock.advance(2)
    return ids


def test_search_pages_newest_first_with_paginator(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    ids = _entries(sandbox, clock, 25)
    sandbox.world.post("alice", "unrelated")
    clock.advance(30)
    first = client.search_recent_tweets("#igfcontest", max_results=10)
    assert [t.id for t in first.data] == [int(i) for i in reversed(ids[-10:])]
    assert list(first.meta) == ["newest_id", "oldest_id", "result_count", "next_token"]
    pages = list(tweepy.Paginator(client.search_recent_tweets, "#IGFcontest", max_results=10))
    assert [p.meta["result_count"] for p in pages] == [10, 10, 5]
    assert "next_token" not in pages[-1].meta
    flat = [t.id for p in pages for t in p.data]
    assert flat == [int(i) for i in reversed(ids)]
    assert len(sandbox.requests) == 4 and sandbox.requests[-1].query["next_token"]


def test_search_empty_page_is_meta_result_count_zero(raw_client: tweepy.Client) -> None:
    resp = raw_client.search_recent_tweets("#nothing")
    assert resp.json() == {"meta": {"result_count": 0}}


def test_search_query_operators(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    w.add_user("bob")
    root = w.post("alice", "Entry #IGFcontest")
    fr = w.post("bob", "Mon idée #IGFcontest", lang="fr")
    reply = w.reply("bob", root, "great #IGFcontest")
    w.retweet("bob", root)
    clock.advance(60)

    def ids(q: str) -> list[int]:
        r = client.search_recent_tweets(q)
        return [t.id for t in r.data or []]

    assert ids("#IGFcontest -is:retweet lang:en") == [int(reply), int(root)]
    assert ids("#IGFcontest lang:fr") == [int(fr)]
    assert ids(f"conversation_id:{root} is:reply") == [int(reply)]
    assert ids("from:bob -is:reply") == [int(fr)]
    assert ids("(idee OR entry) -from:bob") == [int(root)]


def test_search_unsupported_operator_is_a_400_naming_it(client: tweepy.Client) -> None:
    try:
        client.search_recent_tweets("#IGFcontest min_faves:10")
    except tweepy.BadRequest as exc:
        body = exc.response.json()
        assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
        assert "min_faves" in body["errors"][0]["message"]
        assert body["errors"][0]["parameters"] == {"query": ["#IGFcontest min_faves:10"]}
    else:
        raise AssertionError("an unsupported operator must not match everything")


def test_search_returns_latest_edit_and_hides_deleted(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    old = w.post("alice", "v1 #Tag")
    gone = w.post("alice", "bye #Tag")
    clock.advance(60)
    new = w.edit(old, "v2 #Tag")
    w.delete(gone)
    clock.advance(60)
    r = client.search_recent_tweets("#Tag")
    assert [t.id for t in r.data] == [int(new)]
    assert r.data[0].edit_history_tweet_ids == [int(old), int(new)]


def test_late_indexing_shows_a_tweet_after_newer_ones(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    late = w.post("alice", "late #Tag", index_delay=120)
    clock.advance(5)
    early = w.post("alice", "early #Tag")
    clock.advance(10)
    first = client.search_recent_tweets("#Tag")
    assert [t.id for t in first.data] == [int(early)]
    clock.advance(120)
    # A since_id cursor taken from the first answer misses the late tweet: that is the point.
    after = client.search_recent_tweets("#Tag", since_id=first.meta["newest_id"])
    assert after.data is None
    everything = client.search_recent_tweets("#Tag")
    assert [t.id for t in everything.data] == [int(early), int(late)]
    sandbox.late_indexing(600)  # the global switch
    assert client.search_recent_tweets("#Tag").data is None


def test_search_time_window_and_ids(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    ids = _entries(sandbox, clock, 6)
    start = sandbox.world.get(ids[2]).created_at  # type: ignore[union-attr]
    end = sandbox.world.get(ids[4]).created_at  # type: ignore[union-attr]
    clock.advance(60)
    r = client.search_recent_tweets("#IGFcontest", start_time=start, end_time=end)
    assert [t.id for t in r.data] == [int(ids[3]), int(ids[2])]
    r = client.search_recent_tweets("#IGFcontest", since_id=ids[3], until_id=ids[5])
    assert [t.id for t in r.data] == [int(ids[4])]
    # legacy rule: since_id wins over start_time
    r = client.search_recent_tweets("#IGFcontest", since_id=ids[4], start_time=start)
    assert [t.id for t in r.data] == [int(ids[5])]


def test_protected_authors_are_not_searchable(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    w.post("alice", "entry #Tag")
    clock.advance(60)
    assert client.search_recent_tweets("#Tag").meta["result_count"] == 1
    w.set_protected("alice")
    assert client.search_recent_tweets("#Tag").meta["result_count"] == 0


def test_long_post_hashtag_after_280_is_found_and_in_note_tweet(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    text = "lorem ipsum " * 30 + "#Hidden"
    tid = w.post("alice", text)
    clock.advance(timedelta(minutes=1).total_seconds())
    r = client.search_recent_tweets("#Hidden", tweet_fields=["note_tweet", "entities"])
    assert [t.id for t in r.data] == [int(tid)]
    assert "#Hidden" not in r.data[0].text
    assert r.data[0].note_tweet["entities"]["hashtags"][0]["tag"] == "Hidden"


def test_late_indexing_delays_mentions_too(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    """Mentions come from the search index: a late-indexed mention shows up after newer ones,
    while a lookup by id finds it at once."""
    w = sandbox.world
    w.add_user("alice")
    late = w.post("alice", "@contestbot my entry", index_delay=60)
    clock.advance(5)
    early = w.post("alice", "@contestbot hello")
    clock.advance(5)
    first = client.get_users_mentions(sandbox.bot_user_id)
    assert [t.id for t in first.data] == [int(early)]
    assert client.get_tweet(late).data.id == int(late)
    clock.advance(60)
    assert [t.id for t in client.get_users_mentions(sandbox.bot_user_id).data] == [
        int(early),
        int(late),
    ]
    sandbox.late_indexing(600)
    assert client.get_users_mentions(sandbox.bot_user_id).data is None
