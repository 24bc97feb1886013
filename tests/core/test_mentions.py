"""Mention commands in every language, standing replies that never echo the user, the rate rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.commands import Command, parse_command
from bot.core.events import SUPPORTED_LANGUAGES
from bot.core.mentions import (
    compose_command_reply,
    compose_help_reply,
    compose_standing_reply,
    may_reply,
    standing_of,
)
from bot.core.models import Category, CategoryStanding, Competition, Ranked, Standings
from bot.core.textlength import weighted_length

T0 = datetime(2026, 11, 2, tzinfo=UTC)
ALL = list(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@ContestBot rank", Command("rank", "en")),
        ("@contestbot RANK?", Command("rank", "en")),
        ("@someone @contestbot help please", Command("help", "en")),
        ("@contestbot Classement !", Command("rank", "fr")),
        ("@contestbot aide", Command("help", "fr")),
        ("@contestbot ¿clasificacion?", Command("rank", "es")),
        ("@contestbot CLASIFICACIÓN", Command("rank", "es")),
        ("@contestbot ترتيب", Command("rank", "ar")),
        ("@contestbot تَرْتِيب", Command("rank", "ar")),
        ("@contestbot مساعدة", Command("help", "ar")),
        ("@contestbot 排名", Command("rank", "zh")),
        ("@contestbot排名？", Command("rank", "zh")),
        ("@contestbot 帮助一下", Command("help", "zh")),
        ("@contestbot Рейтинг", Command("rank", "ru")),
        ("@contestbot помощь", Command("help", "ru")),
    ],
)
def test_command_words(text: str, expected: Command) -> None:
    assert parse_command(text, "ContestBot", ALL) == expected


@pytest.mark.parametrize(
    "text",
    [
        "rank @contestbot",
        "@contestbot ranked",
        "@contestbotx rank",
        "@contestbot hello rank",
        "@other rank",
        "@contestbot",
        "@contestbot 🎉",
    ],
)
def test_no_command(text: str) -> None:
    assert parse_command(text, "contestbot", ALL) is None


def test_only_configured_languages_are_recognised() -> None:
    assert parse_command("@bot classement", "bot", ["en"]) is None
    assert parse_command("@bot classement", "bot", ["en", "fr"]) == Command("rank", "fr")


def competition() -> Competition:
    cats = (Category("most-liked", "likes", "Most liked"), Category("most-replied", "replies"))
    return Competition("igf2026", "IGF 2026", ("IGF",), T0, T0 + timedelta(days=7), cats)


def standings(users: list[str]) -> Standings:
    comp = competition()
    entries = tuple(
        Ranked(i + 1, str(i), str(i), str(i), u, 10.0 - i, T0, f"https://x.com/{u}/status/{i}")
        for i, u in enumerate(users)
    )
    return Standings(
        comp.id,
        T0,
        (CategoryStanding(comp.categories[0], entries), CategoryStanding(comp.categories[1], ())),
    )


def test_standing_reply() -> None:
    s = standing_of("BOB", standings(["alice", "bob"]))
    text = compose_standing_reply("bob", s, "en", competition())
    assert text == (
        "@bob Your standing in IGF 2026:\nMost liked: #2 of 2 (9)\n"
        "most-replied: no eligible entry yet"
    )
    assert compose_standing_reply("bob", s, "fr", competition()).endswith(
        "most-replied: pas encore de participation éligible"
    )


def test_reply_never_echoes_user_text_and_refuses_non_handles() -> None:
    with pytest.raises(ValueError, match="not an X handle"):
        compose_standing_reply("evil text here", (), "en", competition())


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.sampled_from(SUPPORTED_LANGUAGES))
def test_reply_with_many_categories_fits_one_post(n: int, lang: str) -> None:
    cats = tuple(
        Category(f"c{i}", "likes", f"Category number {i} with a long title") for i in range(n)
    )
    comp = Competition("c", "IGF", ("IGF",), T0, T0 + timedelta(days=1), cats)
    st_ = Standings("c", T0, tuple(CategoryStanding(c, ()) for c in cats))
    text = compose_standing_reply("alice", standing_of("alice", st_), lang, comp)
    assert weighted_length(text) <= 280


def test_help_reply() -> None:
    text = compose_help_reply("alice", "es", competition())
    assert text == "@alice Mencióname con “clasificación” para ver tu clasificación en IGF 2026."


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.sampled_from(SUPPORTED_LANGUAGES))
def test_a_command_reply_is_one_post_stamped_with_the_time(n: int, lang: str) -> None:
    """The time stamp makes two answers to one user distinct; it is kept inside the one post."""
    cats = tuple(Category(f"c{i}", "likes", f"Category {i} long title") for i in range(n))
    comp = Competition("c", "IGF", ("IGF",), T0, T0 + timedelta(days=1), cats)
    line = standing_of("alice", Standings("c", T0, tuple(CategoryStanding(c, ()) for c in cats)))
    for name in ("rank", "help"):
        text = compose_command_reply(name, "alice", lang, comp, None, line, T0)
        assert weighted_length(text) <= 280
        assert "2026-11-02 00:00 UTC" in text


def test_rate_limit_per_user() -> None:
    hour = timedelta(hours=1)
    assert may_reply(None, T0, hour)
    assert not may_reply(T0, T0 + timedelta(minutes=59), hour)
    assert may_reply(T0, T0 + hour, hour)


def test_why_a_mention_gets_no_reply_is_decided_in_order() -> None:
    from bot.core.mentions import MAX_AGE, why_unanswered

    now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    ok = {
        "from_bot": False,
        "mentions_bot": True,
        "author_known": True,
        "created_at": now - timedelta(minutes=5),
        "has_command": True,
        "has_competition": True,
        "last_reply_at": None,
        "now": now,
        "period": timedelta(hours=6),
    }
    assert why_unanswered(**ok) is None  # type: ignore[arg-type]
    cases = [
        ({"from_bot": True}, "our own tweet"),
        ({"mentions_bot": False}, "does not mention the bot"),
        ({"author_known": False}, "author unknown"),
        ({"created_at": now - MAX_AGE - timedelta(seconds=1)}, "too old"),
        ({"has_command": False}, "no command word"),
        ({"has_competition": False}, "no competition configured"),
        ({"last_reply_at": now - timedelta(hours=5)}, "already answered within the period"),
    ]
    for change, why in cases:
        assert why_unanswered(**{**ok, **change}) == why  # type: ignore[arg-type]
    assert why_unanswered(**{**ok, "last_reply_at": now - timedelta(hours=6)}) is None  # type: ignore[arg-type]
    # the first reason wins: the bot's own post, even without a command word
    assert why_unanswered(**{**ok, "from_bot": True, "has_command": False}) == "our own tweet"  # type: ignore[arg-type]


def test_a_rank_question_is_about_the_running_competition_else_the_last_ended() -> None:
    from dataclasses import replace

    from bot.core.mentions import current_competition

    base = competition()
    early = replace(
        base, id="early", start=base.start - timedelta(days=30), end=base.start - timedelta(days=20)
    )
    later = replace(
        base, id="later", start=base.end + timedelta(days=10), end=base.end + timedelta(days=20)
    )
    assert current_competition((early, base, later), base.start) == base
    assert current_competition((early, later), base.start) == early
    assert current_competition((later,), base.start) == later
    assert current_competition((), base.start) is None
