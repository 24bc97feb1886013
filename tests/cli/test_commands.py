"""The CLI as an organiser uses it, in-process with an injected clock and environment: bad
config stops before the database exists; `run --once` polls the real sandbox into a real SQLite
file; `leaderboard` and `competitions` read it back in every format."""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import signal
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cli.main import describe, main
from bot.clock import ManualClock
from bot.core.errors import AuthError
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
    assert not cli.written() and not cli.db.parent.exists()


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
    assert not cli.written()


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
    assert not cli.written()


def test_leaderboard_before_any_poll_says_what_to_do(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    code, _, err = cli("leaderboard", "spring")
    assert code == 1
    assert "no database at" in err and "contestbot run --once" in err
    assert not cli.written()


def test_db_upgrade_creates_the_database(cli: Cli) -> None:
    code, out, _ = cli("db", "upgrade")
    assert code == 0 and cli.written()
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
    assert doc["schema"] == "contestbot.leaderboard/2"
    # counted always, listed on request (at scale nearly every entry is excluded somewhere)
    assert "excluded" not in doc
    assert doc["excluded_count"] == {"entries": 2, "exclusions": 2}  # organiser; bob (comments)
    code, out, err = cli("leaderboard", "spring", "--format", "json", "--include-excluded")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["excluded"]) == doc["excluded_count"]["exclusions"] == 2
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
    # bob's post has no reply: under the minimum score of 1, it does not rank for comments
    assert [e["username"] for e in commented["entries"]] == ["carol", "alice"]
    assert (commented["min_score"], commented["below_minimum"]) == (1, 1)
    assert commented["no_qualifying_entry"] is False
    assert {"entry_key": ids["bob"], "rule": "below-minimum"}.items() <= next(
        x for x in doc["excluded"] if x["tweet_id"] == ids["bob"]
    ).items()
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
    # bob's post has no reply: it does not rank for comments (under the minimum score of 1)
    assert [r["category"] for r in rows] == ["most-liked"] * 3 + ["most-comments"] * 2
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
    assert not cli.written()


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


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("listed", [False, True], ids=["ranked", "with-excluded"])
def test_leaderboard_all_exports_every_entry_as_the_same_text_as_top(
    cli: Cli, sandbox: Any, clock: ManualClock, fmt: str, listed: bool
) -> None:
    """`--all` (a full-standings export, written as it is read from the database) prints exactly
    what `--top N` prints when N covers every entry: before the deadline (from the live rows)
    and after it (the standings computed whole)."""
    polled_competition(cli, sandbox, clock)
    world = sandbox.world
    now = clock.now()
    for i in range(30):  # ties and more rows than the top, each author once
        world.add_user(f"fan{i}")
        tid = world.post(f"fan{i}", f"more {i} #Spring", at=now + timedelta(seconds=i))
        world.set_metrics(tid, likes=i % 4, replies=i % 3)
    clock.advance(minutes=5)
    assert cli("run", "--once")[0] == 0
    extra = ["--include-excluded"] if listed else []
    for _ in ("running", "ended"):
        code, streamed, err = cli("leaderboard", "spring", "--format", fmt, "--all", *extra)
        assert code == 0, err
        code, whole, err = cli("leaderboard", "spring", "--format", fmt, "--top", "1000", *extra)
        assert code == 0, err
        assert streamed == whole
        if fmt == "json":
            doc = json.loads(streamed)
            assert len(doc["categories"][0]["entries"]) == 25  # 3 + the 22 fans with a like
            assert ("excluded" in doc) is listed
        else:
            assert len([r for r in csv.DictReader(io.StringIO(streamed)) if r["rank"]]) > 33
        clock.set(now + timedelta(days=1, minutes=30))
    code, out, err = cli("leaderboard", "spring", "--all", "--top", "3")
    assert code == 2 and "give one of them" in err
    code, out, err = cli("leaderboard", "spring", "--all")
    assert code == 0 and out.count("@fan") >= 30


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


# ------------------------------------------------------------------------------------------------
# QA findings: what organisers see when something is off
# ------------------------------------------------------------------------------------------------


def test_config_check_says_what_enters_each_competition(cli: Cli, clock: ManualClock) -> None:
    now = clock.now()
    text = '[bot]\nusername = "contestbot"\n' + competition_toml("tags", now, now + timedelta(1))
    text += competition_toml("joint", now, now + timedelta(days=1)).replace(
        'excluded_accounts = ["organiser"]', 'accounts = ["contestbot", "@partner"]'
    )
    cli.write_config(text)
    code, out, err = cli("config", "check")
    assert code == 0, err
    lines = {line.split(":")[0].strip(): line for line in out.splitlines() if ": '" in line}
    assert "entries: hashtags only (no mentions count)" in lines["tags"]
    assert "entries: mentions of @contestbot, @partner" in lines["joint"]


