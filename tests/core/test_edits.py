"""Edit chains: which looked-up versions are stale, and how the newest versions replace them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.edits import doubtful_ids, merge_newest, newest_ids, settle, stale_versions
from bot.core.models import Account, Lookup, Metrics, Post
from bot.core.snowflake import make_snowflake

T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)
V1, V2, V3 = (make_snowflake(T0 + timedelta(minutes=m)) for m in (0, 5, 9))
OTHER = make_snowflake(T0 + timedelta(minutes=1))


def version(tid: str, chain: tuple[str, ...], likes: int, author: str = "1") -> Post:
    return Post(
        id=tid,
        text=f"v {tid}",
        author_id=author,
        created_at=T0,
        edit_history_ids=chain,
        metrics=Metrics(likes=likes),
    )


def test_an_old_version_names_the_newest_id_of_its_chain() -> None:
    old = version(V1, (V1, V2, V3), 4)  # edited twice since we last looked
    current = version(OTHER, (OTHER,), 1)
    assert stale_versions([old, current]) == {V1: V3}
    assert newest_ids([old, current, old]) == [V3]
    assert stale_versions([version(V3, (V1, V2, V3), 9)]) == {}


def test_the_newest_version_replaces_the_old_one_and_keeps_the_order() -> None:
    first = Lookup(
        posts=(version(V1, (V1, V2, V3), 4), version(OTHER, (OTHER,), 1, author="2")),
        accounts=(Account("1", "ed", "Ed"), Account("2", "al", "Al")),
        problems=(("404", "deleted"),),
    )
    newer = Lookup(posts=(version(V3, (V1, V2, V3), 9),), accounts=(Account("1", "ed", "Ed"),))
    merged = merge_newest(first, newer)
    assert [(t.id, t.metrics.likes) for t in merged.posts] == [(V3, 9), (OTHER, 1)]
    assert merged.posts[0].key == V1  # the same entry
    assert [u.id for u in merged.accounts] == ["1", "2"]
    assert merged.problems == (("404", "deleted"),)


def test_a_chain_whose_newest_version_is_not_returned_keeps_its_old_version() -> None:
    first = Lookup(posts=(version(V1, (V1, V2), 4),), accounts=())
    merged = merge_newest(first, Lookup(posts=(), accounts=(), problems=((V2, "deleted"),)))
    assert merged.posts == first.posts and merged.problems == ()
    assert merge_newest(Lookup((version(V2, (V1, V2), 1),), ()), Lookup((), ())).posts[0].id == V2


def test_only_a_passing_or_deleting_miss_is_asked_for_again() -> None:
    lookup = Lookup(
        posts=(version(OTHER, (OTHER,), 1),),
        accounts=(),
        problems=(("7", "unavailable"), ("8", "protected"), ("9", "deleted"), ("7", "unavailable")),
    )
    assert doubtful_ids(lookup) == ["7", "9"]  # protected is a stable answer; de-duplicated
    assert doubtful_ids(Lookup(posts=lookup.posts, accounts=())) == []


def test_the_second_answer_settles_the_ids_asked_again_and_only_those() -> None:
    first = Lookup(
        posts=(version(OTHER, (OTHER,), 1, author="2"),),
        accounts=(Account("2", "al", "Al"),),
        problems=((V1, "unavailable"), (V2, "deleted"), ("8", "protected")),
    )
    # V1 is found on the second asking; V2 is still not found; "8" was not asked again.
    again = Lookup(
        posts=(version(V1, (V1,), 5),),
        accounts=(Account("1", "ed", "Ed"),),
        problems=((V2, "deleted"),),
    )
    settled = settle(first, again, [V1, V2])
    assert [(t.id, t.metrics.likes) for t in settled.posts] == [(OTHER, 1), (V1, 5)]
    assert sorted(u.id for u in settled.accounts) == ["1", "2"]
    assert sorted(settled.problems) == sorted([("8", "protected"), (V2, "deleted")])
    # A post found both times is counted once, with the newer answer.
    twice = settle(settled, Lookup(posts=(version(V1, (V1,), 6),), accounts=()), [V1])
    assert [(t.id, t.metrics.likes) for t in twice.posts] == [(OTHER, 1), (V1, 6)]
