"""`contestbot demo`, end to end and short: the real command (sandbox in-process, tweepy over HTTP,
SQLite, the daemon, freeze and poster) fitted into a few seconds, read as its audience would."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.demo import COMPETITION_ID, demo_speed
from bot.sandbox import DEMO_SCENARIO, load_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """One short run shared by the tests below (it takes about 12 seconds)."""
    capture = tmp_path_factory.mktemp("demo")
    db = capture / "demo.db"
    out = capture / "out.txt"
    with out.open("w", encoding="utf-8") as f, contextlib.redirect_stdout(f):
        code = main(["demo", "--seconds", "12", "--db", str(db)], environ={})
    return code, out.read_text(encoding="utf-8"), db


def section(text: str, title: str) -> str:
    """The output section whose banner line contains `title`, up to the next banner, with its
    whitespace runs made single spaces (the demo wraps its notes)."""
    parts = text.split("\n── ")
    found = next(p for p in parts[1:] if title in p.splitlines()[0])
    return found


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_demo_ends_by_itself_and_passes_its_self_check(demo_run: tuple[int, str, Path]) -> None:
    code, text, _ = demo_run
    assert code == 0, text[-3000:]
    assert "all good" in section(text, "self-check")
    assert "✗" not in text


def test_final_standings_leave_out_the_deleted_tweet_the_retweet_and_the_organiser(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, _ = demo_run
    final = section(text, "final standings")
    most_liked = final.split("Most comments")[0]
    assert "@ivan_p" not in final  # deleted at +1:10
    assert "@igf_org" not in final  # the organiser
    assert "@lea_m" in most_liked  # lea ranks with her own entry...
    assert most_liked.count("@julia_n") == 1  # edited: one entry, not two
    # ...but her retweet of amara's entry was never collected, so amara ranks once too.
    assert most_liked.count("@amara_k") == 1


def test_the_tie_rule_the_digest_and_verification_are_shown(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, db = demo_run
    freeze = flat(section(text, "the deadline: the freeze"))
    digest = re.search(r"digest\s+([0-9a-f]{64})", freeze)
    assert digest is not None
    assert "verify ok" in freeze
    assert "tie rule 'earliest'" in freeze
    assert re.search(r"@gabriel_m, Most liked: rank \d+, tie: equal with @chen_wei", freeze)
    assert "self-reply farm" in freeze and "@kofi_a" in freeze
    assert "Best question (jury): @nosy_nina picked" in freeze  # the jury's pick, frozen
    assert "never ranks, rule organiser" in freeze
    # The digest printed is the one stored in the database the demo leaves behind.
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT digest FROM frozen_results")}
    assert digest.group(1) in stored


def test_late_likes_change_nothing(demo_run: tuple[int, str, Path]) -> None:
    _, text, _ = demo_run
    after = section(text, "late likes")
    assert "10 late likes arrived after the freeze; standings unchanged" in after
    assert re.search(r"@amara_k\s+25 now,\s+20 frozen", after)
    assert re.search(r"@elif_s\s+19 now,\s+16 frozen", after)


def test_a_bilingual_reminder_and_one_winners_announcement_reach_the_sandbox(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, _ = demo_run
    assert "posted to the sandbox: reminder (en)" in text
    assert "posted to the sandbox: reminder (fr)" in text
    assert "Rappel" in text and "Reminder" in text
    assert "Paris" in text and "Nairobi" in text and "Singapore" in text
    assert text.count("posted to the sandbox: winners (en), part 1/") == 1
    assert text.count("posted to the sandbox: launch (en)") == 1
    assert "the demo approves it" in flat(text)
    posts = section(text, "the posts the bot made")
    assert "none twice" in posts
    for weighted in re.findall(r"(\d+)/280 weighted", text):
        assert int(weighted) <= 280


def test_the_database_is_left_for_the_next_commands(
    demo_run: tuple[int, str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, text, db = demo_run
    config = db.with_suffix(".toml")
    assert f"export DATABASE_URL=sqlite:///{db} CONTESTBOT_CONFIG={config}" in text
    env = {"DATABASE_URL": f"sqlite:///{db}", "CONTESTBOT_CONFIG": str(config)}
    capsys.readouterr()
    assert main(["leaderboard", COMPETITION_ID, "--format", "json"], environ=env) == 0
    doc = json.loads(capsys.readouterr().out)
    liked = next(c for c in doc["categories"] if c["id"] == "most-liked")
    names = [e["username"] for e in liked["entries"]]
    assert names[:3] == ["amara_k", "bjorn_dev", "elif_s"]
    assert "ivan_p" not in names and "igf_org" not in names


def test_the_speed_fits_the_whole_scenario_into_the_seconds_asked() -> None:
    scenario = load_scenario(DEMO_SCENARIO)
    assert demo_speed(scenario, None, None) == scenario.speed
    assert demo_speed(scenario, 200.0, 12.0) == 200.0
    span = scenario.duration + 60
    assert demo_speed(scenario, None, 12.0) == pytest.approx(span / 12.0)


def test_a_database_path_that_is_a_directory_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--seconds", "5", "--db", str(tmp_path)], environ={}) == 1
    assert f"--db {tmp_path} is a directory" in capsys.readouterr().out
