"""The sandbox World on its own: ids, counters, edits, deletions, retweets, entities, long posts."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.core.snowflake import snowflake_time
from bot.sandbox import World
from bot.sandbox.entities import entities_of
from bot.sandbox.wire import render_tweet


@pytest.fixture
def world(clock: ManualClock) -> World:
    w = World(clock)
    for name in ("alice", "bob", "carol"):
        w.add_user(name)
    return w


def test_ids_are_snowflakes_of_created_at_and_increase(world: World, clock: ManualClock) -> None:
    first = world.post("alice", "one")
    clock.advance(1.5)
    second = world.post("bob", "two")
    t1, t2 = world.get(first), world.get(second)
    assert t1 is not None and t2 is not None
    assert int(second) > int(first)
    assert abs((snowflake_time(first) - t1.created_at).total_seconds()) < 0.001
    assert abs((snowflake_time(second) - t2.created_at).total_seconds()) < 0.001


def test_many_tweets_in_the_same_millisecond_get_distinct_ids(world: World) -> None:
    ids = {world.post("alice", f"tweet {i}") for i in range(500)}
    assert len(ids) == 500


def test_reply_joins_the_conversation_and_moves_reply_count(world: World) -> None:
    root = world.post("alice", "root")
    r1 = world.reply("bob", root, "nice")
    r2 = world.reply("carol", r1, "agreed")
    t_root, t1, t2 = world.get(root), world.get(r1), world.get(r2)
    assert t_root and t1 and t2
    assert t_root.replies == 1 and t1.replies == 1
    assert t2.conversation_id == root and t1.conversation_id == root
    assert t1.full_text == "@alice nice"
    assert t2.in_reply_to_user_id == world.user("bob").id
    world.delete(r2)
    assert t1.replies == 0


def test_self_reply_keeps_its_text(world: World) -> None:
    root = world.post("alice", "root")
    t = world.get(world.reply("alice", root, "more"))
    assert t is not None and t.full_text == "more"


def test_retweet_text_and_counters(world: World) -> None:
    orig = world.post("alice", "hello #Tag")
    rt = world.retweet("bob", orig)
    t, o = world.get(rt), world.get(orig)
    assert t and o
    assert t.full_text == "RT @alice: hello #Tag" and t.retweet_of == orig
    assert o.retweets == 1
    with pytest.raises(ValueError, match="already retweeted"):
        world.retweet("bob", orig)
    rendered = render_tweet(t, frozenset({"public_metrics", "referenced_tweets"}), world)
    assert rendered["public_metrics"] == {
        "retweet_count": 1,
        "reply_count": 0,
        "like_count": 0,
        "quote_count": 0,
        "bookmark_count": 0,
        "impression_count": 0,
    }
    assert rendered["referenced_tweets"] == [{"type": "retweeted", "id": orig}]
    world.delete(orig)
    assert t.deleted  # retweets of a deleted tweet disappear with it


def test_edit_mints_a_new_id_and_shares_the_chain(world: World, clock: ManualClock) -> None:
    old = world.post("alice", "first #A")
    world.like(old, 4)
    clock.advance(60)
    new = world.edit(old, "second #A")
    t_old, t_new = world.get(old), world.get(new)
    assert t_old and t_new
    assert t_old.chain == [old, new] and t_new.chain == [old, new]
    assert t_new.likes == 0 and t_old.likes == 4  # metrics are per version
    world.like(old, 2)  # likes land on the visible (latest) version
    assert t_new.likes == 2
    assert world.latest(old) == new
    with pytest.raises(ValueError, match="already edited"):
        world.edit(old, "third")
    world.delete(old)
    assert t_old.deleted and t_new.deleted


def test_quote_moves_quote_count(world: World) -> None:
    orig = world.post("alice", "quotable")
    q = world.quote("bob", orig, "look at this")
    o = world.get(orig)
    assert o and o.quotes == 1
    assert world.get(q) and world.get(q).quote_of == orig  # type: ignore[union-attr]


def test_entities_indices_are_start_inclusive_end_exclusive() -> None:
    text = "Hi @alice, see #IGFcontest and https://example.org/x."
    ents = entities_of(text, {"alice": "42"})
    (mention,) = ents["mentions"]
    (tag,) = ents["hashtags"]
    (url,) = ents["urls"]
    assert text[mention["start"] : mention["end"]] == "@alice" and mention["id"] == "42"
    assert text[tag["start"] : tag["end"]] == "#IGFcontest" and tag["tag"] == "IGFcontest"
    assert text[url["start"] : url["end"]] == "https://example.org/x"


def test_long_post_has_short_text_and_note_tweet(world: World) -> None:
    long_text = ("word " * 70) + "#LateTag"
    tid = world.post("alice", long_text)
    t = world.get(tid)
    assert t is not None and t.is_long
    rendered = render_tweet(t, frozenset({"note_tweet", "entities"}), world)
    assert rendered["text"].endswith("…") and len(rendered["text"]) <= 280
    assert rendered["note_tweet"]["text"] == long_text
    assert rendered["note_tweet"]["entities"]["hashtags"][0]["tag"] == "LateTag"
    assert "hashtags" not in rendered.get("entities", {})


def test_tweet_count_and_unknown_user(world: World) -> None:
    world.post("alice", "a")
    tid = world.post("alice", "b")
    assert world.user("alice").tweet_count == 2
    world.delete(tid)
    assert world.user("alice").tweet_count == 1
    with pytest.raises(KeyError, match=r"add it with World\.add_user"):
        world.post("nobody", "x")
    with pytest.raises(ValueError, match="already exists"):
        world.add_user("ALICE")


def test_hashtags_keep_their_combining_marks_as_on_x() -> None:
    # Python's \w leaves out vowel signs and viramas; X's hashtag entities keep them whole.
    from bot.sandbox.entities import hashtags_of

    text = "ইন্টারনেট শাসন #ইন্টারনেট and #हिन्दी, #café #IGF2026 #2026"
    assert hashtags_of(text) == ("ইন্টারনেট", "हिन्दी", "café", "IGF2026")
