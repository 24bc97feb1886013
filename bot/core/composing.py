"""Post texts: event reminders, the competition launch, leaderboard updates and the winners
announcement, in each supported language, from the built-in or organiser templates.

Every function returns a `Draft` whose parts were measured with `weighted_length`: one part when the
content fits a post, else a thread split by `bot.core.threads.split_thread` (never truncated). In
right-to-left posts, handles, URLs, hashtags and Latin titles are wrapped in Unicode isolates.
Pure: no clock, no I/O; what time it is never changes the text except where passed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.events import RTL_LANGUAGES, Event, Templates
from bot.core.models import Category, CategoryStanding, Competition, Ranked, Standings
from bot.core.templates import ENDONYMS, isolate, phrase, render, template_for
from bot.core.textlength import MAX_WEIGHTED_LENGTH, weighted_length
from bot.core.threads import split_thread
from bot.core.timing import (
    format_duration,
    render_date,
    render_times,
    weekday_name,
    zone,
    zone_label,
)

_RTL_CHAR = re.compile(r"[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
DIGEST_SHOWN = 16  # hex characters of the results digest shown in the announcement


@dataclass(frozen=True)
class Draft:
    """A composed post: `parts` is one post, or a thread in order; `lengths` their weighted
    lengths (all at most 280)."""

    kind: str
    lang: str
    parts: tuple[str, ...]
    lengths: tuple[int, ...]

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1


def make_draft(
    kind: str, lang: str, content: str | Sequence[str], *, limit: int = MAX_WEIGHTED_LENGTH
) -> Draft:
    """Measure `content` and split it into a thread when it does not fit one post."""
    parts = tuple(split_thread(content, limit=limit))
    if not parts:
        raise ValueError(f"{kind} post in {lang!r} is empty; check its template")
    return Draft(kind, lang, parts, tuple(weighted_length(p) for p in parts))


def ltr(text: str, lang: str) -> str:
    """Isolate `text` in a right-to-left post unless it is itself right-to-left. Long runs stay
    bare: an isolate is never split across posts, and a long title must remain splittable."""
    if lang in RTL_LANGUAGES and len(text) <= 80 and not _RTL_CHAR.search(text):
        return isolate(text, lang)
    return text


def handle(username: str, lang: str) -> str:
    return isolate(f"@{username}", lang)


def format_score(score: float) -> str:
    if float(score).is_integer():
        return str(int(score))
    return f"{score:.2f}".rstrip("0").rstrip(".")


def hashtags(competition: Competition, lang: str) -> str:
    return " ".join(isolate(f"#{h}", lang) for h in competition.hashtags)


def category_title(category: Category) -> str:
    return category.title or category.id


def render_instant(when: datetime, zone_name: str, lang: str) -> str:
    """ "Mon 2026-11-02 09:00 Paris": weekday, ISO date, 24-hour clock, zone."""
    local = when.astimezone(zone(zone_name))
    text = f"{local.date().isoformat()} {local.strftime('%H:%M')} {zone_label(zone_name)}"
    return f"{weekday_name(local.date(), lang)} {isolate(text, lang)}"


# ------------------------------------------------------------------------------------- reminders


def reminder_text(event: Event, offset: timedelta, lang: str, templates: Templates | None) -> str:
    fields = {
        "title": ltr(event.title, lang),
        "date": render_date(event, lang),
        "times": "\n".join(render_times(event, lang)),
        "languages": phrase("list_sep", lang).join(ENDONYMS.get(x, x) for x in event.languages),
        "link": isolate(event.link, lang),
        "countdown": format_duration(offset, lang),
        "duration": format_duration(event.duration, lang),
    }
    return render(template_for("reminder", lang, templates), fields)


def compose_reminder(
    event: Event,
    offset: timedelta,
    langs: str | Sequence[str],
    templates: Templates | None = None,
    *,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> Draft:
    """The reminder `offset` before `event` in one language, or one combined post for several
    (each language its own paragraph block, and its own post when a thread is needed)."""
    languages = [langs] if isinstance(langs, str) else list(langs)
    if not languages:
        raise ValueError(f"event {event.id!r}: no language to write the reminder in")
    blocks = [reminder_text(event, offset, lang, templates) for lang in languages]
    return make_draft("reminder", "+".join(languages), blocks, limit=limit)


# ---------------------------------------------------------------------------------- competitions


def compose_launch(
    competition: Competition,
    lang: str,
    templates: Templates | None = None,
    *,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> Draft:
    sep = phrase("list_sep", lang)
    fields = {
        "title": ltr(competition.title, lang),
        "hashtags": hashtags(competition, lang),
        "start": render_instant(competition.start, competition.timezone, lang),
        "end": render_instant(competition.end, competition.timezone, lang),
        "categories": sep.join(ltr(category_title(c), lang) for c in competition.categories),
    }
    text = render(template_for("launch", lang, templates), fields)
    return make_draft("launch", lang, text, limit=limit)


def _standing_lines(cs: CategoryStanding, top_n: int, lang: str) -> str:
    lines = [ltr(category_title(cs.category), lang)]
    shown = [r for r in cs.entries if r.rank <= top_n]
    if not shown:
        lines.append(empty_phrase(cs, lang))
    for r in shown:
        lines.append(f"{r.rank}. {handle(r.username, lang)} {format_score(r.score)}")
    return "\n".join(lines)


def compose_leaderboard_update(
    competition: Competition,
    standings: Standings,
    top_n: int,
    lang: str,
    templates: Templates | None = None,
    *,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> Draft:
    """The top `top_n` of every category as of `standings.computed_at`."""
    fields = {
        "title": ltr(competition.title, lang),
        "hashtags": hashtags(competition, lang),
        "top": str(top_n),
        "as_of": render_instant(standings.computed_at, competition.timezone, lang),
        "standings": "\n\n".join(_standing_lines(cs, top_n, lang) for cs in standings.categories),
    }
    text = render(template_for("leaderboard", lang, templates), fields)
    return make_draft("leaderboard", lang, text, limit=limit)


def winners_of(cs: CategoryStanding) -> tuple[Ranked, ...]:
    """The prize-winning lines of a category, as scoring decided them (`CategoryStanding.winners`:
    a shared rank at the boundary wins together; a jury category wins only by the jury's picks).
    A jury category still awaiting its picks has no winner yet: its shortlist is not a result."""
    if cs.awaiting_jury:
        return ()
    if cs.winners:
        keys = set(cs.winners)
        return tuple(r for r in cs.entries if r.key in keys)
    return tuple(
        r
        for r in cs.entries
        if r.rank <= cs.category.winners and (cs.category.kind != "jury" or r.jury_rank is not None)
    )


def empty_phrase(cs: CategoryStanding, lang: str, *, final: bool = False) -> str:
    """What an empty category says: that entries competed but none reached the minimum score,
    or that there is no eligible entry (yet, while live)."""
    if cs.no_qualifying_entry:
        return phrase("no_qualifying", lang).format(min=format_score(cs.category.minimum))
    return phrase("no_winner" if final else "no_entry", lang)


def _winner_lines(cs: CategoryStanding, lang: str) -> str:
    title = ltr(category_title(cs.category), lang)
    won = winners_of(cs)
    if cs.awaiting_jury:
        return f"{title}: {phrase('jury_pending', lang)}"
    if not won:
        return f"{title}: {empty_phrase(cs, lang, final=True)}"
    if len(won) == 1 and cs.category.winners == 1:
        r = won[0]
        return f"{title}: {handle(r.username, lang)} {isolate(r.url, lang)}"
    rows = [f"{r.rank}. {handle(r.username, lang)} {isolate(r.url, lang)}" for r in won]
    return "\n".join([f"{title}:", *rows])


def compose_winners(
    competition: Competition,
    standings: Standings,
    digest: str,
    lang: str,
    templates: Templates | None = None,
    *,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> Draft:
    """Every category's winners with their @usernames and links to the winning posts, and the
    results digest (its first 16 hex characters and how to verify it). A thread when it does not
    fit; category blocks are kept whole where they can be."""
    verify = phrase("verify", lang).format(
        digest=isolate(digest[:DIGEST_SHOWN], lang), competition=isolate(competition.id, lang)
    )
    fields = {
        "title": ltr(competition.title, lang),
        "hashtags": hashtags(competition, lang),
        "winners": "\n\n".join(_winner_lines(cs, lang) for cs in standings.categories),
        "digest": isolate(digest[:DIGEST_SHOWN], lang),
        "verify": verify,
    }
    text = render(template_for("winners", lang, templates), fields)
    return make_draft("winners", lang, text, limit=limit)
