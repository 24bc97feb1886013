"""Tweet lookups, user lookups and timelines through a real tweepy Client: partial errors,
fields, expansions, edits and deletions as the X API answers them."""

from __future__ import annotations

import tweepy

from bot.clock import ManualClock
from bot.sandbox import Sandbox
from tests.sandbox.conftest import make_client


def test_lookup_partial_errors_for_deleted_unknown_and_protected(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    w.add_user("priv", protected=True)
    ok = w.post("alice", "visible")
    gone = w.post("alice", "soon gone")
    hidden = w.post("priv", "secret")
    w.delete(gone)
    clock.advance(5)
    r = client.get_tweets([ok, gone, hidden, "1234"])
    assert [t.id for t in r.data] == [int(ok)]
    by_id = {e["resource_id"]: e for e in r.errors}
    assert by_id[gone]["type"].endswith("/resource-not-found")
    assert by_id[gone]["detail"] == f"Could not find tweet with ids: [{gone}]."
    assert by_id["1234"]["title"] == "Not Found Error"
    assert by_id[hidden]["type"].endswith("/not-authorized-for-resource")
    assert by_id[hidden]["section"] == "data"
    assert (
        by_id[hidden]["detail"]
        == f"Sorry, you are not authorized to see the Tweet with ids: [{hidden}]."
    )


def test_lookup_one_missing_is_200_with_only_errors(
    sandbox: Sandbox, raw_client: tweepy.Client
) -> None:
    resp = raw_client.get_tweet("99999")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["parameter"] == "id"
    assert body["errors"][0]["detail"] == "Could not find tweet with id: [99999]."


def test_fields_and_expansions(sandbox: Sandbox, client: tweepy.Client, clock: ManualClock) -> None:
    w = sandbox.world
    w.add_user("alice", followers=7)
    w.add_user("bob")
    root = w.post("alice", "root #Tag")
    reply = w.reply("bob", root, "hi @contestbot and @ghost")
    w.like(reply, 3)
    clock.advance(10)
    r = client.get_tweet(
        reply,
        tweet_fields=[
            "created_at",
            "public_metrics",
            "conversation_id",
            "in_reply_to_user_id",
            "referenced_tweets",
            "entities",
            "lang",
            "author_id",
            "edit_controls",
        ],
        user_fields=["public_metrics", "created_at"],
        expansions=[
            "author_id",
            "referenced_tweets.id",
            "in_reply_to_user_id",
            "entities.mentions.username",
        ],
    )
    t = r.data
    assert t.public_metrics["like_count"] == 3
    assert t.conversation_id == int(root)
    assert t.in_reply_to_user_id == int(w.user("alice").id)
    assert t.referenced_tweets[0].type == "replied_to"
    assert t.created_at is not None and t.edit_controls["edits_remaining"] == 5
    usernames = [u.username for u in r.includes["users"]]
    assert sorted(usernames) == ["alice", "bob", "contestbot"]  # de-duplicated
    assert [x.id for x in r.includes["tweets"]] == [int(root)]
    assert r.errors[0]["detail"] == "Could not find user with entities.mentions.username: [ghost]."
    assert r.errors[0]["section"] == "includes"


def test_edited_tweet_lookup_returns_each_version(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    old = w.post("alice", "v1")
    clock.advance(30)
    new = w.edit(old, "v2")
    r = client.get_tweets([old, new])
    assert [t.text for t in r.data] == ["v1", "v2"]
    assert [t.edit_history_tweet_ids for t in r.data] == [[int(old), int(new)]] * 2
    w.delete(new)
    r = client.get_tweets([old])
    assert r.data is None and r.errors[0]["resource_id"] == old


def test_users_me_and_by_username(sandbox: Sandbox, client: tweepy.Client) -> None:
    w = sandbox.world
    w.add_user("alice", followers=12, name="Alice A")
    w.add_user("banned", suspended=True)
    me = client.get_me()
    assert me.data.username == "contestbot" and me.data.id == int(sandbox.bot_user_id)
    u = client.get_user(username="alice", user_fields=["public_metrics", "created_at", "protected"])
    assert u.data.name == "Alice A" and u.data.public_metrics["followers_count"] == 12
    assert u.data.protected is False and u.data.created_at is not None
    missing = client.get_user(username="nobody")
    assert missing.data is None
    assert missing.errors[0]["detail"] == "Could not find user with username: [nobody]."
    banned = client.get_user(username="banned")
    assert banned.errors[0]["detail"] == "User has been suspended: [banned]."


def test_user_timeline_paginates_and_excludes(sandbox: Sandbox, clock: ManualClock) -> None:
    w = sandbox.world
    w.add_user("alice")
    w.add_user("bob")
    ids = []
    for i in range(12):
        ids.append(w.post("contestbot", f"post {i}"))
        clock.advance(1)
    other = w.post("bob", "other")
    w.reply("contestbot", other, "a reply")
    w.retweet("contestbot", other)
    clock.advance(1)
    client = make_client(sandbox)
    seen = [
        t.id
        for t in tweepy.Paginator(
            client.get_users_tweets,
            sandbox.bot_user_id,
            max_results=5,
            exclude=["replies", "retweets"],
        ).flatten()
    ]
    assert seen == [int(i) for i in reversed(ids)]
    everything = client.get_users_tweets(sandbox.bot_user_id, max_results=100)
    assert everything.meta["result_count"] == 14
    newer = client.get_users_tweets(sandbox.bot_user_id, since_id=ids[-1], exclude="retweets")
    assert [t.text for t in newer.data] == ["@bob a reply"]


def test_mentions_paginate_with_previous_token(
    sandbox: Sandbox, client: tweepy.Client, clock: ManualClock
) -> None:
    w = sandbox.world
    w.add_user("alice")
    ids = []
    for i in range(7):
        ids.append(w.post("alice", f"@contestbot question {i}"))
        clock.advance(1)
    w.post("alice", "not a mention")
    first = client.get_users_mentions(sandbox.bot_user_id, max_results=5)
    assert [t.id for t in first.data] == [int(i) for i in reversed(ids[2:])]
    assert list(first.meta) == ["next_token", "result_count", "newest_id", "oldest_id"]
    second = client.get_users_mentions(
        sandbox.bot_user_id, max_results=5, pagination_token=first.meta["next_token"]
    )
    assert [t.id for t in second.data] == [int(ids[1]), int(ids[0])]
    assert "next_token" not in second.meta and "previous_token" in second.meta
    back = client.get_users_mentions(
        sandbox.bot_user_id, max_results=5, pagination_token=second.meta["previous_token"]
    )
    assert [t.id for t in back.data] == [int(i) for i in reversed(ids[2:])]
    flat = list(
        tweepy.Paginator(client.get_users_mentions, sandbox.bot_user_id, max_results=5).flatten()
    )
    assert [t.id for t in flat] == [int(i) for i in reversed(ids)]
    since = client.get_users_mentions(sandbox.bot_user_id, since_id=ids[4])
    assert since.meta["result_count"] == 2


def test_mentions_of_unknown_user_is_a_partial_error(client: tweepy.Client) -> None:
    r = client.get_users_mentions("12345")
    assert r.data is None and r.errors[0]["resource_type"] == "user"


def test_user_timeline_pages_after_a_since_id(sandbox: Sandbox, clock: ManualClock) -> None:
    """What a reconcile of the bot's own posts does: everything newer than a cursor, all pages."""
    ids = []
    for i in range(12):
        ids.append(sandbox.world.post("contestbot", f"result {i}"))
        clock.advance(1)
    client = make_client(sandbox, raw=True)
    pages = []
    token = None
    while True:
        params: dict[str, str] = {"pagination_token": token} if token else {}
        page = client.get_users_tweets(
            sandbox.bot_user_id, since_id=ids[2], max_results=5, **params
        ).json()
        pages.append([t["id"] for t in page["data"]])
        token = page["meta"].get("next_token")
        if token is None:
            break
    assert pages == [list(reversed(ids[7:])), list(reversed(ids[3:7]))]
    assert page["meta"]["result_count"] == 4 and "previous_token" in page["meta"]
