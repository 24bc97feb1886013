"""Every post the config makes the bot write, composed once at parse time: a title, hashtag,
event name, link or template with a word no post can hold (UnsplittableError) is a problem of
`config check`, not a failure of the posting job days later, when the post is due.

The standings are stand-ins at their widest: the top of every category filled with 15-character
handles, large scores and post links, so a template that fits here fits the real posts too (the
composer splits long texts into threads; only an unbreakable token can fail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.config.problems import Problem
from bot.core.composing import (
    category_title,
    compose_launch,
    compose_leaderboard_update,
    compose_reminder,
    compose_winners,
)
from bot.core.events import Event, PostingConfig
from bot.core.mentions import StandingLine, compose_command_reply
from bot.core.models import CategoryStanding, Competition, Ranked, Standings
from bot.core.threads import UnsplittableError

STAND_IN_USER = "x" * 15  # the longest X handle
STAND_IN_DIGEST = "f" * 64
STAND_IN_RANK = 999_999
FIX = (
    "shorten that word, hashtag or link (in a title, a category title, a link or a template), "
    "or put spaces in it"
)


def post_problems(
    source: str,
    competitions: tuple[Competition, ...],
    events: tuple[Event, ...],
    posting: PostingConfig,
) -> list[Problem]:
    """One problem per competition or event whose posts cannot be composed (the post kinds that
    fail and the first reason), so one over-long word is one line, not one per post kind."""
    problems: list[Problem] = []
    for c in competitions:
        standings = _stand_in(c, posting.leaderboard_top or c.leaderboard_top)
        failed: dict[str, ValueError] = {}
        for kind, attempt in _competition_posts(c, standings, posting):
            try:
                attempt()
            except ValueError as exc:  # UnsplittableError, or an empty template
                failed.setdefault(kind, exc)
        if failed:
            names = list(failed)
            kinds = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            problems.append(
                Problem(
                    file=source,
                    key=None,
                    issue=f"its {kinds} post{'s' if len(failed) > 1 else ''} cannot be "
                    f"written: {_reason(next(iter(failed.values())))}",
                    fix=FIX,
                    competition=c.id,
                )
            )
    for e in events:
        for offset in e.reminders or (timedelta(hours=1),):
            try:
                compose_reminder(e, offset, e.post_languages, posting.templates)
            except ValueError as exc:
                problems.append(
                    Problem(
                        file=source,
                        key=f"event[{e.id}]",
                        issue=f"its reminders cannot be written: {_reason(exc)}",
                        fix=FIX,
                    )
                )
                break
    return problems


def _reason(exc: ValueError) -> str:
    if isinstance(exc, UnsplittableError):
        shown = exc.token if len(exc.token) <= 40 else exc.token[:37] + "..."
        return (
            f"{shown!r} is {exc.weighted} weighted characters, more than the {exc.limit} "
            "of a post, and a word is never cut"
        )
    return str(exc)


def _competition_posts(
    c: Competition, standings: Standings, posting: PostingConfig
) -> Iterator[tuple[str, Callable[[], object]]]:
    top = posting.leaderboard_top or c.leaderboard_top
    t = posting.templates
    for lang in posting.languages:
        yield "launch", partial(compose_launch, c, lang, t)
        yield "leaderboard", partial(compose_leaderboard_update, c, standings, top, lang, t)
        yield "winners", partial(compose_winners, c, standings, STAND_IN_DIGEST, lang, t)
    # Replies to mentions, in every language a command may come in (the posting languages):
    # one post each, with the user's line in every category at its widest.
    standing = tuple(
        StandingLine(category_title(k), STAND_IN_RANK, STAND_IN_RANK, 999_999.0)
        for k in c.categories
    )
    when = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    for lang in posting.languages:
        yield (
            "help reply",
            partial(compose_command_reply, "help", STAND_IN_USER, lang, c, t, (), when),
        )
        yield (
            "standing reply",
            partial(compose_command_reply, "rank", STAND_IN_USER, lang, c, t, standing, when),
        )


def _stand_in(c: Competition, top: int) -> Standings:
    rows = max(top, max((k.winners for k in c.categories), default=1))
    categories = []
    for category in c.categories:
        entries = tuple(
            Ranked(
                rank=n,
                key=str(n),
                post_id=str(10**18 + n),
                author_id=str(n),
                username=STAND_IN_USER,
                score=999_999.0,
                created_at=c.start,
                url=f"https://x.com/{STAND_IN_USER}/status/{10**18 + n}",
                jury_rank=n if category.kind == "jury" else None,
            )
            for n in range(1, rows + 1)
        )
        winners = tuple(r.key for r in entries[: category.winners])
        categories.append(CategoryStanding(category, entries, winners=winners))
    return Standings(c.id, c.start, tuple(categories))
