"""`[[event]]` and `[posting]` parsing: good input becomes core values, each mistake a Problem."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.config import ConfigError, parse_config
from bot.config.posting import parse_events
from bot.core.events import Event, PostingConfig

GOOD = """
[[event]]
id = "igf-webinar-1"
title = "IGF webinar: the open internet"
start = "2026-10-27T15:00:00"
timezone = "Europe/Paris"
duration = "1h30m"
link = "https://example.org/webinar"
languages = ["en", "fr", "es"]
show_zones = ["UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi"]
reminders = ["24h", "1h"]
post_mode = "per-language"
post_languages = ["en", "fr"]

[[event]]
id = "igf-webinar-2"
title = "Second"
start = 2026-11-03T15:00:00+01:00

[bot]
username = "igf_contestbot"

[posting]
enabled = true
dry_run = true
grace = "45m"
approval = ["winners", "launch"]
leaderboard_updates = ["2026-11-01T12:00+01:00", "2026-11-02T12:00+01:00"]
leaderboard_top = 5
chart = true
monthly_budget_usd = 25
mention_reply_period = "2h"
languages = ["en", "fr", "ar"]

[posting.prices]
post_create_with_url = 0.25

[posting.templates.fr]
reminder = "Rappel : {title} dans {countdown}\\n{times}\\n{link}"
"""


def parse(text: str) -> tuple[object, list[str]]:
    config, problems = parse_events(tomllib.loads(text), source="config/contestbot.toml")
    return config, [p.render() for p in problems]


def test_good_sections() -> None:
    config, problems = parse_events(tomllib.loads(GOOD), source="c.toml")
    assert problems == []
    first, second = config.events
    assert first == Event(
        id="igf-webinar-1",
        title="IGF webinar: the open internet",
        start=datetime(2026, 10, 27, 14, 0, tzinfo=UTC),
        zone="Europe/Paris",
        duration=timedelta(minutes=90),
        link="https://example.org/webinar",
        languages=("en", "fr", "es"),
        show_zones=("UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore", "Africa/Nairobi"),
        reminders=(timedelta(hours=24), timedelta(hours=1)),
        post_mode="per-language",
        post_languages=("en", "fr"),
    )
    assert second.start == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert second.show_zones == ("UTC",)
    p = config.posting
    assert p.dry_run and p.chart and p.enabled
    assert p.grace == timedelta(minutes=45)
    assert p.approval == frozenset({"winners", "launch"})
    assert p.leaderboard_updates == (
        datetime(2026, 11, 1, 11, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 11, 0, tzinfo=UTC),
    )
    assert p.leaderboard_top == 5
    assert p.monthly_budget_usd == Decimal("25")
    assert p.prices.post_create_with_url == Decimal("0.25")
    assert p.prices.post_create == Decimal("0.015")
    assert p.mention_reply_period == timedelta(hours=2)
    assert p.languages == ("en", "fr", "ar")
    assert (
        p.templates.override("reminder", "fr")
        == "Rappel : {title} dans {countdown}\n{times}\n{link}"
    )


def test_defaults_and_interval() -> None:
    config, problems = parse_events(
        tomllib.loads('[posting]\nleaderboard_updates = "6h"\n'), source="c.toml"
    )
    assert problems == []
    assert config.posting == PostingConfig(leaderboard_interval=timedelta(hours=6))


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00+01:00"\n'
            'show_zones = ["Mars/Olympus"]',
            'config/contestbot.toml: key "event[e].show_zones": "Mars/Olympus" is not a known time '
            "zone — use an IANA zone name",
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00+01:00"\n'
            'duration = "an hour"',
            'key "event[e].duration": "an hour" is not a duration — write it like "1h30m"',
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00"',
            'key "event[e].start": "2026-10-27T15:00:00" has no UTC offset and no timezone is set',
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-03-29T02:30:00"\n'
            'timezone = "Europe/Paris"',
            "does not exist in Europe/Paris",
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"\nreminders = ["1x"]',
            'key "event[e].reminders": "1x" is not a duration',
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"\n'
            'post_languages = ["en", "de"]',
            'key "event[e].post_languages": "de" is not a language the bot can write posts in',
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"\npost_mode = "both"',
            'key "event[e].post_mode": "both" is not one of the choices — use one of: '
            "per-language, combined",
        ),
        (
            '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"\nlnk = "x"',
            'key "event[e].lnk": is not a known key — did you mean "link"?',
        ),
        (
            '[[event]]\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"',
            'key "event[1].id" is missing — add id = "igf-webinar-1"',
        ),
        (
            '[posting.templates.fr]\nreminder = "{title} {speaker}"',
            'key "posting.templates.fr.reminder": "{title} {speaker}" cannot be used — unknown '
            "placeholder {speaker}; use one of {countdown}",
        ),
        (
            '[posting.templates.de]\nreminder = "{title}"',
            'key "posting.templates.de": is not a language the bot can write in',
        ),
        (
            '[posting.templates.fr]\nwinner = "{title}"',
            'key "posting.templates.fr.winner": is not a known key — did you mean "winners"?',
        ),
        ('[posting]\napproval = ["winner"]', 'key "posting.approval": "winner" is not a post kind'),
        ("[posting]\ngrace = 30", 'key "posting.grace": 30 is an integer, not a duration'),
        (
            "[posting]\nmonthly_budget_usd = -1",
            'key "posting.monthly_budget_usd": -1 is not a non-negative amount',
        ),
        (
            '[posting]\nleaderboard_updates = ["2026-11-01T12:00"]',
            'key "posting.leaderboard_updates": "2026-11-01T12:00" is not an ISO-8601 time with an '
            "offset",
        ),
        (
            '[posting.prices]\npost_create = "cheap"',
            'key "posting.prices.post_create": "cheap" is not an amount in dollars',
        ),
        ('[posting]\nlanguages = ["en", "xx"]', 'key "posting.languages": "xx" is not a language'),
    ],
)
def test_each_mistake_is_one_problem(snippet: str, expected: str) -> None:
    _, problems = parse(snippet)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert " — " in problems[0]  # every problem carries a fix


def test_duplicate_event_ids() -> None:
    event = '[[event]]\nid = "e"\ntitle = "T"\nstart = "2026-10-27T15:00:00Z"\n'
    _, problems = parse(event + event)
    assert len(problems) == 1 and "already used by another event" in problems[0]


def test_sections_are_registered_with_load_config() -> None:
    config = parse_config(GOOD, source="c.toml")
    events = config.sections["event"]
    assert isinstance(events, tuple) and events[0].id == "igf-webinar-1"
    assert isinstance(config.sections["posting"], PostingConfig)
    with pytest.raises(ConfigError, match=r"posting\.grace"):
        parse_config('[posting]\ngrace = "soon"\n', source="c.toml")
