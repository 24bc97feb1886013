"""Config hardening (issue 12): values that used to pass `config check` and then crash `run`, or
crash `config check` itself (huge durations, non-finite weights, unsafe links), are one clear
line naming the key and the fix, exit 2, for both commands, and nothing is written."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.cli.conftest import Cli, competition_toml

EVENT = """
[[event]]
id = "webinar"
title = "Webinar"
start = "2026-09-03T12:00:00Z"
{line}
"""

CASES = [
    (
        "poll interval 1e18",
        "[bot]\npoll_interval_seconds = 1000000000000000000\n{good}",
        "bot.poll_interval_seconds",
        "use an integer from 10 to 86400",
    ),
    ("winners huge", "{good_winners}", "categories[1].winners", "use an integer from 1 to"),
    ("late grace huge", "{good_grace}", "late_posts_grace", "write it like"),
    (
        "posting grace huge",
        '{good}\n[posting]\nenabled = false\ngrace = "99999999999d"\n',
        "posting.grace",
        "write it like",
    ),
    (
        "posting grace over a year",
        '{good}\n[posting]\nenabled = false\ngrace = "400d"\n',
        "posting.grace",
        "use at most 365d",
    ),
    (
        "mention period huge",
        '{good}\n[posting]\nenabled = false\nmention_reply_period = "99999999999d"\n',
        "posting.mention_reply_period",
        "write it like",
    ),
    (
        "leaderboard interval huge",
        '{good}\n[posting]\nenabled = false\nleaderboard_updates = "99999999999d"\n',
        "posting.leaderboard_updates",
        "write it like",
    ),
    (
        "event duration huge",
        "{good}" + EVENT.format(line='duration = "99999999999d"'),
        "duration",
        "write it like",
    ),
    (
        "reminder huge",
        "{good}" + EVENT.format(line='reminders = ["9000000d"]'),
        "reminders",
        "write offsets like",
    ),
    (
        "javascript link",
        "{good}" + EVENT.format(line='link = "javascript:alert(1)"'),
        "link",
        "only http:// and https:// links",
    ),
    (
        "data link",
        "{good}" + EVENT.format(line='link = "data:text/html,hi"'),
        "link",
        "only http:// and https:// links",
    ),
    (
        "link without host",
        "{good}" + EVENT.format(line='link = "https:///path"'),
        "link",
        "only http:// and https:// links",
    ),
    (
        "link with a space",
        "{good}" + EVENT.format(line='link = "https://a.org/x y"'),
        "link",
        "only http:// and https:// links",
    ),
    ("weight inf", "{good_weight_inf}", "weights.likes", "use a number from 0 to"),
    ("weight nan", "{good_weight_nan}", "weights.likes", "use a number from 0 to"),
    ("age huge", "{good_age}", "eligibility.min_account_age_days", "use an integer from 0 to"),
    ("age past x", "{good_age_10001}", "eligibility.min_account_age_days", "from 0 to 10000"),
    ("hashtag 600 chars", "{good_tag_long}", "hashtags", "at most 139 characters"),
    ("hashtag combining mark", "{good_tag_mark}", "hashtags", "e.g. IGFcontest"),
    ("hashtags too many", "{good_tags_many}", "hashtags", "at most 20"),
    ("end in year 9999", "{good_end_9999}", "end", "2006-03-21 to 2100-01-01"),
    ("start before X", "{good_start_1999}", "start", "2006-03-21 to 2100-01-01"),
    ("zone a folder", "{good_zone_folder}", "timezone", "IANA zone name"),
    ("zone a path", "{good_zone_path}", "timezone", "IANA zone name"),
    (
        "event zone NUL",
        "{good}" + EVENT.format(line='timezone = "Europe/Par\\u0000is"'),
        "timezone",
        "IANA zone name",
    ),
    (
        "event zone long",
        "{good}" + EVENT.format(line='timezone = "' + "Europe/" + "x" * 5000 + '"'),
        "timezone",
        "IANA zone name",
    ),
    (
        "event start year 9999",
        "{good}"
        + EVENT.format(line="").replace("2026-09-03T12:00:00Z", "9999-12-31T23:59:59-05:00"),
        "start",
        "2006-03-21 to 2100-01-01",
    ),
    (
        "leaderboard every minute",
        '{good}\n[posting]\nenabled = false\nleaderboard_updates = "1m"\n',
        "posting.leaderboard_updates",
        "10m or more",
    ),
    (
        "leaderboard time in 2200",
        '{good}\n[posting]\nenabled = false\nleaderboard_updates = ["2200-01-01T00:00:00Z"]\n',
        "posting.leaderboard_updates",
        "during the competition",
    ),
    (
        "budget a trillion",
        "{good}\n[posting]\nenabled = false\nmonthly_budget_usd = 1e12\n",
        "posting.monthly_budget_usd",
        "(dollars)",
    ),
    (
        "price a trillion",
        "{good}\n[posting]\nenabled = false\n[posting.prices]\npost_create = 1e12\n",
        "posting.prices.post_create",
        "(dollars)",
    ),
    (
        "read budget a trillion",
        "{good}\n[budget]\nmonthly_usd = 1e12\n",
        "budget.monthly_usd",
        "dollars per UTC calendar month",
    ),
    (
        "followers huge",
        "{good_followers}",
        "eligibility.min_followers",
        "use an integer from 0 to",
    ),
]


def _parts(clock: ManualClock) -> dict[str, str]:
    now = clock.now()
    good = competition_toml("spring", now - timedelta(hours=1), now + timedelta(days=1))
    weighted = good + '\n[[competition.categories]]\nid = "w"\nkind = "weighted"\n'
    return {
        "good_winners": good.replace(
            'title = "Most liked"', 'title = "Most liked"\nwinners = 1000000000000000000'
        ),
        "good_grace": good.replace(
            'hashtags = ["Spring"]', 'hashtags = ["Spring"]\nlate_posts_grace = "99999999999999d"'
        ),
        "good_weight_inf": weighted + "weights = { likes = inf }\n",
        "good_weight_nan": weighted + "weights = { likes = nan }\n",
        "good_age": good.replace(
            'excluded_accounts = ["organiser"]',
            'excluded_accounts = ["organiser"]\n\n[competition.eligibility]\n'
            "min_account_age_days = 1000000000000000000",
        ),
        "good_age_10001": good.replace(
            'excluded_accounts = ["organiser"]',
            'excluded_accounts = ["organiser"]\n\n[competition.eligibility]\n'
            "min_account_age_days = 10001",
        ),
        "good_followers": good.replace(
            'excluded_accounts = ["organiser"]',
            'excluded_accounts = ["organiser"]\n\n[competition.eligibility]\n'
            "min_followers = 10000000000",
        ),
        "good_tag_long": good.replace('hashtags = ["Spring"]', f'hashtags = ["{"a" * 600}"]'),
        "good_tag_mark": good.replace('hashtags = ["Spring"]', 'hashtags = ["\u0301Spring"]'),
        "good_tags_many": good.replace(
            'hashtags = ["Spring"]', "hashtags = [" + ", ".join(f'"t{i}"' for i in range(21)) + "]"
        ),
        "good_end_9999": good.replace(
            f'end = "{(now + timedelta(days=1)).isoformat()}"', 'end = "9999-12-31T23:00:00+05:00"'
        ),
        "good_start_1999": good.replace(
            f'start = "{(now - timedelta(hours=1)).isoformat()}"', 'start = "1999-01-01T00:00:00Z"'
        ),
        "good_zone_folder": good.replace(
            'hashtags = ["Spring"]', 'hashtags = ["Spring"]\ntimezone = "America"'
        ),
        "good_zone_path": good.replace(
            'hashtags = ["Spring"]', 'hashtags = ["Spring"]\ntimezone = "../../etc/passwd"'
        ),
        "good": good,
    }


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_value_is_one_line_exit_2_and_writes_nothing(
    case: tuple[str, str, str, str], argv: tuple[str, ...], cli: Cli, clock: ManualClock
) -> None:
    _, template, key, fix = case
    text = template
    for name, part in _parts(clock).items():
        text = text.replace("{" + name + "}", part)
    cli.write_config(text)
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1, lines
    assert f'"{key}' in lines[0] or f".{key}" in lines[0], lines[0]
    assert fix in lines[0], lines[0]
    assert not cli.written() and not cli.db.parent.exists()


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large", "not-utf8"])
def test_config_file_that_cannot_be_read_safely_is_refused(
    kind: str, argv: tuple[str, ...], cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    needle = {
        "fifo": "it is not a regular file",
        "dev-zero": "it is not a regular file",
        "too-large": "it is larger than 1024 KiB",
        "not-utf8": "it is not UTF-8 text: byte 0xff at 0",
    }[kind]
    if kind == "fifo":
        os.mkfifo(path)  # a plain open() would block here until a writer came
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "too-large":
        path.write_bytes(b"# padding\n" * 120_000)
    else:
        path.write_bytes(b"\xff\xfe[bot]\n")
    cli.env["CONTESTBOT_CONFIG"] = str(path)
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert lines == [
        f"{path}: cannot be read ({needle}) — check the path and its permissions; "
        "the file must be UTF-8 TOML"
    ], lines
    assert not cli.written() and not cli.db.parent.exists()


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
@pytest.mark.parametrize("shape", ["lists", "inline-tables"])
def test_deeply_nested_toml_is_one_problem(
    argv: tuple[str, ...], shape: str, cli: Cli, clock: ManualClock
) -> None:
    deep = 100_000
    value = "[" * deep + "]" * deep if shape == "lists" else "{a = " * deep + "1" + "}" * deep
    cli.write_config(_parts(clock)["good"] + f"\n[bot]\nnote = {value}\n")
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err[-500:])
    assert len(lines) == 1 and "nests lists or inline tables too deeply" in lines[0], lines
    assert "RecursionError" not in err
    assert not cli.written() and not cli.db.parent.exists()


def _with_community_file(clock: ManualClock) -> str:
    return _parts(clock)["good"].replace(
        'excluded_accounts = ["organiser"]',
        'excluded_accounts = ["organiser"]\ncommunity_file = "members.csv"',
    )


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
def test_a_community_file_with_many_bad_rows_is_one_problem(
    argv: tuple[str, ...], cli: Cli, clock: ManualClock
) -> None:
    rows = ["handle", "alice"] + [f"not a handle {n}!" for n in range(500)] + ["bob"]
    (cli.tmp_path / "members.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli.write_config(_with_community_file(clock))
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err[-500:]
    assert len(lines) == 1, lines[:3]
    assert "has 500 rows that are not X handles" in lines[0]
    assert "row 3: 'not a handle 0!'; row 4: 'not a handle 1!' and 498 more" in lines[0]
    assert not cli.written() and not cli.db.parent.exists()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large", "not-utf8", "folder"])
def test_a_community_file_that_cannot_be_read_safely_is_one_problem(
    kind: str, cli: Cli, clock: ManualClock
) -> None:
    target = cli.tmp_path / "members.csv"
    if kind == "fifo":
        os.mkfifo(target)
        needle = "not a regular file"
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
        needle = "not a regular file"
    elif kind == "too-large":
        target.write_text("alice\n" * 800_000, encoding="utf-8")  # 4.8 MB
        needle = "larger than 4096 KiB"
    elif kind == "not-utf8":
        target.write_bytes(b"alice\n\xff\xfebob\n")
        needle = "not UTF-8: byte 6"
    else:
        target.mkdir()
        needle = "a directory"
    cli.write_config(_with_community_file(clock))
    code, _, err = cli("config", "check")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err[-500:]
    assert len(lines) == 1 and needle in lines[0] and '"community_file"' in lines[0], lines
    assert not cli.written() and not cli.db.parent.exists()


LONG_WORD = "W" * 300


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
@pytest.mark.parametrize(
    "where", ["competition title", "category title", "template", "event title"]
)
def test_a_word_no_post_can_hold_is_refused_at_check(
    argv: tuple[str, ...], where: str, cli: Cli, clock: ManualClock
) -> None:
    good = _parts(clock)["good"]
    if where == "competition title":
        text = good.replace('title = "Competition spring"', f'title = "Cup {LONG_WORD}"')
        needle = (
            "its launch, leaderboard, winners, help reply and standing reply posts cannot be "
            "written"
        )
    elif where == "category title":
        text = good.replace('title = "Most liked"', f'title = "Most {LONG_WORD}"')
        needle = "its launch, leaderboard and winners posts cannot be written"
    elif where == "template":
        text = (
            good
            + "\n[posting]\nenabled = false\n[posting.templates.en]\n"
            + f'launch = "{{title}} {LONG_WORD}"\n'
        )
        needle = "its launch post cannot be written"
    else:
        text = good + EVENT.format(line="").replace('title = "Webinar"', f'title = "{LONG_WORD}"')
        needle = "its reminders cannot be written"
    cli.write_config(text)
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err[-500:]
    assert len(lines) == 1, lines
    assert needle in lines[0] and "more than the 280 of a post" in lines[0], lines[0]
    assert "shorten that word" in lines[0]
    assert not cli.written() and not cli.db.parent.exists()


@pytest.mark.parametrize("argv", [("config", "check"), ("run", "--once")], ids=["check", "run"])
@pytest.mark.parametrize(
    ("kind", "template", "needle"),
    [
        ("mention_help", f"{{username}} {LONG_WORD}", "its help reply post cannot be written"),
        ("mention_help", "{username} " + "words " * 60, "mention_help template for 'en' does not"),
        (
            "mention_reply",
            f"{{username}} {{standing}} {LONG_WORD}",
            "its standing reply post cannot be written",
        ),
        (
            "mention_reply",
            "{username} {standing} " + "words " * 60,
            "mention_reply template for 'en' does not fit one post",
        ),
    ],
    ids=["help-word", "help-long", "reply-word", "reply-long"],
)
def test_reply_templates_that_cannot_make_one_post_are_refused_at_check(
    argv: tuple[str, ...], kind: str, template: str, needle: str, cli: Cli, clock: ManualClock
) -> None:
    """A reply to a mention is one post (never a thread): a template that cannot fit one, with
    the widest handle and standing, is refused before the bot runs, not when someone asks."""
    text = (
        _parts(clock)["good"]
        + f'\n[posting]\nenabled = false\n[posting.templates.en]\n{kind} = "{template}"\n'
    )
    cli.write_config(text)
    cli.env["X_BEARER_TOKEN"] = "bearer-for-the-test"
    code, _, err = cli(*argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err[-500:]
    assert len(lines) == 1, lines
    assert needle in lines[0], lines[0]
    assert not cli.written() and not cli.db.parent.exists()


def test_reply_templates_that_fit_pass_check(cli: Cli, clock: ManualClock) -> None:
    text = _parts(clock)["good"] + (
        "\n[posting]\nenabled = false\n[posting.templates.en]\n"
        'mention_reply = "{username}, your places in {title}:\\n{standing}"\n'
        'mention_help = "{username}: reply {commands} to see your place in {title}."\n'
    )
    cli.write_config(text)
    code, _, err = cli("config", "check")
    assert code == 0, err


def test_the_shipped_and_long_but_breakable_configs_still_pass(
    cli: Cli, clock: ManualClock
) -> None:
    words = " ".join(["word"] * 200)  # long, but a thread can carry it
    good = _parts(clock)["good"].replace('title = "Most liked"', f'title = "Most {words}"')
    cli.write_config(good)
    code, _, err = cli("config", "check")
    assert code == 0, err
