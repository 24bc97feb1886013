"""Composing: every post fits 280 weighted characters, threads carry all the content, templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.composing import (
    compose_launch,
    compose_leaderboard_update,
    compose_reminder,
    compose_winners,
)
from bot.core.events import SUPPORTED_LANGUAGES, Event, Templates
from bot.core.models import Category, CategoryStanding, Competition, Ranked, Standings, post_url
from bot.core.templates import LRI, PDI, template_problem
from bot.core.textlength import weighted_length
from bot.core.threads import strip_numbering

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DIGEST = "3f2a9c0d1e4b5a6978877665544332211ffeeddccbbaa99887766554433221100"

TITLE_PIECES = list("abcXYZ :-'") + list("互联网治理论坛") + list("الحوكمة")
TITLE_PIECES += ["🎉", "👩🏽‍💻", "é", "ж", " #IGF ", " @igf "]
titles = (
    st.lists(st.sampled_from(TITLE_PIECES), min_size=1, max_size=90)
    .map(lambda xs: "".join(xs).strip())
    .filter(bool)
)
handles = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)
langs = st.sampled_from(SUPPORTED_LANGUAGES)
links = st.builds(
    lambda path: f"https://example.org/{path}",
    st.from_regex(r"[a-z0-9/]{0,200}", fullmatch=True),
)


def squash(text: str) -> str:
    return "".join(text.split())


def joined(parts: tuple[str, ...]) -> str:
    bodies = [strip_numbering(p) for p in parts] if len(parts) > 1 else list(parts)
    return squash("".join(bodies))


def assert_fits(parts: tuple[str, ...], lengths: tuple[int, ...]) -> None:
    assert parts
    assert lengths == tuple(weighted_length(p) for p in parts)
    assert all(n <= 280 for n in lengths)


def make_competition(title: str, n_categories: int) -> Competition:
    cats = tuple(
        Category(id=f"cat-{i}", kind="likes", title=f"Category {i}", winners=1 + i % 2)
        for i in range(n_categories)
    )
    return Competition(
        id="igf2026",
        title=title,
        hashtags=("IGF2026", "互联网"),
        start=T0,
        end=T0 + timedelta(days=7),
        categories=cats,
        timezone="Europe/Paris",
    )


def make_standings(comp: Competition, users: list[str]) -> Standings:
    cats = []
    for ci, cat in enumerate(comp.categories):
        entries = tuple(
            Ranked(
                rank=r + 1,
                key=str(1000 + ci * 100 + r),
                post_id=str(1900000000000000000 + ci * 100 + r),
                author_id=str(r),
                username=u,
                score=float(100 - r),
                created_at=T0,
                url=post_url(u, str(1900000000000000000 + ci * 100 + r)),
            )
            for r, u in enumerate(users)
        )
        cats.append(CategoryStanding(cat, entries))
    return Standings(comp.id, T0 + timedelta(days=7), tuple(cats))


@settings(max_examples=150, deadline=None)
@given(
    title=titles,
    link=links,
    lang_list=st.lists(langs, min_size=1, max_size=4, unique=True),
    combined=st.booleans(),
    offset_min=st.integers(min_value=1, max_value=60 * 48),
)
def test_reminders_fit_and_keep_every_line(
    title: str, link: str, lang_list: list[str], combined: bool, offset_min: int
) -> None:
    ev = Event(
        id="w1",
        title=title,
        start=datetime(2026, 10, 26, 19, 0, tzinfo=ZoneInfo("Europe/Paris")),
        zone="Europe/Paris",
        duration=timedelta(minutes=90),
        link=link,
        languages=("en", "fr", "es"),
        show_zones=("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi"),
    )
    offset = timedelta(minutes=offset_min)
    drafts = (
        [compose_reminder(ev, offset, lang_list)]
        if combined
        else [compose_reminder(ev, offset, x) for x in lang_list]
    )
    for d in drafts:
        assert_fits(d.parts, d.lengths)
        whole = compose_reminder(ev, offset, d.lang.split("+"), limit=100_000)
        assert len(whole.parts) == 1
        assert joined(d.parts) == squash(whole.parts[0])
        assert link in "".join(d.parts)


@settings(max_examples=100, deadline=None)
@given(
    title=titles,
    users=st.lists(handles, min_size=0, max_size=12),
    n_categories=st.integers(min_value=1, max_value=8),
    top_n=st.integers(min_value=1, max_value=10),
    lang=langs,
)
def test_competition_posts_fit_and_carry_every_winner(
    title: str, users: list[str], n_categories: int, top_n: int, lang: str
) -> None:
    comp = make_competition(title, n_categories)
    standings = make_standings(comp, users)
    launch = compose_launch(comp, lang)
    board = compose_leaderboard_update(comp, standings, top_n, lang)
    winners = compose_winners(comp, standings, DIGEST, lang)
    for d in (launch, board, winners):
        assert_fits(d.parts, d.lengths)
    whole = compose_winners(comp, standings, DIGEST, lang, limit=100_000)
    assert joined(winners.parts) == squash(whole.parts[0])
    text = "".join(winners.parts)
    assert DIGEST[:16] in text and DIGEST[:17] not in text
    for cs in standings.categories:
        for r in cs.entries[: cs.category.winners]:
            assert f"@{r.username}" in text
            assert r.url in text
    board_whole = compose_leaderboard_update(comp, standings, top_n, lang, limit=100_000)
    assert joined(board.parts) == squash(board_whole.parts[0])


def test_english_winners_reads_well() -> None:
    comp = make_competition("IGF 2026", 2)
    standings = make_standings(comp, ["alice", "bob"])
    d = compose_winners(comp, standings, DIGEST, "en")
    text = "\n".join(d.parts)
    assert text.startswith("🏆 IGF 2026: the winners!")
    assert "Category 0: @alice https://x.com/alice/status/1900000000000000000" in text
    assert "1. @alice https://x.com/alice/status/1900000000000000100" in text
    assert "2. @bob https://x.com/bob/status/1900000000000000101" in text
    assert "Results digest 3f2a9c0d1e4b5a69… Verify: contestbot verify igf2026" in text
    assert "#IGF2026 #互联网" in text


def test_winners_with_many_categories_becomes_a_numbered_thread() -> None:
    comp = make_competition("IGF 2026", 8)
    d = compose_winners(comp, make_standings(comp, ["alice", "bob", "carol"]), DIGEST, "fr")
    assert d.is_thread
    assert all(p.endswith(f"/{len(d.parts)}") for p in d.parts)
    # A category's block is kept whole: no post starts with a rank line.
    assert not any(strip_numbering(p).startswith("2.") for p in d.parts)


def test_category_without_entries_says_so() -> None:
    comp = make_competition("IGF", 1)
    d = compose_winners(comp, make_standings(comp, []), DIGEST, "es")
    assert "Category 0: ninguna participación válida" in d.parts[0]


def test_arabic_post_isolates_handles_and_links() -> None:
    comp = make_competition("IGF", 1)
    d = compose_winners(comp, make_standings(comp, ["alice"]), DIGEST, "ar")
    assert (
        f"{LRI}@alice{PDI} {LRI}https://x.com/alice/status/1900000000000000000{PDI}" in (d.parts[0])
    )
    assert "الفائزون" in d.parts[0]


def test_reminder_template_override_and_unknown_placeholder() -> None:
    ev = Event("w1", "Webinar", datetime(2026, 10, 26, 18, 0, tzinfo=UTC), show_zones=("UTC",))
    own = Templates({("reminder", "fr"): "Bientôt : {title} à {times} ({countdown})"})
    d = compose_reminder(ev, timedelta(hours=1), "fr", own)
    assert d.parts == ("Bientôt : Webinar à UTC 18:00 (1 h)",)
    assert compose_reminder(ev, timedelta(hours=1), "en", own).parts[0].startswith("⏰ Reminder")
    problem = template_problem("reminder", "{title} {speaker}")
    assert problem is not None and "unknown placeholder {speaker}" in problem
    assert template_problem("reminder", "{title.__class__}") is not None
    assert template_problem("reminder", "{title:>10}") is not None
    assert template_problem("reminder", "{0}") is not None
    assert template_problem("reminder", "{title") is not None
    assert template_problem("winners", "{title} {winners} {verify}") is None


def test_builtin_templates_are_valid() -> None:
    from bot.core.templates import BUILTIN

    for kind, table in BUILTIN.items():
        assert set(table) == set(SUPPORTED_LANGUAGES)
        for text in table.values():
            assert template_problem(kind, text) is None


def test_empty_template_is_an_error() -> None:
    ev = Event("w1", "Webinar", datetime(2026, 10, 26, 18, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="empty"):
        compose_reminder(ev, timedelta(hours=1), "en", Templates({("reminder", "en"): " "}))


def test_a_jury_category_without_picks_announces_no_winner_yet() -> None:
    """The shortlist of a jury that has not decided is not a result: never name its first entry."""
    comp = make_competition("IGF 2026", 1)
    standings = make_standings(comp, ["alice"])
    cs = standings.categories[0]
    jury = Category(id="best-question", kind="jury", title="Best question")
    awaiting = CategoryStanding(jury, cs.entries, winners=(), awaiting_jury=True)
    pending = Standings(standings.competition_id, standings.computed_at, (awaiting,))
    for lang in SUPPORTED_LANGUAGES:
        text = "\n".join(compose_winners(comp, pending, DIGEST, lang).parts)
        assert "@alice" not in text, lang
    text = "\n".join(compose_winners(comp, pending, DIGEST, "en").parts)
    assert "Best question: the jury's decision is still to come" in text
