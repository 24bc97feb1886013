"""The CLI as an organiser uses it, in-process with an injected clock and environment: bad
config stops before the database exists; `run --once` polls the real sandbox into a real SQLite
file; `leaderboard` and `competitions` read it back in every format."""

from __future__ import annotations

import csv
import io
import json
import signal
from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from tests.cli.conftest import Cli, competition_toml


def test_a_broken_config_exits_2_with_one_line_per_problem_and_creates_no_database(
    cli: Cli, clock: ManualClock
) -> None:
    start = clock.now()
    cli.write_config(
        competition_toml("spring", start, start - timedelta(days=1)).replace(
            'hashtags = ["Spring"]', 'hashtags = ["Spring time"]'
        )
    )
    cli.env["X_BEARER_TOKEN"] = "token-for-the-test"
    for argv in (["run", "--once"], ["config", "check"], ["leaderboard", "spring"]):
        code, out, err = cli(*argv)
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert len(lines) == 2, lines
        assert all(line.startswith(f'{cli.config}: competition "spring": key ') for line in lines)
        assert any('"hashtags": "Spring time" contains a space' in line for line in lines)
        assert any('key "end"' in line and "set end after start" in line for line in lines)
        assert out == ""
    assert not cli.db.exists() and not cli.db.parent.exists()


