"""The `[reports]` config table (issue 11): defaults, "off", and one clear problem per bad value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import ConfigError, parse_config
from bot.config.reports import ReportsConfig, reports_of

BASE = """
[bot]
username = "igf_contestbot"

[[competition]]
id = "c1"
title = "T"
hashtags = ["IGFcontest"]
start = "2026-12-07T09:00:00Z"
end = "2026-12-11T18:00:00Z"

[[competition.categories]]
id = "most-liked"
kind = "likes"
"""


def test_defaults_without_the_table() -> None:
    assert reports_of(parse_config(BASE, source="t.toml").sections) == ReportsConfig()


def test_values_and_off() -> None:
    text = BASE + (
        '[reports]\nevery = "30m"\nown_posts_every = "off"\npublic_texts = true\n'
        'dir = "pages"\ntrack_organisers = false\nanalysis_days = 14\n'
    )
    got = reports_of(parse_config(text, source="t.toml").sections)
    assert got == ReportsConfig(
        every=timedelta(minutes=30),
        dir="pages",
        public_texts=True,
        own_posts_every=None,
        track_organisers=False,
        analysis_days=14,
    )


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('every = "10s"', "reports.every"),
        ('every = "30d"', "reports.every"),
        ('every = "soon"', "reports.every"),
        ("every = 5", "reports.every"),
        ('dir = "../elsewhere"', "reports.dir"),
        ('dir = ""', "reports.dir"),
        ("public_texts = 1", "reports.public_texts"),
        ("analysis_days = 1000", "reports.analysis_days"),
        ("analysis_days = -1", "reports.analysis_days"),
        ('colour = "red"', "reports.colour"),
    ],
)
def test_each_bad_value_is_one_problem_naming_the_key(line: str, named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + "[reports]\n" + line + "\n", source="t.toml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines
    assert named in lines[0]


def test_not_a_table() -> None:
    with pytest.raises(ConfigError, match="reports"):
        parse_config('reports = "yes"\n' + BASE, source="t.toml")
