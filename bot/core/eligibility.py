"""Eligibility: which entries may rank, and every reason the others may not.

`facts_of` reduces a stored `Entry` to the `EntryFacts` the rules look at (these facts are also what
a frozen result keeps as its inputs, so a result can be recomputed without the store).
`entry_exclusions` applies every declared rule of issue 4 item 3 to one entry and returns one
`Exclusion` per failed rule (stable `rule` code, a sentence with the values), so organisers and
`explain` see all of them, not just the first. Manual disqualification and re-qualification are
inputs here too: re-qualifying lifts a manual disqualification and the heuristic anti-sock-puppet
rules (account age, followers, language) but never the hard rules (window, retweet, deleted, ...).
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import overload

from bot.core.audience import cached_handle_set, community_handles, normalise_handle
from bot.core.commands import parse_command
from bot.core.events import SUPPORTED_LANGUAGES
from bot.core.models import (
    Category,
    Competition,
    Entry,
    EntryStatus,
    Exclusion,
    Metrics,
    ReplierRules,
    Reply,
)
from bot.core.timefmt import iso

# Rule codes in the order they are checked and reported.
RULES: tuple[str, ...] = (
    "outside-window",
    "no-tracked-tag",
    "retweet",
    "reply-not-allowed",
    "quote-not-allowed",
    "excluded-account",
    "organiser",
    "bot-account",
    "bot-command",
    "account-too-new",
    "too-few-followers",
    "language",
    "deleted",
    "protected",
    "disqualified",
)
# Per-category rule codes (set by scoring), after the global ones.
CATEGORY_RULES: tuple[str, ...] = (
    "community-author",
    "not-a-question",
    "not-reply-to-organiser",
    "below-minimum",
    "not-authors-best",
    "already-won",
)
# What an organiser's re-qualification lifts: judgement calls, not facts.
LIFTABLE_RULES = frozenset({"disqualified", "account-too-new", "too-few-followers", "language"})
# X's pseudo-languages for posts with no linguistic content: never a language mismatch.
NEUTRAL_LANGS = frozenset({"und", "zxx", "qme", "qht", "qam", "qct", "qst"})


@dataclass(frozen=True)
class EntryFacts:
    """What the rules look at for one entry: the frozen result's per-entry input.

    `hashtags` are normalised (NFKC + casefold, no '#'); `mentions` normalised handles.
    `question`, `reply_to_organiser` and `bot_command` (the text is a command addressed to the
    bot, such as "@bot rank": a request, never an entry) are derived from the text and the reply
    target when the facts are taken, and kept as facts so a recomputation does not depend on
    heuristics. `repliers` are the direct replies to the entry, with their repliers' facts."""

    key: str
    post_id: str
    author_id: str
    username: str
    created_at: datetime
    status: EntryStatus = "active"
    is_repost: bool = False
    is_reply: bool = False
    is_quote: bool = False
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    lang: str | None = None
    author_created_at: datetime | None = None
    followers: int = 0
    author_protected: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    metrics_at: datetime | None = None
    repliers: tuple[Reply, ...] = ()
    question: bool = False
    reply_to_organiser: bool = False
    text: str = ""
    bot_command: bool = False


def normalise_tag(tag: str) -> str:
    """`#ＣＯＭＭＵＮＩＴＹ`, `#Community` and `community` are the same tag."""
    return unicodedata.normalize("NFKC", tag).strip().lstrip("#").casefold()


