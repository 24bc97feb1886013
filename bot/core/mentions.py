"""Replies to participants who mention the bot with a command word (`bot.core.commands`):
composing the reply with their current standing (or help; where their posts do not rank, briefly
why), and the one-reply-per-user-per-period rule.

A reply never contains any text the user wrote: it is built from their handle (checked against X's
handle rules), the organisers' category titles and numbers only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.commands import COMMAND_WORDS, CommandName
from bot.core.composing import category_title, format_score, ltr, make_draft
from bot.core.eligibility import rule_order
from bot.core.events import Templates
from bot.core.models import Category, Competition, Standings
from bot.core.templates import exclusion_reason, isolate, phrase, render, template_for
from bot.core.textlength import MAX_WEIGHTED_LENGTH, weighted_length

_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


def may_reply(last_reply_at: datetime | None, now: datetime, period: timedelta) -> bool:
    """At most one reply per user per `period`."""
    return last_reply_at is None or now - last_reply_at >= period


MAX_AGE = timedelta(days=1)
"""A mention older than this (e.g. found on a first start) gets no reply."""


def current_competition(competitions: Sequence[Competition], now: datetime) -> Competition | None:
    """The competition a "rank" question is about: the running one that started last, else the
    one that ended last, else the next to start."""
    running = [c for c in competitions if c.start <= now < c.end]
    if running:
        return max(running, key=lambda c: c.start)
    ended = [c for c in competitions if c.end <= now]
    if ended:
        return max(ended, key=lambda c: c.end)
    return min(competitions, key=lambda c: c.start) if competitions else None


def why_unanswered(
    *,
    from_bot: bool,
    mentions_bot: bool,
    author_known: bool,
    created_at: datetime,
    has_command: bool,
    has_competition: bool,
    last_reply_at: datetime | None,
    now: datetime,
    period: timedelta,
) -> str | None:
    """Why a mention gets no reply (the first reason that holds), or None: it gets one. The bot's
    own posts, posts that do not name the bot, unknown authors, mentions older than `MAX_AGE`,
    posts without a command word, no competition to speak of, and users already answered within
    `period` get nothing."""
    if from_bot:
        return "our own tweet"
    if not mentions_bot:
        return "does not mention the bot"
    if not author_known:
        return "author unknown"
    if now - created_at > MAX_AGE:
        return "too old"
    if not has_command:
        return "no command word"
    if not has_competition:
        return "no competition configured"
    if not may_reply(last_reply_at, now, period):
        return "already answered within the period"
    return None


@dataclass(frozen=True)
class StandingLine:
    """A user's place in one category: `rank` None when they have no ranked entry, and then
    `excluded` the rule code that keeps their posts out (None: no entry at all)."""

    category: str
    rank: int | None
    total: int
    score: float | None = None
    excluded: str | None = None


# Not reasons to give a participant: a command to the bot is a request, not an entry, and the
# bot's own posts are not theirs.
_NOT_ENTRIES = frozenset({"bot-command", "bot-account"})


def _why_not_ranked(keys_rules: Mapping[str, Sequence[str]]) -> str | None:
    """Of the user's excluded entries, the reason of the one that got furthest (its first failed
    rule; the entry whose first failure comes latest in the rule order came closest to ranking)."""
    firsts = [min(rules, key=rule_order) for rules in keys_rules.values() if rules]
    return max(firsts, key=rule_order) if firsts else None


def standing_of(username: str, standings: Standings) -> tuple[StandingLine, ...]:
    """The user's best rank in every category (handles compare case-insensitively); where they
    rank nowhere in a category, why their entries are out (`StandingLine.excluded`)."""
    who = username.casefold()
    places = []
    for cs in standings.categories:
        mine = [r for r in cs.entries if r.username.casefold() == who]
        best = min(mine, key=lambda r: r.rank) if mine else None
        places.append(
            Place(
                cs.category,
                best.rank if best else None,
                len(cs.entries),
                best.score if best else None,
            )
        )
    excluded = [
        (x.key, x.rule, x.category) for x in standings.exclusions if x.username.casefold() == who
    ]
    return standing_lines(places, excluded)


@dataclass(frozen=True)
class Place:
    """A user's best line in one category (`rank` None: none ranks) and the lines it has."""

    category: Category
    rank: int | None
    total: int
    score: float | None = None