def test_config_check_shows_the_window_in_the_zone_it_was_written_in(cli: Cli) -> None:
    cli.write_config(
        competition_toml("spring", datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2026, 11, 6))
        .replace('start = "2026-11-02T08:00:00+00:00"', 'start = "2026-11-02T09:00:00+01:00"')
        .replace('end = "2026-11-06T00:00:00"', 'end = "2026-11-06T18:00:00+01:00"')
    )
    code, out, err = cli("config", "check")
    assert code == 0, err
    assert "2026-11-02T09:00:00+01:00 to 2026-11-06T18:00:00+01:00 (+01:00)" in out
    assert "(UTC)" not in out


def test_config_check_names_the_missing_user_credentials(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env.update({"X_API_KEY": "k-1234", "X_API_SECRET": "s-1234", "X_ACCESS_TOKEN": "t-1234"})
    code, out, _ = cli("config", "check")
    assert code == 0
    line = next(line for line in out.splitlines() if "user credentials" in line)
    assert "incomplete: X_ACCESS_TOKEN_SECRET not set" in line and "X_API_KEY" not in line
    cli.env["X_ACCESS_TOKEN_SECRET"] = "ts-1234"
    assert "user credentials  set\n" in cli("config", "check")[1]


def test_credentials_in_the_api_base_url_are_refused_and_never_echoed(
    cli: Cli, clock: ManualClock
) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env["X_API_BASE_URL"] = "https://user:hunter2@api.example.com"
    code, out, err = cli("config", "check")
    assert code == 2
    assert "hunter2" not in out + err
    assert 'key "X_API_BASE_URL": "https://***@api.example.com" holds credentials' in err


def test_an_unwritable_log_file_is_a_settings_error(cli: Cli, clock: ManualClock) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env["X_BEARER_TOKEN"] = "token-for-the-test"
    cli.env["CONTESTBOT_LOG_FILE"] = "/proc/nope/log"
    for argv in (["run", "--once"], ["config", "check"]):
        code, _, err = cli(*argv)
        assert code == 2, argv
        (line,) = err.strip().splitlines()
        assert line.startswith('environment: key "CONTESTBOT_LOG_FILE": "/proc/nope/log" cannot')
        assert "data/contestbot.log" in line and "Errno" not in line
    assert not cli.written()


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "--config", "{config}", "config", "check"],
        ["config", "check", "--debug", "--config", "{config}"],
        ["--debug", "config", "check", "--config", "{config}"],
    ],
)
def test_debug_and_config_work_before_or_after_the_command(
    cli: Cli, clock: ManualClock, argv: list[str]
) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    cli.env["CONTESTBOT_CONFIG"] = str(cli.tmp_path / "absent.toml")  # --config must win
    code, out, err = cli(*[a.format(config=cli.config) for a in argv])
    assert code == 0, err
    assert "1 competition(s)" in out
    assert "DEBUG" in err and "settings: Settings(" in err  # --debug gave debug logs


def test_db_upgrade_says_it_created_the_database_and_its_revision(cli: Cli) -> None:
    code, out, _ = cli("db", "upgrade")
    assert code == 0
    assert out.startswith(f"created the database {cli.db_url} at revision ")
    revision = out.split("at revision ")[1].split()[0]
    code, out, _ = cli("db", "upgrade")
    assert out.strip().endswith(f"is already at the latest schema (revision {revision})")


def test_a_sqlite_error_names_the_file_without_sqlalchemy_links(cli: Cli) -> None:
    # Issue 12: a file that is not a database is the organiser's to fix (exit 2), said plainly.
    cli.env["DATABASE_URL"] = f"sqlite:///{cli.db}"  # about SQLite files, on every backend
    cli.db.parent.mkdir(parents=True)
    cli.db.write_bytes(b"this is not a SQLite database, just bytes " * 100)
    code, _, err = cli("db", "upgrade")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: the database {cli.db} is not a SQLite database")
    assert "move it away" in line and "restore it from a backup" in line
    assert "sqlalche.me" not in line and "Background" not in line and "server" not in line
    assert sorted(p.name for p in cli.db.parent.iterdir()) == [cli.db.name]  # no lock left