# Question marks of many scripts (Latin, fullwidth, Arabic, Armenian, Greek ano teleia kept out:
# it is a semicolon in Latin text), and question words that open a question without a mark.
QUESTION_MARKS = ("?", "？", "؟", "¿", "՞", "⸮", "፧", "꘏", "၊?")
# Words that open a question in some languages; words that often open statements too ("que",
# "como", "was", "come", "will") are left out: a question mark still catches those questions.
QUESTION_WORDS = frozenset(
    {
        *("who", "what", "when", "where", "why", "how", "which", "whose", "whom", "is", "are"),
        *("does", "did", "can", "could", "would", "should", "anyone", "qui", "quoi", "quand"),
        *("où", "pourquoi", "comment", "quel", "quelle", "quels", "quelles", "qué", "quién"),
        *("quiénes", "cuándo", "dónde", "cómo", "cuál", "cuáles", "quem", "quando", "onde"),
        *("qual", "quais", "chi", "dove", "perché", "quale", "wer", "wann", "warum", "wieso"),
        *("weshalb", "welche", "welcher", "welches", "wat", "wanneer", "waar", "waarom", "hoe"),
        *("welke", "من", "متى", "أين", "لماذا", "كيف", "هل", "ماذا", "kim", "neden", "nasıl"),
        *("nerede", "hangi", "siapa", "kapan", "dimana", "mengapa", "bagaimana", "nani"),
        *("nini", "lini", "wapi"),
    }
)
_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)
# Scripts without spaces: a trailing interrogative particle marks a question.
_PARTICLES = ("吗", "嗎", "呢", "か", "까", "니")


def is_question(text: str) -> bool:
    """True when the text asks something: a question mark of any script, an opening question word
    (after leading @mentions and #hashtags), or a CJK question particle before final punctuation."""
    norm = unicodedata.normalize("NFKC", text)
    if any(mark in text or mark in norm for mark in QUESTION_MARKS):
        return True
    body = re.sub(r"^(?:\s*[@#]\w+)+", "", norm).strip()
    first = _WORD.search(body)
    if first is not None and first.group(0).casefold() in QUESTION_WORDS:
        return True
    return body.rstrip(" .!。！").endswith(_PARTICLES)


def organiser_ids(competition: Competition, entries: Iterable[Entry]) -> frozenset[str]:
    """User ids of organisers known from the entries' authors (replies carry only a user id)."""
    orgs = cached_handle_set(competition.organisers)
    return frozenset(e.author.id for e in entries if normalise_handle(e.author.username) in orgs)


@overload
def _seconds(when: datetime) -> datetime: ...
@overload
def _seconds(when: None) -> None: ...
def _seconds(when: datetime | None) -> datetime | None:
    """Whole seconds, UTC: X reports whole seconds, and a frozen result keeps seconds, so facts
    must not carry precision a recomputation from the result would not have."""
    return None if when is None else when.astimezone(UTC).replace(microsecond=0)


def is_bot_command(text: str, bot_username: str | None) -> bool:
    """Whether `text` is a command addressed to the bot ("@bot rank", "@bot aide", in any language
    the bot knows): a request to the bot, never an entry, whatever hashtag it carries."""
    if not bot_username:
        return False
    return parse_command(text, bot_username, SUPPORTED_LANGUAGES) is not None


def facts_of(
    competition: Competition,
    entry: Entry,
    *,
    org_ids: Collection[str] = (),
    bot_username: str | None = None,
) -> EntryFacts:
    """The facts the rules use about `entry`. `org_ids` are organiser user ids (see
    `organiser_ids`); a reply whose target user is among them, or that is addressed to an organiser
    by a leading mention, counts as a reply to the organisers' posts. With `bot_username`, a text
    that is a command to the bot is marked `bot_command`."""
    t = entry.post
    orgs = cached_handle_set(competition.organisers)
    mentions = tuple(normalise_handle(m) for m in t.mentions)
    to_org = t.is_reply and (
        (t.in_reply_to_author_id is not None and t.in_reply_to_author_id in org_ids)
        or (bool(mentions) and mentions[0] in orgs)
    )
    return EntryFacts(
        key=entry.key,
        post_id=t.id,
        author_id=entry.author.id,
        username=entry.author.username,
        created_at=_seconds(t.created_at),
        status=entry.status,
        is_repost=t.is_repost,
        is_reply=t.is_reply,
        is_quote=t.is_quote,
        hashtags=tuple(normalise_tag(h) for h in t.hashtags),
        mentions=mentions,
        lang=t.lang,
        author_created_at=_seconds(entry.author.created_at),
        followers=entry.author.followers,
        author_protected=entry.author.protected,
        metrics=t.metrics,
        metrics_at=_seconds(entry.metrics_at),
        repliers=tuple(
            sorted(
                (
                    Reply(
                        r.reply_id,
                        r.author_id,
                        r.username,
                        _seconds(r.created_at),
                        _seconds(r.author_created_at),
                        r.followers,
                        r.protected,
                    )
                    for r in {r.reply_id: r for r in entry.repliers}.values()
                ),
                key=reply_order,
            )
        ),
        question=is_question(t.full_text),
        reply_to_organiser=to_org,
        text=t.full_text,
        bot_command=is_bot_command(t.full_text, bot_username),
    )