def test_bad_settings_exit_2_before_anything_runs(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env["X_API_BASE_URL"] = "http://api.example.org"
    cli.env["DATABASE_URL"] = "postgres://bot:hunter22@db/contestbot"
    code, _, err = cli("run", "--once")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "X_API_BASE_URL" in err and "DATABASE_URL" in err and "hunter22" not in err


def test_config_check_reports_settings_and_config_problems_together(cli: Cli) -> None:
    cli.write_config("[[competition]]\nid = 3\n")
    cli.env["CONTESTBOT_LOG_FORMAT"] = "yaml"
    code, _, err = cli("config", "check")
    assert code == 2
    assert "CONTESTBOT_LOG_FORMAT" in err and 'key "id": 3 is an integer' in err


def test_config_check_summarises_a_good_config(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env["X_BEARER_TOKEN"] = "CANARY-never-printed"
    code, out, err = cli("config", "check")
    assert code == 0, err
    assert "1 competition(s)" in out and "spring" in out and "#Spring" in out
    assert "X_BEARER_TOKEN    set" in out and "CANARY" not in out + err
    assert not cli.db.exists()


def test_a_missing_bearer_token_is_a_config_error(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    code, _, err = cli("run", "--once")
    assert code == 2
    assert "X_BEARER_TOKEN is not set" in err and ".env.example" in err


def test_an_unknown_competition_lists_the_known_ones(cli: Cli, clock: ManualClock) -> None:
    text = competition_toml("a", clock.now(), clock.now() + timedelta(days=1))
    text += competition_toml("b", clock.now(), clock.now() + timedelta(days=1))
    cli.write_config(text)
    code, _, err = cli("leaderboard", "x")
    assert code == 2
    assert err.strip() == f'no competition "x" in {cli.config}; known: a, b'
    assert not cli.db.exists()


def test_leaderboard_before_any_poll_says_what_to_do(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    code, _, err = cli("leaderboard", "spring")
    assert code == 1
    assert "no database at" in err and "contestbot run --once" in err
    assert not cli.db.exists()


def test_db_upgrade_creates_the_database(cli: Cli) -> None:
    code, out, _ = cli("db", "upgrade")
    assert code == 0 and cli.db.exists()
    assert "latest schema" in out
    assert cli("db", "upgrade")[0] == 0  # idempotent


# ------------------------------------------------------------------------------------------------
# A competition polled from the sandbox, then read back
# ------------------------------------------------------------------------------------------------


def polled_competition(cli: Cli, sandbox: Any, clock: ManualClock) -> dict[str, str]:
    """The sandbox holds three entries with likes and replies, a retweet and an organiser's post;
    one `run --once` stores them. Returns tweet ids by name."""
    now = clock.now()
    cli.write_config(competition_toml("spring", now - timedelta(hours=2), now + timedelta(days=1)))
    cli.use_sandbox(sandbox)
    world = sandbox.world
    for name in ("alice", "bob", "carol", "organiser"):
        world.add_user(name)
    ids = {
        "alice": world.post("alice", "Blossoms #Spring", at=now - timedelta(minutes=50)),
        "bob": world.post("bob", "Sunny #Spring", at=now - timedelta(minutes=40)),
        "carol": world.post("carol", "Rain #Spring", at=now - timedelta(minutes=30)),
        "organiser": world.post("organiser", "Rules #Spring", at=now - timedelta(minutes=20)),
    }
    world.set_metrics(ids["alice"], likes=5, replies=1)
    world.set_metrics(ids["bob"], likes=9, replies=0)
    world.set_metrics(ids["carol"], likes=5, replies=7)
    world.set_metrics(ids["organiser"], likes=100, replies=100)
    world.retweet("carol", ids["bob"], at=now - timedelta(minutes=10))
    code, _, err = cli("run", "--once")
    assert code == 0, err
    assert "poll cycle done" in err
    return ids


def test_leaderboard_json_follows_the_documented_schema(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    ids = polled_competition(cli, sandbox, clock)
    code, out, err = cli("leaderboard", "spring", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "contestbot.leaderboard/1"
    assert doc["competition"]["id"] == "spring" and doc["competition"]["state"] == "running"
    assert doc["generated_at"] == clock.now().isoformat().replace("+00:00", "Z")
    liked, commented = doc["categories"]
    assert (liked["id"], liked["kind"], liked["title"]) == ("most-liked", "likes", "Most liked")
    # the organiser is excluded and the retweet never ranks; 5-5 is broken by the earlier tweet
    assert [(e["rank"], e["username"], e["score"]) for e in liked["entries"]] == [
        (1, "bob", 9),
        (2, "alice", 5),
        (3, "carol", 5),
    ]
    assert [e["username"] for e in commented["entries"]] == ["carol", "alice", "bob"]
    first = liked["entries"][0]
    assert set(first) == {
        "rank", "tweet_id", "entry_key", "username", "author_id", "score", "created_at", "url",
        "audience", "tie",
    }  # fmt: skip
    assert first["tweet_id"] == ids["bob"] == first["entry_key"]
    assert first["url"] == f"https://x.com/bob/status/{ids['bob']}"
    assert first["created_at"].endswith("Z")
    assert ids["organiser"] in {x["tweet_id"] for x in doc["excluded"]}


def test_leaderboard_table_and_top(cli: Cli, sandbox: Any, clock: ManualClock) -> None:
    ids = polled_competition(cli, sandbox, clock)
    code, out, _ = cli("leaderboard", "spring", "--top", "1")
    assert code == 0
    assert "Competition spring (spring) — running" in out
    assert "Most liked [most-liked: likes]" in out
    assert "@bob" in out and ids["bob"] in out and ids["alice"] not in out
    header = next(line for line in out.splitlines() if "rank" in line)
    assert header.split() == ["rank", "tweet", "author", "score", "created_at", "url"]


def test_leaderboard_csv_is_flat_and_safe_from_formulas(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    polled_competition(cli, sandbox, clock)
    code, out, _ = cli("leaderboard", "spring", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["category"] for r in rows] == ["most-liked"] * 3 + ["most-comments"] * 3
    assert rows[0]["username"] == "bob" and rows[0]["score"] == "9" and rows[0]["rank"] == "1"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_competitions_show_their_state_at_the_injected_time(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    polled_competition(cli, sandbox, clock)
    now = clock.now()
    text = cli.config.read_text()
    text += competition_toml("later", now + timedelta(days=2), now + timedelta(days=3))
    text += competition_toml("past", now - timedelta(days=30), now - timedelta(days=29))
    cli.write_config(text)
    code, out, _ = cli("competitions", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    states = {c["id"]: (c["state"], c["entries"]) for c in doc["competitions"]}
    assert states == {"spring": ("running", 4), "later": ("scheduled", 0), "past": ("ended", 0)}
    spring = doc["competitions"][0]
    assert spring["last_poll"] is not None and spring["last_poll"].endswith("Z")

    clock.advance(days=2, hours=1)
    code, out, _ = cli("competitions")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert " ended " in lines["spring"] and " running " in lines["later"]

    code, out, _ = cli("competitions", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["spring", "later", "past"]


def test_competitions_without_a_database_list_the_config(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    code, out, _ = cli("competitions")
    assert code == 0 and "spring" in out and "scheduled" not in out
    assert not cli.db.exists()


class SignallingClock(ManualClock):
    """A manual clock that delivers SIGTERM to this process the first time the bot sleeps, as a
    supervisor stopping the daemon between two cycles would."""

    def sleep(self, seconds: float) -> None:
        if not getattr(self, "signalled", False):
            self.signalled = True
            signal.raise_signal(signal.SIGTERM)
        super().sleep(seconds)


def test_run_stops_cleanly_on_sigterm(cli: Cli, sandbox: Any, clock: ManualClock) -> None:
    ids = polled_competition(cli, sandbox, clock)
    sandbox.world.set_metrics(ids["alice"], likes=50)
    cli.clock = SignallingClock(clock.now() + timedelta(minutes=5))
    previous = signal.getsignal(signal.SIGTERM)
    code, _, err = cli("run")
    assert code == 0, err
    assert "SIGTERM received" in err and "contestbot stopped" in err
    assert err.count("poll cycle done") == 1
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored
    code, out, _ = cli("leaderboard", "spring", "--format", "json")
    liked = json.loads(out)["categories"][0]["entries"]
    assert (liked[0]["username"], liked[0]["score"]) == ("alice", 50)  # the cycle refreshed


def test_leaderboard_include_excluded_gives_rule_and_reason(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    ids = polled_competition(cli, sandbox, clock)
    code, out, _ = cli("leaderboard", "spring")
    assert code == 0 and "--include-excluded lists them" in out
    assert ids["organiser"] not in out
    code, out, _ = cli("leaderboard", "spring", "--include-excluded")
    assert code == 0
    excluded = out.split("\nexcluded\n", 1)[1]
    line = next(row for row in excluded.splitlines() if ids["organiser"] in row)
    assert "@organiser" in line and "excluded-account" in line.split()
    # the 5-5 tie on likes is shown with the declared rule that decided it
    liked = out.split("most-comments")[0]
    assert "tie decided by" in liked
    assert [row.split()[-1] for row in liked.splitlines() if ids["alice"] in row] == ["earliest"]
    code, out, _ = cli("leaderboard", "spring", "--format", "csv", "--include-excluded")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    organiser = [r for r in rows if r["tweet_id"] == ids["organiser"]]
    assert organiser and organiser[0]["rank"] == "" and organiser[0]["excluded_rule"]
