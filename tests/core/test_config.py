"""Config validation: every kind of organiser mistake gives exactly one line naming the file, the
competition, the key, the bad value and the fix; a good file maps onto the core dataclasses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.config
from bot.config import ConfigError, ParseContext, Problem, load_config, parse_config
from bot.core.models import Category, Competition, Eligibility

SOURCE = "config/contestbot.toml"

COMPETITION = {
    "id": '"igf2026"',
    "title": '"IGF community Twitter competition"',
    "hashtags": '["IGFcontest", "#InternetGov"]',
    "start": '"2026-11-02T09:00:00+01:00"',
    "end": '"2026-11-06T18:00:00+01:00"',
}
CATEGORY = {"id": '"most-liked"', "kind": '"likes"'}


def config_text(
    comp: dict[str, str | None] | None = None,
    cat: dict[str, str | None] | None = None,
    extra: str = "",
    top: str = "",
) -> str:
    """A valid config with the competition's and first category's keys overridden (None removes
    a key); `extra` is appended inside the competition, `top` before it."""
    c = {**COMPETITION, **(comp or {})}
    k = {**CATEGORY, **(cat or {})}
    lines = [top, "[[competition]]"]
    lines += [f"{key} = {value}" for key, value in c.items() if value is not None]
    lines.append(extra)
    lines.append("[[competition.categories]]")
    lines += [f"{key} = {value}" for key, value in k.items() if value is not None]
    return "\n".join(lines) + "\n"


def problems_of(text: str, base_dir: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source=SOURCE, base_dir=base_dir or Path("."))
    return info.value.lines()


# (case name, config text, fragments the single line must contain)
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "bad TOML syntax",
        "[[competition]]\nid = igf2026\n",
        ("config/contestbot.toml: is not valid TOML", "line 2", "fix the syntax"),
    ),
    (
        "unknown key (typo)",
        config_text(extra='hashtag = ["x"]'),
        ('competition "igf2026"', 'key "hashtag"', "not a known key", 'did you mean "hashtags"'),
    ),
    (
        "unknown top-level section",
        config_text(top="[bots]\nusername = 'x'"),
        ('key "bots"', "not a known key", 'did you mean "bot"'),
    ),
    (
        "unknown key in a category",
        config_text(cat={"winner": "3"}),
        ('key "categories[1].winner"', 'did you mean "winners"'),
    ),
    (
        "unknown zone",
        config_text(
            comp={"timezone": '"Europe/Pariss"', "start": '"2026-11-02T09:00"', "end": None},
            extra='end = "2026-11-06T18:00+01:00"',
        ),
        ('key "timezone"', '"Europe/Pariss"', "not a known time zone", '"Europe/Paris"'),
    ),
    (
        "end before start",
        config_text(
            comp={"start": '"2026-11-02T00:00+00:00"', "end": '"2026-11-01T00:00"'},
            extra='timezone = "UTC"',
        ),
        (
            'config/contestbot.toml: competition "igf2026": key "end": "2026-11-01T00:00" '
            'is before start "2026-11-02T00:00:00+00:00" — set end after start',
        ),
    ),
    (
        "end equal to start",
        config_text(comp={"end": '"2026-11-02T08:00:00Z"'}),
        ('key "end"', "is the same as start", "set end after start"),
    ),
    (
        "naive time without a zone",
        config_text(comp={"start": '"2026-11-02T09:00:00"'}),
        ('key "start"', "no UTC offset", 'timezone = "Europe/Paris"'),
    ),
    (
        "not a time",
        config_text(comp={"start": '"next monday"'}),
        ('key "start"', '"next monday"', "not an ISO-8601 time"),
    ),
    (
        "local time skipped by DST",
        config_text(
            comp={"start": '"2026-03-29T02:30:00"', "end": '"2026-04-01T00:00:00"'},
            extra='timezone = "Europe/Paris"',
        ),
        ('key "start"', "does not exist in Europe/Paris"),
    ),
    (
        "empty hashtag",
        config_text(comp={"hashtags": '["IGFcontest", "#"]'}),
        ('key "hashtags"', '"#"', "empty hashtag"),
    ),
    (
        "spaced hashtag",
        config_text(comp={"hashtags": '["Internet Gov"]'}),
        ('key "hashtags"', '"Internet Gov"', "contains a space", "one word"),
    ),
    (
        "hashtag with punctuation",
        config_text(comp={"hashtags": '["IGF-2026"]'}),
        ('key "hashtags"', '"IGF-2026"', "ends a hashtag"),
    ),
    (
        "hashtag of digits only",
        config_text(comp={"hashtags": '["2026"]'}),
        ('key "hashtags"', "only digits"),
    ),
    (
        "no hashtags at all",
        config_text(comp={"hashtags": "[]"}),
        ('key "hashtags"', "is empty", "list one or more"),
    ),
    (
        "missing hashtags",
        config_text(comp={"hashtags": None}),
        ('key "hashtags" is missing', 'add hashtags = ["IGFcontest"]'),
    ),
    (
        "hashtags as a string",
        config_text(comp={"hashtags": '"IGFcontest"'}),
        ('key "hashtags"', "is a string, not a list"),
    ),
    (
        "duplicate competition ids",
        config_text() + config_text(),
        ("competition #2", 'key "id"', '"igf2026"', "already used"),
    ),
    (
        "bad competition id",
        config_text(comp={"id": '"IGF 2026"'}),
        ("competition #1", 'key "id"', '"IGF 2026"', "not a valid id"),
    ),
    (
        "bad category kind",
        config_text(cat={"kind": '"likez"'}),
        ('key "categories[1].kind"', '"likez"', "likes, replies, quotes, reposts, weighted, jury"),
    ),
    (
        "duplicate category ids",
        config_text(extra="") + '[[competition.categories]]\nid = "most-liked"\nkind = "replies"\n',
        ('key "categories[2].id"', '"most-liked"', "another category"),
    ),
    (
        "no categories",
        "\n".join(config_text().splitlines()[:7]) + "\n",
        ('key "categories" is missing', "[[competition.categories]]"),
    ),
    (
        "weighted without weights",
        config_text(cat={"kind": '"weighted"'}),
        ('key "categories[1].weights" is missing', 'kind = "weighted"', "likes = 1"),
    ),
    (
        "weights on a likes category",
        config_text(cat={"weights": "{ likes = 1 }"}),
        ('key "categories[1].weights"', 'only applies to kind = "weighted"'),
    ),
    (
        "weights on an unknown metric",
        config_text(cat={"kind": '"weighted"', "weights": "{ likes = 1, views = 2 }"}),
        ('key "categories[1].weights.views"', "not a known key"),
    ),
    (
        "random tie without seed",
        config_text(extra='tie_rule = "random"'),
        ('key "tie_seed" is missing', 'tie_rule = "random"', "tie_seed = "),
    ),
    (
        "bad tie rule",
        config_text(extra='tie_rule = "first"'),
        ('key "tie_rule"', '"first"', "earliest, shared, random"),
    ),
    (
        "bad handle",
        config_text(extra='excluded_accounts = ["@this-is-not-a-handle"]'),
        ('key "excluded_accounts"', '"@this-is-not-a-handle"', "not a valid X handle"),
    ),
    (
        "handle too long",
        config_text(extra='organisers = ["a_very_long_handle_name"]'),
        ('key "organisers"', "not a valid X handle", "1 to 15"),
    ),
    (
        "unreadable community file",
        config_text(extra='community_file = "missing.csv"'),
        ('key "community_file"', '"missing.csv"', "cannot be read", "relative to the config file"),
    ),
    (
        "winners as a boolean",
        config_text(cat={"winners": "true"}),
        ('key "categories[1].winners"', "true is a boolean, not an integer"),
    ),
    (
        "winners zero",
        config_text(cat={"winners": "0"}),
        ('key "categories[1].winners"', "0 is below 1"),
    ),
    (
        "title as a number",
        config_text(comp={"title": "2026"}),
        ('key "title"', "2026 is an integer, not a string"),
    ),
    (
        "negative followers",
        config_text(extra="[competition.eligibility]\nmin_followers = -5"),
        ('key "eligibility.min_followers"', "-5 is below 0"),
    ),
    (
        "eligibility typo",
        config_text(extra="[competition.eligibility]\nallow_reply = true"),
        ('key "eligibility.allow_reply"', 'did you mean "allow_replies"'),
    ),
    (
        "bad language code",
        config_text(extra='[competition.eligibility]\nlanguages = ["English"]'),
        ('key "eligibility.languages"', '"English"', "not a language code"),
    ),
    (
        "bad bot username",
        config_text(top='[bot]\nusername = "igf bot"'),
        ('key "bot.username"', '"igf bot"', "not a valid X handle"),
    ),
    (
        "poll interval too short",
        config_text(top="[bot]\npoll_interval_seconds = 1"),
        ('key "bot.poll_interval_seconds"', "1 is below 10"),
    ),
    (
        "minimum score not finite",
        config_text(cat={"min_score": "inf"}),
        ('key "categories[1].min_score"', "not a usable minimum score", "from 0 to"),
    ),
    (
        "negative minimum score",
        config_text(cat={"min_score": "-1"}),
        ('key "categories[1].min_score"', "-1 is below 0"),
    ),
    (
        "replier rules without distinct repliers",
        config_text(cat={"kind": '"replies"', "repliers": "{ min_followers = 5 }"}),
        ('key "categories[1].repliers"', 'only applies with replies_mode = "distinct"'),
    ),
    (
        "unknown replier rule",
        config_text(
            cat={
                "kind": '"replies"',
                "replies_mode": '"distinct"',
                "repliers": "{ min_age = 5 }",
            }
        ),
        ('key "categories[1].repliers.min_age"', "not a known key", "min_account_age_days"),
    ),
    (
        "posting without the bot's handle",
        config_text() + "[posting]\nenabled = true\n",
        ('key "bot.username"', "[posting] is enabled", "own posts", 'set username = "'),
    ),
    (
        "competition not an array of tables",
        '[competition]\nid = "x"\n',
        ('key "competition"', "not a list of tables", "[[competition]]"),
    ),
]


@pytest.mark.parametrize(("name", "text", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_gives_one_clear_line(
    name: str, text: str, fragments: tuple[str, ...]
) -> None:
    lines = problems_of(text)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("config/contestbot.toml: ")
    assert " — " in line  # every line ends with the fix
    assert "\n" not in line
    for fragment in fragments:
        assert fragment in line


def test_every_problem_is_reported_at_once() -> None:
    text = config_text(
        comp={"hashtags": '["a b"]', "end": '"2026-11-01T00:00:00Z"'},
        cat={"kind": '"likez"'},
        extra='tie_rule = "random"\nhashtag = 1',
    )
    lines = problems_of(text)
    assert len(lines) == 5
    keys = ['"hashtag"', '"hashtags"', '"end"', '"categories[1].kind"', '"tie_seed"']
    for key in keys:
        assert any(f"key {key}" in line for line in lines), (key, lines)


def test_a_hostile_value_stays_on_one_line() -> None:
    lines = problems_of(config_text(comp={"hashtags": '["ok", "bad\\nline\\u202e"]'}))
    assert len(lines) == 1
    assert "\n" not in lines[0] and "\\n" in lines[0]


def test_a_valid_file_maps_onto_the_core_models() -> None:
    text = config_text(
        comp={"start": '"2026-11-02T09:00:00"', "end": "2026-11-06T18:00:00"},
        extra="\n".join(
            [
                'timezone = "Europe/Paris"',
                'accounts = ["@IGF_partner"]',
                'organisers = ["IGF_secretariat", "@igf_secretariat"]',
                'excluded_accounts = ["IGF_press"]',
                'tie_rule = "random"',
                'tie_seed = "draw-2026"',
                "leaderboard_top = 5",
                "[competition.eligibility]",
                'languages = ["EN", "fr"]',
                "min_followers = 10",
            ]
        ),
        cat={"winners": "3", "title": '"Most liked"'},
    ) + "\n".join(
        [
            "[[competition.categories]]",
            'id = "engaging"',
            'kind = "weighted"',
            "weights = { likes = 1, replies = 2.5 }",
        ]
    )
    config = parse_config(text, source=SOURCE)
    (c,) = config.competitions
    assert c.id == "igf2026"
    assert c.hashtags == ("IGFcontest", "InternetGov")
    assert c.start == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Paris is UTC+1 in November
    assert c.end == datetime(2026, 11, 6, 17, 0, tzinfo=UTC)  # a TOML local datetime works too
    assert c.timezone == "Europe/Paris"
    assert c.accounts == ("IGF_partner",)
    assert c.organisers == ("IGF_secretariat",)  # handles de-duplicated case-insensitively
    assert c.excluded_accounts == ("IGF_press",)
    assert (c.tie_rule, c.tie_seed, c.leaderboard_top) == ("random", "draw-2026", 5)
    assert c.eligibility == Eligibility(languages=("en", "fr"), min_followers=10)
    assert c.categories == (
        Category(id="most-liked", kind="likes", title="Most liked", winners=3),
        Category(id="engaging", kind="weighted", weights=(("likes", 1.0), ("replies", 2.5))),
    )
    assert config.competition("igf2026") is c
    assert config.competition("nope") is None


def test_accounts_have_no_default_so_a_mention_of_the_bot_alone_enters_nothing() -> None:
    config = parse_config(config_text(top='[bot]\nusername = "@igf_bot"'), source=SOURCE)
    assert config.bot.username == "igf_bot"
    assert config.competitions[0].accounts == ()  # hashtags only
    declared = config_text(top='[bot]\nusername = "igf_bot"', extra='accounts = ["@igf_bot"]')
    assert parse_config(declared, source=SOURCE).competitions[0].accounts == ("igf_bot",)


@pytest.mark.parametrize(
    ("window", "zone"),
    [
        ({}, "+01:00"),  # COMPETITION's start is written with +01:00
        ({"start": '"2026-11-02T09:00:00-03:30"', "end": '"2026-11-06T18:00:00Z"'}, "-03:30"),
        ({"start": '"2026-11-02T09:00:00Z"', "end": '"2026-11-06T18:00:00Z"'}, "UTC"),
        ({"start": "2026-11-02T09:00:00+05:45", "end": "2026-11-06T18:00:00+05:45"}, "+05:45"),
    ],
)
def test_the_zone_of_a_window_is_the_offset_it_was_written_with(
    window: dict[str, str | None], zone: str
) -> None:
    config = parse_config(config_text(comp=window), source=SOURCE)
    (c,) = config.competitions
    assert config.zone_of(c) == zone
    assert c.timezone == "UTC"  # the IANA zone the core uses is unchanged


def test_the_zone_of_a_window_is_the_timezone_name_when_given() -> None:
    text = config_text(
        comp={"start": '"2026-11-02T09:00:00"', "end": '"2026-11-06T18:00:00"'},
        extra='timezone = "Europe/Paris"',
    )
    config = parse_config(text, source=SOURCE)
    assert config.zone_of(config.competitions[0]) == "Europe/Paris"


def test_hashtags_are_nfc_and_deduplicated_case_insensitively() -> None:
    decomposed = "Gouvernance\u0301"  # e + combining acute in NFD
    text = config_text(comp={"hashtags": f'["#IGF", "igf", "{decomposed}"]'})
    (c,) = parse_config(text, source=SOURCE).competitions
    assert c.hashtags == ("IGF", "Gouvernancé")


def test_community_file_is_read_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "members.csv").write_text("handle\n@alice_gov\nbob_net\n\n")
    path = tmp_path / "config" / "contestbot.toml"
    path.write_text(
        config_text(extra='community = ["carol"]\ncommunity_file = "members.csv"'),
        encoding="utf-8",
    )
    (c,) = load_config(path).competitions
    assert c.community == ("carol", "alice_gov", "bob_net")


def test_a_bad_row_in_the_community_file_names_the_row(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text("alice_gov\nnot a handle\n")
    lines = problems_of(config_text(extra='community_file = "members.csv"'), base_dir=tmp_path)
    assert len(lines) == 1
    assert "row 2" in lines[0] and "'not a handle'" in lines[0]


def test_a_missing_config_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    (line,) = info.value.lines()
    assert "nope.toml: no such file" in line and "CONTESTBOT_CONFIG" in line


def test_registered_sections_are_parsed_after_the_competitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[object, tuple[str, ...]]] = []

    def parse_extra(value: object, ctx: ParseContext, comps: tuple[Competition, ...]) -> object:
        seen.append((value, tuple(c.id for c in comps)))
        if value != {"ok": True}:
            ctx.problems.append(
                Problem(file=ctx.source, key="extra", value=value, issue="is wrong", fix="fix it")
            )
        return "parsed"

    monkeypatch.setitem(bot.config.sections.SECTIONS, "extra", parse_extra)
    config = parse_config(config_text(top="[extra]\nok = true"), source=SOURCE)
    assert config.sections["extra"] == "parsed"
    assert seen == [({"ok": True}, ("igf2026",))]
    (line,) = problems_of(config_text(top="[extra]\nok = false"))
    assert line == 'config/contestbot.toml: key "extra": {"ok": false} is wrong — fix it'


def test_event_and_posting_sections_are_known() -> None:
    lines = problems_of(config_text(top="[postings]\nx = 1"))
    assert 'did you mean "posting"' in lines[0] and "event" in lines[0]


def test_the_shipped_example_config_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "config" / "contestbot.toml")
    (c,) = config.competitions
    assert c.id == "igf2026"
    assert c.hashtags == ("IGFcontest", "InternetGov")
    assert [cat.kind for cat in c.categories] == ["likes", "replies", "jury"]
    assert config.zone_of(c) == "Europe/Paris"


def test_a_category_declares_its_minimum_score_and_replier_rules() -> None:
    from bot.core.models import ReplierRules

    text = config_text(
        cat={
            "kind": '"replies"',
            "replies_mode": '"distinct"',
            "min_score": "3",
            "repliers": "{ min_account_age_days = 14, min_followers = 2 }",
        },
        extra="[competition.eligibility]\nmin_account_age_days = 30",
    )
    (cat,) = parse_config(text, source=SOURCE).competitions[0].categories
    assert cat.min_score == 3 and cat.minimum == 3
    assert cat.repliers == ReplierRules(min_account_age_days=14, min_followers=2)
    (plain,) = parse_config(config_text(), source=SOURCE).competitions[0].categories
    assert (plain.min_score, plain.minimum, plain.repliers) == (None, 1.0, None)