def test_the_leaderboard_counts_excluded_entries_not_exclusions(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    polled_competition(cli, sandbox, clock)
    # alice's second, weaker entry is excluded in each category (one entry per author; for
    # comments, its 0 replies are under the minimum): one entry, two exclusions; the organiser's
    # post is one entry, one exclusion; bob's post without a reply is one exclusion (comments).
    clock.advance(minutes=1)
    second = sandbox.world.post("alice", "Again #Spring", at=clock.now())
    sandbox.world.set_metrics(second, likes=1, replies=0)
    clock.advance(minutes=1)
    assert cli("run", "--once")[0] == 0
    code, out, _ = cli("leaderboard", "spring", "--format", "json", "--include-excluded")
    excluded = json.loads(out)["excluded"]
    assert sorted(x["entry_key"] for x in excluded).count(second) == 2
    assert json.loads(out)["excluded_count"] == {"entries": 3, "exclusions": 4}
    code, out, _ = cli("leaderboard", "spring")
    assert code == 0
    assert "\n3 entries excluded (4 exclusions across categories) (--include-excluded" in out
    assert "Most liked [most-liked: likes]" in out and "most-comments [replies, reported]" in out


def test_every_printed_time_has_whole_seconds(cli: Cli, sandbox: Any, clock: ManualClock) -> None:
    polled_competition(cli, sandbox, clock)
    clock.advance(seconds=0.813846)
    for argv in (
        ["leaderboard", "spring", "--format", "json"],
        ["competitions", "--format", "json"],
    ):
        code, out, _ = cli(*argv)
        assert code == 0
        assert "." not in json.loads(out)["generated_at"]
        assert not re.search(r"T\d\d:\d\d:\d\d\.\d+", out), argv


def test_unparsable_env_lines_are_warned_about(
    cli: Cli, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    cli.write_config(competition_toml("spring", clock.now(), clock.now() + timedelta(days=1)))
    (cli.tmp_path / ".env").write_text(
        f"CONTESTBOT_CONFIG={cli.config}\nX_API_KEY = 'never closed\n", encoding="utf-8"
    )
    monkeypatch.chdir(cli.tmp_path)
    monkeypatch.setenv("CONTESTBOT_CONFIG", str(cli.config))  # restored after the test
    code = main(["config", "check"], clock=clock)
    err = capsys.readouterr().err
    assert code == 0, err
    (warning,) = err.strip().splitlines()
    assert warning.startswith("warning: ") and "line 2 (X_API_KEY) cannot be parsed" in warning
    assert "never closed" not in err


def test_a_port_in_use_is_one_usage_line(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli("sandbox", "--port", str(port))
    assert code == 2
    assert err == f"port {port} on 127.0.0.1 is in use — pick another --port (0 picks a free one)\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("[sandbox\n", "not valid TOML"), ('[sandbox]\nspeed = "fast"\n', "ValueError")],
)
def test_a_bad_scenario_file_is_one_usage_line(cli: Cli, text: str, problem: str) -> None:
    scenario = cli.tmp_path / "bad.toml"
    scenario.write_text(text, encoding="utf-8")
    code, out, err = cli("sandbox", "--scenario", str(scenario), "--port", "0")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"sandbox: {scenario}: ") and problem in line
    assert line.endswith("— fix the scenario file (see bot/sandbox/scenarios/demo.toml)")


def test_error_lines_add_a_fix_only_where_the_message_has_none() -> None:
    refused = AuthError(
        "search: X API answered 401: Unauthorized - check the X API keys", status=401
    )
    assert describe(refused) == (
        "the X API refused the credentials: search: X API answered 401: Unauthorized - check "
        "the X API keys"
    )
    assert describe(AuthError("401")).endswith("— check the X_* values in .env")


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/srv/data"),
            "cannot read or write /srv/data: Permission denied — give this user access to "
            "/srv/data, or choose another path",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/nope/x.db"),
            "cannot read or write /nope/x.db: No such file or directory — check the path; its "
            "folder must exist",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "data/bot.db"),
            "cannot read or write data/bot.db: No space left on device — free some disk space",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            "No space left on device — free some disk space",
        ),
    ],
)
def test_file_errors_name_the_path_and_the_fix(exc: OSError, line: str) -> None:
    assert describe(exc) == line


def test_config_check_publishes_the_random_draw_commitment_and_the_posting_state(
    cli: Cli, clock: ManualClock
) -> None:
    import hashlib

    now = clock.now()
    text = competition_toml("draw", now, now + timedelta(days=1)).replace(
        'excluded_accounts = ["organiser"]',
        'excluded_accounts = ["organiser"]\ntie_rule = "random"\ntie_seed = "IGF-seed-42"',
    )
    cli.write_config(text)
    code, out, _ = cli("config", "check")
    assert code == 0
    commitment = hashlib.sha256(b"IGF-seed-42").hexdigest()
    assert f"SHA-256 commitment {commitment}" in out
    assert "IGF-seed-42" not in out  # the seed itself stays secret until the results
    assert "posting: off" in out
    cli.write_config(text + '\n[posting]\napproval = ["winners"]\n')
    code, out, _ = cli("config", "check")
    # Posting names the bot's own account, so that its posts never count as entries.
    assert code == 2 and 'key "bot.username"' in out + _ and "[posting] is enabled" in out + _
    cli.write_config(
        '[bot]\nusername = "contestbot"\n' + text + '\n[posting]\napproval = ["winners"]\n'
    )
    code, out, _ = cli("config", "check")
    assert (
        code == 0 and "posting: on; 0 event(s) with reminders; approval needed for: winners" in out
    )


def test_between_the_end_and_the_freeze_the_leaderboard_says_it_is_provisional(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    """Late-indexed posts may still join during the late-posts grace (6 h by default): the board
    after the end says so, and when the results freeze."""
    polled_competition(cli, sandbox, clock)
    end = clock.now() + timedelta(days=1)
    clock.set(end + timedelta(minutes=30))
    code, out, err = cli("leaderboard", "spring")
    assert code == 0, err
    freezes = (end + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%S")
    assert "ended, provisional until the freeze (from " in out
    assert freezes in out