def reply_order(r: Reply) -> tuple[object, ...]:
    """Replies oldest first, then by id (numeric order): how results list them."""
    return (r.created_at, len(r.reply_id), r.reply_id)


def _failures(c: Competition, f: EntryFacts, bot_username: str | None) -> list[tuple[str, str]]:
    """Every failed global rule of `f` as (code, reason)."""
    out: list[tuple[str, str]] = []
    if f.created_at < c.start:
        out.append(
            ("outside-window", f"created {iso(f.created_at)}, before the start {iso(c.start)}")
        )
    elif f.created_at >= c.end:
        out.append(
            ("outside-window", f"created {iso(f.created_at)}, at or after the end {iso(c.end)}")
        )
    tags = {normalise_tag(h) for h in c.hashtags}
    accounts = cached_handle_set(c.accounts)
    if (tags or accounts) and not (tags & set(f.hashtags) or accounts & set(f.mentions)):
        wanted = ", ".join([*(f"#{h}" for h in sorted(tags)), *(f"@{a}" for a in sorted(accounts))])
        seen = ", ".join([*(f"#{h}" for h in f.hashtags), *(f"@{m}" for m in f.mentions)]) or "none"
        out.append(("no-tracked-tag", f"has none of {wanted} (found: {seen})"))
    if f.is_repost:
        out.append(("retweet", "a retweet; only original posts count"))
    if f.is_reply and not c.eligibility.allow_replies:
        out.append(("reply-not-allowed", "a reply; this competition counts original posts only"))
    if f.is_quote and not c.eligibility.allow_quotes:
        out.append(("quote-not-allowed", "a quote post; this competition does not count quotes"))
    handle = normalise_handle(f.username)
    if handle in cached_handle_set(c.excluded_accounts):
        out.append(("excluded-account", f"@{f.username} is on the excluded accounts list"))
    if handle in cached_handle_set(c.organisers):
        out.append(("organiser", f"@{f.username} is an organiser"))
    if bot_username is not None and handle == normalise_handle(bot_username):
        out.append(("bot-account", f"@{f.username} is the bot itself"))
    if f.bot_command:
        out.append(("bot-command", "a command addressed to the bot (such as rank), not an entry"))
    e = c.eligibility
    out.extend(
        _account_failures(
            f"@{f.username}",
            f.author_created_at,
            f.followers,
            c.start,
            ReplierRules(e.min_account_age_days, e.min_followers),
            needed="at least {n} required",
        )
    )
    langs = {lang.casefold() for lang in c.eligibility.languages}
    lang = (f.lang or "und").casefold()
    if langs and lang not in NEUTRAL_LANGS and lang not in langs:
        allowed = ", ".join(sorted(langs))
        out.append(("language", f"language {f.lang!r}; allowed: {allowed}"))
    if f.status == "deleted":
        out.append(("deleted", "the post was deleted"))
    if f.status == "protected" or f.author_protected:
        out.append(("protected", f"@{f.username}'s posts are protected (not public)"))
    return out


