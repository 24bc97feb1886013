"""`contestbot demo`, end to end and short: the real command (sandbox in-process, tweepy over HTTP,
SQLite, the daemon, freeze and poster) fitted into a few seconds, read as its audience would; and
its self-check (`bot.demo.check`), shown to fail on what it guards."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.core.models import Category, CategoryKind, CategoryStanding, Ranked, Standings
from bot.demo.check import REAL_MARGIN, Printed, prize_check, tie_check, zero_check
from bot.demo.stage import COMPETITION_ID, demo_speed
from bot.sandbox import DEMO_SCENARIO, load_scenario

slow = pytest.mark.slow
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


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


@slow
def test_the_demo_ends_by_itself_and_passes_its_self_check(demo_run: tuple[int, str, Path]) -> None:
    code, text, _ = demo_run
    assert code == 0, text[-3000:]
    assert "all good" in section(text, "self-check")
    assert "✗" not in text


@slow
def test_the_self_check_states_the_margins_and_the_late_and_edited_entries(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, _ = demo_run
    check = flat(section(text, "self-check"))
    margins = f"won by real margins ({REAL_MARGIN}+"
    assert (
        f"✓ Most liked, {margins} likes): @amara_k 24, 3 ahead of @bjorn_dev 21; @bjorn_dev 21, "
        "3 ahead of @elif_s 18; @elif_s 18, 3 ahead of @chen_wei 15" in check
    )
    assert (
        f"✓ Most comments, {margins} distinct repliers): @fatou_d 5, 2 ahead of @chen_wei 3"
        in check
    )
    assert "✓ Best question: @nosy_nina, the jury's pick" in check
    assert "✓ no score of 0 in the" in check
    assert re.search(
        r"✓ late-indexed @hana_t \(posted \+0:20, searchable \+0:40\): on the board", check
    )
    assert re.search(
        r"✓ late-indexed @mateo_l \(posted \+1:52, searchable \+2:02, after the end\): on the "
        r"board at \+2:\d\d in the late grace; in the frozen result as late_indexed, 9 likes",
        check,
    )
    assert re.search(
        r"✓ edited @julia_n: one entry \(key \d+\), scored on its newest version: 8 likes live "
        r"\(\+1:4\d\) and 8 frozen, the sandbox's count \(the first version's 3 not added\)",
        check,
    )
    assert "ordered by the 'earliest' rule" in check
    assert "the rank command answered once; winners posted once" in check


@slow
def test_no_printed_standing_shows_a_zero_score(demo_run: tuple[int, str, Path]) -> None:
    _, text, _ = demo_run
    # Every standings row printed, both columns of the boards: "4=@chen_wei   15", " 1 @x  5".
    rows = re.findall(r"(?:^|(?<=\s))\d+[= ] ?@(\w+) +(\S+)", text, flags=re.MULTILINE)
    scores = [(who, value) for who, value in rows if value not in ("picked", "listed")]
    assert len(scores) > 60  # the boards, the frozen and the final standings
    assert all(re.fullmatch(r"\d+", value) for _, value in scores), scores
    assert all(int(value) > 0 for _, value in scores), [r for r in scores if r[1] == "0"]
    final = section(text, "final standings")
    assert "@random_rob     listed" in final  # on the jury's list, with 0 likes...
    assert "@random_rob" not in final.split("Most comments")[0]  # ...so never in most liked
    assert "@kofi_a" not in final.split("Most comments")[1]  # 0 distinct repliers


@slow
def test_a_post_indexed_after_the_end_enters_during_the_late_grace(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, db = demo_run
    grace = text.split("the end ──", 1)[1].split("the freeze ──", 1)[0]
    assert "The freeze waits 10m (the late grace)" in flat(grace)
    assert "provisional standings, in the late grace (they freeze at +2:10)" in grace
    assert "new entry: @mateo_l (posted +1:52, searchable 10m later, after the end" in grace
    with sqlite3.connect(db) as conn:
        (canonical,) = conn.execute("SELECT canonical FROM frozen_results").fetchone()
    inputs = {e["username"]: e for e in json.loads(canonical)["inputs"]["entries"]}
    assert inputs["mateo_l"]["late_indexed"] is True
    assert inputs["mateo_l"]["metrics"]["likes"] == 9
    assert not any(e["late_indexed"] for who, e in inputs.items() if who != "mateo_l")
    julia = inputs["julia_n"]  # the edited entry: keyed by its first id, frozen on its newest
    assert julia["tweet_id"] != julia["key"] and julia["metrics"]["likes"] == 8


@slow
def test_final_standings_leave_out_the_deleted_tweet_the_retweet_and_the_organiser(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, _ = demo_run
    final = section(text, "final standings")
    most_liked = final.split("Most comments")[0]
    assert "@ivan_p" not in final  # deleted at +1:10
    assert "@mateo_l" in most_liked  # indexed late, after the end
    assert "@igf_org" not in final  # the organiser
    assert "@lea_m" in most_liked  # lea ranks with her own entry...
    assert most_liked.count("@julia_n") == 1  # edited: one entry, not two
    # ...but her retweet of amara's entry was never collected, so amara ranks once too.
    assert most_liked.count("@amara_k") == 1


@slow
def test_the_tie_rule_the_digest_and_verification_are_shown(
    demo_run: tuple[int, str, Path],
) -> None:
    _, text, db = demo_run
    freeze = flat(section(text, "the freeze"))
    digest = re.search(r"digest\s+([0-9a-f]{64})", freeze)
    assert digest is not None
    assert "verify ok" in freeze
    assert "tie rule 'earliest'" in freeze
    assert re.search(r"@gabriel_m, Most liked: rank \d+, tie: equal with @chen_wei", freeze)
    assert "@kofi_a: 8 replies, all by the author (a self-reply farm)" in freeze
    assert "Best question (jury): @nosy_nina picked" in freeze  # the jury's pick, frozen
    assert "never ranks, rule organiser" in freeze
    assert '@amara_k\'s "@contestbot rank": never an entry, rule bot-command' in freeze
    assert "@spam_sam's reply to @elif_s does not count in Most comments" in freeze
    assert "(rule account-too-new); repliers pass the entrant rules" in freeze
    assert "@nosy_nina answered @random_rob's reply under @amara_k's entry" in freeze
    assert "@random_rob, Most liked: scores 0 here" in freeze
    assert re.search(r"@mateo_l: posted \+1:52, .* \(\+2:\d\d, late_indexed\): 9 likes", freeze)
    # The digest printed is the one stored in the database the demo leaves behind.
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT digest FROM frozen_results")}
    assert digest.group(1) in stored


@slow
def test_late_likes_change_nothing(demo_run: tuple[int, str, Path]) -> None:
    _, text, _ = demo_run
    after = section(text, "late likes")
    assert "10 late likes arrived after the final snapshot; standings unchanged" in after
    assert re.search(r"@amara_k\s+29 now,\s+24 frozen", after)
    assert re.search(r"@chen_wei\s+17 now,\s+15 frozen", after)
    assert re.search(r"@elif_s\s+21 now,\s+18 frozen", after)


@slow
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
    assert text.count("posted to the sandbox: mention-reply (en)") == 1  # "@contestbot rank"
    assert "@amara_k Your standing in IGF demo contest" in text
    assert "the demo approves it" in flat(text)
    posts = section(text, "the posts the bot made")
    assert "none twice" in posts
    for weighted in re.findall(r"(\d+)/280 weighted", text):
        assert int(weighted) <= 280


@slow
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


@slow
def test_a_database_path_that_is_a_directory_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--seconds", "5", "--db", str(tmp_path)], environ={}) == 2
    err = capsys.readouterr().err
    assert f"the database {tmp_path} is a folder" in err and "--db " in err


def test_a_file_that_is_not_a_database_is_never_deleted_by_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("the organisers' notes\n")
    assert main(["demo", "--seconds", "5", "--db", str(notes)], environ={}) == 2
    assert "is not a SQLite database" in capsys.readouterr().err
    assert notes.read_text() == "the organisers' notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# ------------------------------------------------------------------ the self-check bites


def _standing(
    kind: CategoryKind, scores: list[float], *, winners: int = 1, tie: bool = False
) -> CategoryStanding:
    category = Category("c", kind, title="Cat", winners=winners)
    rows = tuple(
        Ranked(
            rank=i + 1,
            key=str(i),
            post_id=str(i),
            author_id=str(i),
            username=f"user{i}",
            score=score,
            created_at=T0,
            url="",
            tie="earliest" if tie and i in (1, 2) else None,
        )
        for i, score in enumerate(scores)
    )
    return CategoryStanding(category, rows, tuple(r.key for r in rows[:winners]))


def test_a_prize_won_by_one_or_by_a_tie_fails_the_self_check() -> None:
    assert prize_check(_standing("likes", [24, 21, 18, 15], winners=3)).ok
    one = prize_check(_standing("replies", [5, 4, 1]))
    assert not one.ok and "@user0 5 wins by 1 over @user1 4: not a real margin" in one.text
    tied = prize_check(_standing("likes", [9, 9, 3], winners=1))
    assert not tied.ok and "wins by 0" in tied.text
    third = prize_check(_standing("likes", [30, 20, 11, 10], winners=3))
    assert not third.ok and "@user2 11 wins by 1 over @user3 10" in third.text
    assert not prize_check(_standing("likes", [], winners=1)).ok  # nobody reached the minimum


def test_a_zero_score_on_any_print_fails_the_self_check() -> None:
    good = Standings("x", T0, (_standing("likes", [3, 1]),))
    bad = Standings("x", T0, (_standing("likes", [3, 0]),))
    assert zero_check([Printed(T0, "live", good)]).ok
    check = zero_check([Printed(T0, "live", good), Printed(T0, "frozen", bad)])
    assert not check.ok and "@user1 0 in Cat (the frozen standings at 12:00 UTC)" in check.text


def test_the_tie_must_lie_below_the_prizes() -> None:
    below = Standings("x", T0, (_standing("likes", [9, 5, 5], winners=1, tie=True),))
    assert tie_check(below, "earliest").ok
    among = Standings("x", T0, (_standing("likes", [9, 5, 5], winners=3, tie=True),))
    assert not tie_check(among, "earliest").ok
