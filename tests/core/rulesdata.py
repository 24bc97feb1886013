"""Builders for the rules tests: competitions and entries in one line each, readable as a story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.models import (
    Account,
    Category,
    Competition,
    Eligibility,
    Entry,
    EntryStatus,
    Metrics,
    Post,
    Reference,
    Reply,
)
from bot.core.snowflake import make_snowflake

START = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
END = datetime(2026, 11, 8, 10, 0, tzinfo=UTC)
OLD = datetime(2020, 1, 1, tzinfo=UTC)


def competition(
    *categories: Category,
    eligibility: Eligibility | None = None,
    **kw: object,
) -> Competition:
    base: dict[str, object] = {
        "id": "fall-2026",
        "title": "Fall contest",
        "hashtags": ("Gemeinschaft",),
        "start": START,
        "end": END,
        "categories": categories or (Category("most-liked", "likes"),),
        "accounts": ("contestbot",),
        "organisers": ("orga",),
        "excluded_accounts": ("staffer",),
        "community": ("member1", "member2"),
        "eligibility": eligibility or Eligibility(),
    }
    base.update(kw)
    return Competition(**base)  # type: ignore[arg-type]


_seq = [0]


def entry(
    username: str,
    *,
    likes: int = 0,
    replies: int = 0,
    reposts: int = 0,
    quotes: int = 0,
    at: datetime | None = None,
    minutes: float = 60,
    tags: tuple[str, ...] = ("gemeinschaft",),
    mentions: tuple[str, ...] = (),
    text: str = "my entry #gemeinschaft",
    refs: tuple[tuple[str, str], ...] = (),
    reply_to_user: str | None = None,
    lang: str | None = "en",
    status: EntryStatus = "active",
    followers: int = 100,
    author_created: datetime | None = OLD,
    repliers: tuple[str | Reply, ...] = (),
    user_id: str | None = None,
    key: str | None = None,
    tweet_id: str | None = None,
    protected: bool = False,
) -> Entry:
    """An entry by @username created `minutes` after the start (or `at`)."""
    created = at if at is not None else START + timedelta(minutes=minutes)
    _seq[0] += 1
    tid = tweet_id or make_snowflake(created, sequence=_seq[0] % 4096, worker=_seq[0] // 4096)
    history = (key, tid) if key and key != tid else (tid,)
    tweet = Post(
        id=tid,
        text=text,
        author_id=user_id or f"u-{username}",
        created_at=created,
        edit_history_ids=history,
        conversation_id=history[0],
        in_reply_to_author_id=reply_to_user,
        lang=lang,
        references=tuple(Reference(t, i) for t, i in refs),  # type: ignore[arg-type]
        hashtags=tags,
        mentions=mentions,
        metrics=Metrics(likes=likes, replies=replies, reposts=reposts, quotes=quotes),
    )
    author = Account(
        id=user_id or f"u-{username}",
        username=username,
        name=username.title(),
        created_at=author_created,
        followers=followers,
        protected=protected,
    )
    replies = tuple(
        r if isinstance(r, Reply) else reply(r, at=created + timedelta(minutes=1 + i))
        for i, r in enumerate(repliers)
    )
    return Entry(tweet, author, status, created + timedelta(hours=1), replies)


def reply(
    username: str,
    *,
    at: datetime | None = None,
    author_created: datetime | None = OLD,
    followers: int = 100,
    user_id: str | None = None,
) -> Reply:
    """A direct reply by @username (an established account unless told otherwise)."""
    _seq[0] += 1
    when = at if at is not None else START + timedelta(minutes=90)
    return Reply(
        reply_id=make_snowflake(when, sequence=_seq[0] % 4096, worker=_seq[0] // 4096),
        author_id=user_id or f"u-{username.casefold()}",
        username=username,
        created_at=when,
        author_created_at=author_created,
        followers=followers,
    )


def population(n: int, seed: int = 7) -> list[Entry]:
    """A varied crowd of `n` entries: ties, organisers, community members, self-reply farms,
    retweets, replies, deletions, sock puppets, out-of-window posts, Unicode hashtags, edits."""
    import random

    rng = random.Random(seed)
    names = [f"user{i}" for i in range(max(3, n // 3))] + ["orga", "member1", "member2", "staffer"]
    out: list[Entry] = []
    for i in range(n):
        name = rng.choice(names)
        roll = rng.random()
        refs: tuple[tuple[str, str], ...] = ()
        if roll < 0.05:
            refs = (("reposted", "1"),)
        elif roll < 0.10:
            refs = (("replied_to", "2"),)
        elif roll < 0.15:
            refs = (("quoted", "3"),)
        tags = rng.choice(
            [("gemeinschaft",), ("GEMEINSCHAFT",), ("ＧＥＭＥＩＮＳＣＨＡＦＴ",), ("other",), ()]
        )
        out.append(
            entry(
                name,
                likes=rng.choice([0, 1, 2, 3, 5, 5, 8, 13]),
                replies=rng.randint(0, 6),
                reposts=rng.randint(0, 3),
                quotes=rng.randint(0, 2),
                minutes=rng.choice([-30, 5, 60, 60, 600, 3000, 10079, 10081]),
                tags=tags,
                mentions=("contestbot",) if rng.random() < 0.2 else (),
                text=rng.choice(["what a day #gemeinschaft", "Who is coming? #gemeinschaft", "x"]),
                refs=refs,
                lang=rng.choice(["en", "de", "und", None]),
                status=rng.choice(["active"] * 18 + ["deleted", "protected"]),  # type: ignore[arg-type]
                followers=rng.choice([0, 3, 50, 500]),
                author_created=rng.choice([OLD, START - timedelta(days=2), None]),
                repliers=tuple(
                    rng.sample([name, "orga", "a", "b", "c", "member1"], rng.randint(0, 4))
                ),
                key=str(10**17 + i) if rng.random() < 0.05 else None,
            )
        )
    return out