def entry_exclusions(
    competition: Competition,
    facts: EntryFacts,
    *,
    bot_username: str | None = None,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] = (),
) -> list[Exclusion]:
    """Every global rule `facts` fails, in `RULES` order (empty: eligible in every category so far).

    `disqualified` maps entry keys to the organiser's reason; a key in `requalified` lifts the
    manual disqualification and the heuristic rules (`LIFTABLE_RULES`)."""
    fails = _failures(competition, facts, bot_username)
    reason = (disqualified or {}).get(facts.key)
    if reason is not None:
        fails.append(("disqualified", f"disqualified by the organisers: {reason}"))
    if facts.key in requalified:
        fails = [(code, why) for code, why in fails if code not in LIFTABLE_RULES]
    return [Exclusion(facts.key, facts.post_id, facts.username, code, why) for code, why in fails]


# Why a reply does not count in a distinct-repliers score, in the order they are checked.
REPLY_RULES: tuple[str, ...] = (
    "after-end",
    "self-reply",
    "excluded-account",
    "organiser",
    "bot-account",
    "community-member",
    "account-too-new",
    "too-few-followers",
)


def replier_rules(competition: Competition, category: Category) -> ReplierRules:
    """The rules a category's repliers must pass: its own, or by default the entrant rules."""
    if category.repliers is not None:
        return category.repliers
    e = competition.eligibility
    return ReplierRules(min_account_age_days=e.min_account_age_days, min_followers=e.min_followers)


def reply_exclusion(
    competition: Competition,
    category: Category,
    facts: EntryFacts,
    reply: Reply,
    *,
    bot_username: str | None = None,
    outside_only: bool = False,
) -> tuple[str, str] | None:
    """Why `reply` to the entry `facts` does not count in `category`'s distinct repliers, as
    (code, reason), or None when it counts. The fixed rules: only replies created before the end,
    never the entry's author, an excluded account, an organiser or the bot (and, with
    `outside_only`, never a community member); then the category's replier rules
    (`replier_rules`: account age at the start, followers)."""
    who = normalise_handle(reply.username)
    name = f"@{reply.username}" if reply.username else f"account {reply.author_id}"
    if reply.created_at >= competition.end:
        return ("after-end", f"replied {iso(reply.created_at)}, at or after the end")
    if (reply.author_id and reply.author_id == facts.author_id) or (
        who and who == normalise_handle(facts.username)
    ):
        return ("self-reply", f"{name} is the entry's author")
    if who in cached_handle_set(competition.excluded_accounts):
        return ("excluded-account", f"{name} is on the excluded accounts list")
    if who in cached_handle_set(competition.organisers):
        return ("organiser", f"{name} is an organiser")
    if bot_username is not None and who == normalise_handle(bot_username):
        return ("bot-account", f"{name} is the bot itself")
    if outside_only and who in community_handles(competition):
        return ("community-member", f"{name} is a community member; outside replies only")
    failed = _account_failures(
        name,
        reply.author_created_at,
        reply.followers,
        competition.start,
        replier_rules(competition, category),
        needed="repliers need at least {n}",
    )
    return failed[0] if failed else None


def _account_failures(
    name: str,
    created_at: datetime | None,
    followers: int,
    start: datetime,
    rules: ReplierRules,
    *,
    needed: str,
) -> list[tuple[str, str]]:
    """The account rules an author or a replier fails: `account-too-new` (`min_account_age_days`
    at the competition's start; an unknown creation date fails) and `too-few-followers`."""
    out: list[tuple[str, str]] = []
    min_age = rules.min_account_age_days
    if min_age > 0:
        if created_at is None:
            out.append(("account-too-new", f"{name}'s account creation date is unknown"))
        elif start - created_at < timedelta(days=min_age):
            age = (start - created_at) / timedelta(days=1)
            out.append(
                (
                    "account-too-new",
                    f"{name}'s account was created {iso(created_at)}, {age:.1f} days before "
                    f"the start; {needed.format(n=min_age)}",
                )
            )
    if followers < rules.min_followers:
        out.append(
            (
                "too-few-followers",
                f"{name} has {followers} followers; {needed.format(n=rules.min_followers)}",
            )
        )
    return out


def rule_order(code: str) -> int:
    """Position of a rule code in the report order (unknown codes last)."""
    everything = RULES + CATEGORY_RULES
    return everything.index(code) if code in everything else len(everything)
