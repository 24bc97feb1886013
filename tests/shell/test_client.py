"""TweepyXClient against the real sandbox over HTTP through tweepy: conversions and every error."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.core.errors import (
    AuthError,
    CreditsDepleted,
    ForbiddenForTarget,
    InvalidRequest,
    RateLimited,
    StaleCursor,
    TooLong,
    Unavailable,
    UsageCapped,
)
from bot.core.snowflake import make_snowflake
from bot.x.tweepy_client import TweepyXClient, check_base_url


def client_for(sandbox: Any, **kwargs: Any) -> TweepyXClient:
    return TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, **kwargs)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------------------------
# Conversions
# ------------------------------------------------------------------------------------------------


def test_search_returns_our_dataclasses_with_every_field_scoring_needs(
    sandbox: Any, clock: ManualClock
) -> None:
    world = sandbox.world
    world.add_user("alice", followers=42)
    world.add_user("bob")
    root = world.post("alice", "Spring is here #Spring @bob", at=clock.now() - timedelta(minutes=9))
    reply = world.reply("bob", root, "lovely #Spring", at=clock.now() - timedelta(minutes=8))
    long_text = "word " * 70 + "#Spring and #Late"
    long_post = world.post("bob", long_text, at=clock.now() - timedelta(minutes=7))
    world.like(root, 4)
    page = client_for(sandbox).search_recent(
        "#Spring -is:retweet", start_time=clock.now() - timedelta(hours=1)
    )
    assert [t.id for t in page.posts] == [long_post, reply, root]  # newest first
    assert page.result_count == 3 and page.next_token is None
    assert page.newest_id == long_post and page.oldest_id == root
    by_id = {t.id: t for t in page.posts}
    first = by_id[root]
    assert first.hashtags == ("Spring",) and first.mentions == ("bob",)
    assert first.metrics.likes == 4 and first.edit_history_ids == (root,)
    assert first.conversation_id == root and first.lang == "en"
    assert first.created_at.tzinfo is not None
    assert by_id[reply].replied_to_id == root and by_id[reply].conversation_id == root
    assert by_id[reply].in_reply_to_author_id == world.user("alice").id
    # a long post: the tag past character 280 is only in note_tweet.entities
    assert by_id[long_post].note_text == long_text
    assert set(by_id[long_post].hashtags) == {"Spring", "Late"}
    users = {u.username: u for u in page.accounts}
    assert set(users) == {"alice", "bob"} and users["alice"].followers == 42


def test_pages_carry_the_next_token(sandbox: Any, clock: ManualClock) -> None:
    sandbox.world.add_user("carol")
    for i in range(15):
        sandbox.world.post("carol", f"entry {i} #Paged", at=clock.now() - timedelta(minutes=30 - i))
    client = client_for(sandbox)
    first = client.search_recent(
        "#Paged", start_time=clock.now() - timedelta(hours=1), max_results=10
    )
    assert len(first.posts) == 10 and first.next_token
    second = client.search_recent(
        "#Paged",
        start_time=clock.now() - timedelta(hours=1),
        max_results=10,
        next_token=first.next_token,
    )
    assert len(second.posts) == 5 and second.next_token is None
    assert not {t.id for t in first.posts} & {t.id for t in second.posts}


def test_lookup_reports_deleted_and_protected_tweets_as_problems(
    sandbox: Any, clock: ManualClock
) -> None:
    world = sandbox.world
    world.add_user("dan")
    world.add_user("erin")
    gone = world.post("dan", "soon gone #Spring", at=clock.now() - timedelta(minutes=5))
    hidden = world.post("erin", "private #Spring", at=clock.now() - timedelta(minutes=4))
    fine = world.post("dan", "still here #Spring", at=clock.now() - timedelta(minutes=3))
    edited = world.edit(fine, "still here, edited #Spring", at=clock.now() - timedelta(minutes=2))
    world.delete(gone)
    world.set_protected("erin")
    lookup = client_for(sandbox).lookup_tweets([gone, hidden, edited])
    assert [t.id for t in lookup.posts] == [edited]
    assert lookup.posts[0].edit_history_ids == (fine, edited)
    assert lookup.posts[0].key == fine
    assert dict(lookup.problems) == {gone: "deleted", hidden: "protected"}
    assert client_for(sandbox).lookup_tweets([]).posts == ()
    with pytest.raises(ValueError, match="at most 100"):
        client_for(sandbox).lookup_tweets([str(i) for i in range(101)])


def test_users_me_and_mentions(sandbox: Any, clock: ManualClock) -> None:
    world = sandbox.world
    world.add_user("fred")
    mention = world.post("fred", "hey @contestbot #Spring", at=clock.now() - timedelta(minutes=1))
    client = client_for(sandbox)
    me = client.get_me()
    assert me.username == "contestbot"
    fred = client.get_user("fred")
    assert fred is not None and fred.id == world.user("fred").id
    assert client.get_user("nobody_here") is None
    page = client.mentions(me.id, start_time=clock.now() - timedelta(hours=1))
    assert [t.id for t in page.posts] == [mention]
    assert [t.id for t in client.user_timeline(fred.id).posts] == [mention]


def test_posting_deleting_and_media_go_through_the_redirect_signed_for_api_twitter_com(
    sandbox: Any,
) -> None:
    seen: list[tuple[str, str, int | None]] = []
    client = client_for(sandbox, on_request=lambda m, p, s: seen.append((m, p, s)))
    media_id = client.upload_media(tiny_png())
    posted = client.create_tweet("The leaderboard is up", media_ids=[media_id])
    assert posted.text == "The leaderboard is up"
    assert sandbox.posted[-1]["id"] == posted.id
    assert client.delete_tweet(posted.id) is True
    assert [(m, s) for m, _, s in seen] == [("POST", 200), ("POST", 201), ("DELETE", 200)]
    assert seen[0][1] == "/2/media/upload" and client.requests_made == 3
    # the sandbox verified the OAuth 1.0a signatures (computed over https://api.twitter.com)
    assert [r.auth for r in sandbox.requests[-3:]] == ["oauth1", "oauth1", "oauth1"]


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


def search(sandbox: Any, clock: ManualClock, **kwargs: Any) -> Any:
    client = kwargs.pop("client", None) or client_for(sandbox)
    return client.search_recent(
        kwargs.pop("query", "#Spring"), start_time=clock.now() - timedelta(hours=1), **kwargs
    )


def test_a_429_is_rate_limited_with_its_reset_time(sandbox: Any, clock: ManualClock) -> None:
    sandbox.faults.add("rate_limit", "search", count=1, reset_in=600)
    with pytest.raises(RateLimited) as caught:
        search(sandbox, clock)
    assert caught.value.reset_at is not None
    assert abs((caught.value.reset_at - clock.now()).total_seconds() - 600) <= 1
    assert caught.value.__cause__ is not None  # chained from tweepy's TooManyRequests


def test_a_usage_cap_is_not_a_rate_limit(sandbox: Any, clock: ManualClock) -> None:
    sandbox.faults.add("usage_cap", "search", count=1)
    with pytest.raises(UsageCapped) as caught:
        search(sandbox, clock)
    assert caught.value.period == "Monthly"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("credits", CreditsDepleted),
        ("unauthorized", AuthError),
        ("not_enrolled", AuthError),
        ("server_error", Unavailable),
        ("unavailable", Unavailable),
        ("drop", Unavailable),
        ("malformed", Unavailable),
    ],
)
def test_faults_become_our_errors_without_credentials_in_messages(
    sandbox: Any, clock: ManualClock, kind: str, error: type[Exception]
) -> None:
    sandbox.faults.add(kind, "search", count=1)
    with pytest.raises(error) as caught:
        search(sandbox, clock)
    assert caught.value.__cause__ is not None
    for secret in sandbox.credentials.values():
        assert secret not in str(caught.value)


def test_a_slow_answer_times_out_as_unavailable(sandbox: Any, clock: ManualClock) -> None:
    sandbox.faults.add("slow", "search", count=1, delay=1.5)
    with pytest.raises(Unavailable, match="in time"):
        search(sandbox, clock, client=client_for(sandbox, timeout=0.3))


def test_a_since_id_older_than_seven_days_is_a_stale_cursor(
    sandbox: Any, clock: ManualClock
) -> None:
    old = make_snowflake(clock.now() - timedelta(days=8))
    with pytest.raises(StaleCursor) as caught:
        client_for(sandbox).search_recent("#Spring", since_id=old)
    assert "since_id" in caught.value.parameters


def test_an_unsupported_operator_is_an_invalid_request(sandbox: Any, clock: ManualClock) -> None:
    with pytest.raises(InvalidRequest) as caught:
        search(sandbox, clock, query="#Spring min_faves:10")
    assert not isinstance(caught.value, StaleCursor)
    assert caught.value.status == 400


def test_posting_errors_name_their_reason(sandbox: Any, clock: ManualClock) -> None:
    world = sandbox.world
    world.add_user("gina")
    stranger = world.post("gina", "no mention of the bot", at=clock.now() - timedelta(minutes=1))
    client = client_for(sandbox)
    client.create_tweet("Once only")
    with pytest.raises(ForbiddenForTarget) as dup:
        client.create_tweet("Once only")
    assert dup.value.reason == "duplicate"
    with pytest.raises(ForbiddenForTarget) as restricted:
        client.create_tweet("Congratulations!", reply_to=stranger)
    assert restricted.value.reason == "reply-restricted"
    with pytest.raises(TooLong):
        client.create_tweet("x" * 281)


def test_base_urls_are_https_or_loopback_http() -> None:
    assert check_base_url("https://api.example.org/") == "https://api.example.org"
    assert check_base_url("http://127.0.0.5:8000") == "http://127.0.0.5:8000"
    assert check_base_url("http://localhost:9") == "http://localhost:9"
    assert check_base_url("http://[::1]:9") == "http://[::1]:9"
    with pytest.raises(ValueError, match="plain http on a non-loopback host"):
        check_base_url("http://10.0.0.2:8000")
    with pytest.raises(ValueError, match="not an http"):
        check_base_url("ftp://api.twitter.com")
    with pytest.raises(ValueError, match="plain http"):
        TweepyXClient("b", "k", "s", "t", "ts", base_url="http://example.com")


def test_the_user_timeline_pages_with_its_pagination_token(
    sandbox: Any, clock: ManualClock
) -> None:
    world = sandbox.world
    world.add_user("prolific")
    posted = [
        world.post("prolific", f"post {i}", at=clock.now() - timedelta(minutes=300 - i))
        for i in range(7)
    ]
    client = client_for(sandbox)
    user_id = world.user("prolific").id
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = client.user_timeline(user_id, pagination_token=token, max_results=5)
        pages += 1
        seen.extend(t.id for t in page.posts)
        token = page.next_token
        if token is None:
            break
    assert pages == 2 and sorted(seen) == sorted(posted)