def standing_lines(
    places: Iterable[Place], excluded: Iterable[tuple[str, str, str | None]]
) -> tuple[StandingLine, ...]:
    """The user's standing lines from their place in each category and their entries'
    exclusions (entry key, rule code, category or None for every category): where they rank
    nowhere, the reason of the excluded entry that came closest. Entries that are not entries
    (a command to the bot) give no reason."""
    excluded = list(excluded)
    hidden = {key for key, rule, _ in excluded if rule in _NOT_ENTRIES}
    out = []
    for p in places:
        why: dict[str, list[str]] = {}
        if p.rank is None:
            for key, rule, category in excluded:
                if rule in _NOT_ENTRIES or key in hidden:
                    continue
                if category in (None, p.category.id):
                    why.setdefault(key, []).append(rule)
        out.append(
            StandingLine(
                category_title(p.category),
                p.rank,
                p.total,
                p.score if p.rank is not None else None,
                _why_not_ranked(why),
            )
        )
    return tuple(out)


def _line(s: StandingLine, lang: str) -> str:
    if s.rank is None and s.excluded is not None:
        where = phrase("not_ranked", lang).format(reason=exclusion_reason(s.excluded, lang))
    elif s.rank is None:
        where = phrase("no_entry", lang)
    else:
        where = phrase("rank_of", lang).format(rank=s.rank, total=s.total)
        if s.score is not None:
            where += f" ({format_score(s.score)})"
    return f"{ltr(s.category, lang)}: {where}"


def _safe_handle(username: str) -> str:
    if not _HANDLE.match(username):
        raise ValueError(f"{username!r} is not an X handle; reply only to handles from the API")
    return username


def compose_standing_reply(
    username: str,
    standing: Sequence[StandingLine],
    lang: str,
    competition: Competition,
    templates: Templates | None = None,
    *,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> str:
    """One reply post with the user's standing per category. A reply is one post, so when every
    category does not fit, the ranked ones come first and the rest is counted ("+3 more
    categories"), never cut mid-line."""
    handle = isolate("@" + _safe_handle(username), lang)
    title = ltr(competition.title, lang)
    template = template_for("mention_reply", lang, templates)
    ordered = sorted(standing, key=lambda s: s.rank is None)  # ranked first, stable otherwise
    lines = [_line(s, lang) for s in ordered]
    for shown in range(len(lines), -1, -1):
        body = lines[:shown]
        if shown < len(lines):
            body.append(phrase("more_categories", lang).format(n=len(lines) - shown))
        text = render(template, {"username": handle, "title": title, "standing": "\n".join(body)})
        if weighted_length(text) <= limit:
            return text
    raise ValueError(f"the mention_reply template for {lang!r} does not fit one post; shorten it")


def compose_help_reply(
    username: str,
    lang: str,
    competition: Competition,
    templates: Templates | None = None,
) -> str:
    """How to ask for one's standing, with the command word of `lang`."""
    word = COMMAND_WORDS.get(lang, COMMAND_WORDS["en"])["rank"][0]
    fields = {
        "username": isolate("@" + _safe_handle(username), lang),
        "title": ltr(competition.title, lang),
        "commands": f"“{word}”",
    }
    draft = make_draft(
        "mention_help", lang, render(template_for("mention_help", lang, templates), fields)
    )
    if draft.is_thread:
        raise ValueError(f"the mention_help template for {lang!r} does not fit one post")
    return draft.parts[0]


def reply_stamp(now: datetime, lang: str) -> str:
    """The line a reply ends with: X refuses a text identical to one of our live posts, and a
    user asking twice would get the same words, so the time makes each reply distinct."""
    return "\n" + isolate(f"{now:%Y-%m-%d %H:%M} UTC", lang)


def compose_command_reply(
    name: CommandName,
    username: str,
    lang: str,
    competition: Competition,
    templates: Templates | None,
    standing: Sequence[StandingLine],
    now: datetime,
) -> str:
    """The reply to a command (`help`, or `rank` with the user's `standing`), stamped with the
    time when the stamp fits. Raises ValueError when the organiser's template cannot fit one post
    (`config check` composes it with the widest stand-ins, so a running bot never meets that)."""
    stamp = reply_stamp(now, lang)
    if name == "help":
        text = compose_help_reply(username, lang, competition, templates)
    else:
        text = compose_standing_reply(
            username,
            standing,
            lang,
            competition,
            templates,
            limit=MAX_WEIGHTED_LENGTH - weighted_length(stamp),
        )
    return text + stamp if weighted_length(text + stamp) <= MAX_WEIGHTED_LENGTH else text
