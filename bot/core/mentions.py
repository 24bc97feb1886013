"""Replies to participants who mention the bot: recognising the command word after the @mention
(in each configured language, case- and diacritic-insensitive), composing the reply with their
current standing (or help), and the one-reply-per-user-per-period rule.

A reply never contains any text the user wrote: it is built from their handle (checked against X's
handle rules), the organisers' category titles and numbers only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.composing import category_title, format_score, ltr, make_draft
from bot.core.events import SUPPORTED_LANGUAGES, Templates
from bot.core.models import Competition, Standings
from bot.core.templates import isolate, phrase, render, template_for
from bot.core.textlength import MAX_WEIGHTED_LENGTH, weighted_length

CommandName = Literal["rank", "help"]

COMMAND_WORDS: Mapping[str, Mapping[CommandName, tuple[str, ...]]] = {
    "en": {"rank": ("rank", "ranking", "standing", "standings", "position"), "help": ("help",)},
    "fr": {"rank": ("classement", "rang", "position"), "help": ("aide",)},
    "es": {"rank": ("clasificación", "posición", "puesto", "rango"), "help": ("ayuda",)},
    "ar": {"rank": ("ترتيب", "الترتيب", "ترتيبي"), "help": ("مساعدة", "المساعدة")},
    "zh": {"rank": ("排名", "名次"), "help": ("帮助",)},
    "ru": {"rank": ("рейтинг", "место", "позиция"), "help": ("помощь",)},
}

_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_MENTION = re.compile(r"[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])")
_EDGE_PUNCT = "¿¡?!.,;:…'\"«»“”‘’()[]{}<>-—–؟،。！？，、：；"


@dataclass(frozen=True)
class Command:
    name: CommandName
    lang: str


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: NFKD, combining marks (accents, Arabic harakat) and
    tatweel dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "\u0640")
    return unicodedata.normalize("NFC", kept).casefold()


def _lookup(languages: Sequence[str]) -> list[tuple[str, CommandName, str]]:
    langs = [x for x in languages if x in COMMAND_WORDS] or list(SUPPORTED_LANGUAGES)
    return [
        (fold(word), name, lang)
        for lang in langs
        for name, words in COMMAND_WORDS[lang].items()
        for word in words
    ]


def parse_command(text: str, bot_username: str, languages: Sequence[str]) -> Command | None:
    """The command in a mention: the first word after the bot's @handle, other @handles skipped.
    Words without spaces around them (Chinese) match as a prefix. None when there is none."""
    bot = bot_username.lstrip("@").casefold()
    at = next((m for m in _MENTION.finditer(text) if m.group(1).casefold() == bot), None)
    if at is None:
        return None
    rest = text[at.end() :]
    while True:
        rest = rest.lstrip()
        m = _MENTION.match(rest)
        if m is None:
            break
        rest = rest[m.end() :]
    folded = fold(rest).lstrip(_EDGE_PUNCT + " ")
    first = folded.split(maxsplit=1)[0].strip(_EDGE_PUNCT) if folded.split() else ""
    if not first:
        return None
    for word, name, lang in _lookup(languages):
        if first == word or (_is_cjk_word(word) and first.startswith(word)):
            return Command(name, lang)
    return None


def _is_cjk_word(word: str) -> bool:
    return all(0x3400 <= ord(ch) <= 0x9FFF for ch in word)


def may_reply(last_reply_at: datetime | None, now: datetime, period: timedelta) -> bool:
    """At most one reply per user per `period`."""
    return last_reply_at is None or now - last_reply_at >= period


@dataclass(frozen=True)
class StandingLine:
    """A user's place in one category: `rank` None when they have no eligible entry."""

    category: str
    rank: int | None
    total: int
    score: float | None = None


def standing_of(username: str, standings: Standings) -> tuple[StandingLine, ...]:
    """The user's best rank in every category (handles compare case-insensitively)."""
    who = username.casefold()
    out = []
    for cs in standings.categories:
        mine = [r for r in cs.entries if r.username.casefold() == who]
        best = min(mine, key=lambda r: r.rank) if mine else None
        out.append(
            StandingLine(
                category_title(cs.category),
                best.rank if best else None,
                len(cs.entries),
                best.score if best else None,
            )
        )
    return tuple(out)


def _line(s: StandingLine, lang: str) -> str:
    if s.rank is None:
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
    user = isolate("@" + _safe_handle(username), lang)
    title = ltr(competition.title, lang)
    template = template_for("mention_reply", lang, templates)
    ordered = sorted(standing, key=lambda s: s.rank is None)  # ranked first, stable otherwise
    lines = [_line(s, lang) for s in ordered]
    for shown in range(len(lines), -1, -1):
        body = lines[:shown]
        if shown < len(lines):
            body.append(phrase("more_categories", lang).format(n=len(lines) - shown))
        text = render(template, {"username": user, "title": title, "standing": "\n".join(body)})
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
