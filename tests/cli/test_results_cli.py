"""`contestbot results | verify | explain | disqualify | requalify | jury` in-process, against a
real SQLite file filled by the real poller and freezer from the sandbox over HTTP: what organisers
see, exit codes, the exported certificate checked by the independent script, tampering detected."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.clock import ManualClock
from bot.config import load_config
from bot.core.models import Competition
from bot.freezer import freeze_if_due
from bot.polling.poller import Poller
from bot.store import Store
from bot.x.tweepy_client import TweepyXClient
from tests.cli.conftest import Cli

ROOT = Path(__file__).parents[2]
VERIFIER = ROOT / "scripts" / "verify_certificate.py"


def config_text(clock: ManualClock) -> str:
    start, end = clock.now(), clock.now() + timedelta(hours=6)
    return f"""
[bot]
username = "contestbot"

[[competition]]
id = "spring"
title = "Spring photo contest"
hashtags = ["Spring"]
accounts = []
start = "{start.isoformat()}"
end = "{end.isoformat()}"
organisers = ["orga"]
tie_rule = "earliest"

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
winners = 1

[[competition.categories]]
id = "best-question"
kind = "jury"
title = "Best question"
questions_only = true
shortlist = 5
"""


@dataclass
class World:
    """The story's ids: alice and bob tie on likes (alice posted first), orga is an organiser."""

    comp: Competition
    alice: str
    bob: str
    orga: str
    carol: str


@pytest.fixture
def story(cli: Cli, sandbox: Any, clock: ManualClock) -> Iterator[World]:
    cli.write_config(config_text(clock))
    cli.use_sandbox(sandbox)
    comp = load_config(cli.config).competition("spring")
    assert comp is not None
    world = sandbox.world
    for name in ("alice", "bob", "orga", "carol"):
        world.add_user(name, followers=20)
    clock.advance(minutes=5)
    ids = World(
        comp,
        alice=world.post("alice", "tulips #Spring", at=clock.advance(seconds=1)),
        bob=world.post("bob", "daffodils #Spring", at=clock.advance(seconds=1)),
        orga=world.post("orga", "our own photo #Spring", at=clock.advance(seconds=1)),
        carol=world.post("carol", "What makes a photo? #Spring", at=clock.advance(seconds=1)),
    )
    for tid, likes in ((ids.alice, 4), (ids.bob, 4), (ids.orga, 30), (ids.carol, 1)):
        world.like(tid, likes)
    clock.advance(minutes=5)
    store = Store(cli.db_url)
    store.upgrade()
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
    Poller(client, store, clock).run_cycle([comp])
    store.close()
    yield ids


def freeze(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World, late: timedelta = timedelta(0)
) -> None:
    store = Store(cli.db_url)
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
    clock.set(story.comp.end + late)
    assert freeze_if_due(
        story.comp,
        client=client,
        store=store,
        clock=clock,
        bot_username="contestbot",
        settle=timedelta(0),  # no poller here: the final snapshot and the freeze at once
    )
    store.close()


def tamper(cli: Cli, statement: str, **params: Any) -> None:
    """Change the bot's database behind its back, as someone with SQL access could, on SQLite or
    PostgreSQL alike."""
    engine = create_engine(cli.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def test_results_before_the_freeze_show_live_standings_with_a_note(cli: Cli, story: World) -> None:
    code, out, _ = cli("results", "spring")
    assert code == 0
    assert out.splitlines()[1] == (
        "not frozen yet: the final snapshot is taken at the end (2026-09-01T18:00:00Z) and the "
        "standings freeze once the final re-scan for late-indexed posts is done (from "
        "2026-09-02T00:00:00Z); these are the live standings as of 2026-09-01T12:10:04Z"
    )
    assert out.lower().count("not frozen yet") == 1
    assert "@orga" in out and "organiser: @orga is an organiser" in out
    assert "excluded from every category (1 rule failure):" in out
    assert "Most liked [most-liked: likes] winners: @alice" in out  # category_label headings
    code, out, err = cli("results", "spring", "--export", str(cli.tmp_path / "c.json"))
    assert code == 1 and "not frozen yet" in err
    code, out, err = cli("verify", "spring")
    assert code == 1 and "not frozen yet" in err


def test_results_after_the_freeze_print_the_tie_rule_and_digest_and_export_a_certificate(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    freeze(cli, sandbox, clock, story)
    sandbox.world.like(story.bob, 100)  # after the deadline: changes nothing
    code, out, _ = cli("results", "spring")
    assert code == 0
    assert "frozen at 2026-09-01T18:00:00Z (deadline 2026-09-01T18:00:00Z; on time)" in out
    assert "not running" not in out
    assert "winners: @alice" in out and "earliest" in out  # a tie on 4 likes: earlier post wins
    code, out, _ = cli("results", "spring", "--format", "json")
    doc = json.loads(out)
    assert doc["state"] == "frozen" and len(doc["digest"]) == 64
    most_liked = doc["standings"]["categories"][0]
    assert most_liked["winners"] == [story.alice]
    assert [r["tie"] for r in most_liked["ranked"][:2]] == ["earliest", "earliest"]

    cert = cli.tmp_path / "certificate.json"
    code, _, err = cli("results", "spring", "--export", str(cert))
    assert code == 0 and "verify_certificate.py" in err
    assert json.loads(cert.read_text(encoding="utf-8"))["digest"] == doc["digest"]
    run = subprocess.run(
        [sys.executable, str(VERIFIER), str(cert)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED spring" in run.stdout and doc["digest"] in run.stdout

    code, out, _ = cli("verify", "spring")
    assert code == 0 and "MATCH" in out and "MISMATCH" not in out


def test_verify_exits_1_on_a_tampered_metric_row(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    freeze(cli, sandbox, clock, story)
    tamper(
        cli,
        "UPDATE metric_snapshots SET likes = 99 WHERE key = :k AND taken_at = "
        "(SELECT max(taken_at) FROM metric_snapshots WHERE key = :k)",
        k=story.bob,
    )
    code, out, _ = cli("verify", "spring")
    assert code == 1 and "MISMATCH" in out and f"metrics of entry {story.bob}" in out
    tamper(cli, "UPDATE metric_snapshots SET likes = 4 WHERE key = :k", k=story.bob)
    tamper(
        cli,
        "UPDATE frozen_results SET canonical = replace(canonical, :old, :new)",
        old=f'"key":"{story.bob}"',
        new=f'"key":"{story.bob}","x":1',
    )
    code, out, _ = cli("verify", "spring")
    assert code == 1 and "was changed after it was written" in out


def test_explain_answers_for_every_entry(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    freeze(cli, sandbox, clock, story)
    for tid in (story.alice, story.bob, story.orga, story.carol):
        code, out, _ = cli("explain", "spring", f"https://x.com/someone/status/{tid}")
        assert code == 0 and tid in out
    assert "organiser: @orga is an organiser" in cli("explain", "spring", story.orga)[1]
    assert "tie rule 'earliest'" in cli("explain", "spring", story.bob)[1]
    assert "a winner of this category" in cli("explain", "spring", story.alice)[1]
    code, _, err = cli("explain", "spring", "1")
    assert code == 2 and "tweet 1 is not an entry of competition 'spring'" in err
    code, _, err = cli("explain", "spring", "not-a-tweet")
    assert code == 2 and "'not-a-tweet' is neither a tweet id nor a post URL" in err
    for args in (
        ("explain", "spring", "9" * 23),
        ("disqualify", "spring", "9" * 23, "--reason", "x"),
    ):
        code, _, err = cli(*args)
        assert code == 2 and "is not a tweet id: X ids are whole numbers from 1 to" in err


def test_explain_before_the_freeze_says_currently_winning(cli: Cli, story: World) -> None:
    code, out, _ = cli("explain", "spring", story.alice)
    assert code == 0 and "currently in a winning place (live)" in out and "a winner" not in out


def test_a_late_freeze_says_the_bot_was_not_running_and_for_how_long(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    freeze(cli, sandbox, clock, story, late=timedelta(hours=3, minutes=4))
    code, out, _ = cli("results", "spring")
    assert code == 0
    assert (
        "frozen at 2026-09-01T21:04:00Z (deadline 2026-09-01T18:00:00Z; 3 h 4 min after the "
        "deadline: the bot was not running at the deadline, so it took the final snapshot at its "
        "first chance (likes in between are counted))"
    ) in out
    doc = json.loads(cli("results", "spring", "--format", "json")[1])
    assert (doc["freeze_delay_seconds"], doc["freeze_delay_reason"]) == (11040, "bot-not-running")
    assert doc["final_snapshot_at"] == doc["frozen_at"] == "2026-09-01T21:04:00Z"


def test_verify_names_the_first_exclusion_that_differs(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    freeze(cli, sandbox, clock, story)
    tamper(
        cli,
        "UPDATE frozen_results SET canonical = replace(canonical, :old, :new)",
        old="@orga is an organiser",
        new="@orga looked suspicious",
    )
    code, out, _ = cli("verify", "spring")
    assert code == 1
    assert (
        f"exclusions (3 stored, 3 recomputed): item 3 stored {story.orga} @orga organiser in "
        f"every category: '@orga looked suspicious' but recomputed {story.orga} @orga organiser "
        "in every category: '@orga is an organiser'"
    ) in out


def test_disqualify_and_requalify_are_logged_and_re_issue_a_frozen_result(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    code, out, _ = cli(
        "disqualify", "spring", story.alice, "--reason", "bought likes", "--by", "Ana"
    )
    assert code == 0 and "disqualified entry" in out and "enters the result" in out
    code, out, _ = cli("results", "spring", "--format", "json")
    assert json.loads(out)["standings"]["categories"][0]["winners"] == [story.bob]

    freeze(cli, sandbox, clock, story)
    clock.advance(hours=1)
    code, out, _ = cli("requalify", "spring", story.alice, "--reason", "likes were organic")
    assert code == 0 and "result re-issued as version 2 (decision)" in out
    code, out, _ = cli("disqualify", "spring", story.alice, "--reason", "x", "--by", "Bo")
    code, out, _ = cli("disqualify", "spring", story.alice, "--reason", "x", "--by", "Bo")
    assert code == 0 and "nothing logged" in out
    doc = json.loads(cli("results", "spring", "--format", "json")[1])
    assert [d["action"] for d in doc["decisions"]] == ["disqualify", "requalify", "disqualify"]
    assert doc["decisions"][0]["by"] == "Ana" and doc["decisions"][1]["by"]  # the OS user
    assert [h["version"] for h in doc["history"]] == [1, 2, 3]
    assert cli("verify", "spring")[0] == 0

    code, _, err = cli("disqualify", "spring", "123", "--reason", "x")
    assert code == 2 and "tweet 123 is not an entry of competition 'spring'" in err
    code, out, _ = cli("disqualify", "spring", story.alice, "--reason", "another reason")
    assert code == 0 and f"entry {story.alice} is already disqualified (by Bo at" in out
    assert "nothing logged" in out and "requalify it and disqualify it again" in out
    code, out, _ = cli("requalify", "spring", story.bob, "--reason", "why not")
    assert code == 0 and out == (
        f"entry {story.bob} is not disqualified and fails no rule a re-qualification lifts "
        "(account age, followers, language); nothing logged\n"
    )
    after = json.loads(cli("results", "spring", "--format", "json")[1])
    assert after["decisions"] == doc["decisions"] and after["history"] == doc["history"]
    code, _, err = cli("disqualify", "nope", story.alice, "--reason", "x")
    assert code == 2 and 'no competition "nope"' in err


def test_a_jury_pick_is_shown_in_the_results(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    code, out, _ = cli("jury", "list", "spring")
    assert code == 0 and "no jury picks yet" in out and "@carol" in out
    code, _, err = cli(
        "jury",
        "pick",
        "spring",
        "best-question",
        story.alice,
        "--rank",
        "1",
        "--judge",
        "Ana",
        "--reason",
        "nice",
    )
    assert code == 2 and "not-a-question" in err  # not a question: not a candidate
    code, _, err = cli(
        "jury",
        "pick",
        "spring",
        "most-liked",
        story.carol,
        "--rank",
        "1",
        "--judge",
        "Ana",
        "--reason",
        "nice",
    )
    assert code == 2 and "use one of: best-question" in err
    freeze(cli, sandbox, clock, story)
    code, out, _ = cli(
        "jury",
        "pick",
        "spring",
        "best-question",
        story.carol,
        "--rank",
        "1",
        "--judge",
        "Ana",
        "--reason",
        "asks what matters",
    )
    assert code == 0 and "re-issued as version 2 (jury)" in out
    code, out, _ = cli("results", "spring")
    assert "Best question [best-question: jury] winners: @carol" in out
    code, out, _ = cli("jury", "list", "spring", "--format", "json")
    picks = json.loads(out)["picks"]
    assert [(p["judge"], p["reason"], p["username"]) for p in picks] == [
        ("Ana", "asks what matters", "carol")
    ]
    assert cli("verify", "spring")[0] == 0


def jury_pick(cli: Cli, tweet: str, rank: int, *extra: str) -> tuple[int, str, str]:
    code, out, err = cli(
        "jury",
        "pick",
        "spring",
        "best-question",
        tweet,
        "--rank",
        str(rank),
        "--judge",
        "Ana",
        "--reason",
        "asks well",
        *extra,
    )
    return code, out, err


def test_jury_ranks_stay_within_the_shortlist_and_a_taken_rank_needs_replace(
    cli: Cli, sandbox: Any, clock: ManualClock, story: World
) -> None:
    sandbox.world.add_user("dave", followers=20)
    dave = sandbox.world.post("dave", "Why spring? #Spring", at=clock.advance(seconds=1))
    store = Store(cli.db_url)
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
    Poller(client, store, clock).run_cycle([story.comp])
    store.close()

    code, _, err = jury_pick(cli, story.carol, 99)
    assert code == 2 and "--rank 99 is past the last place of 'best-question'" in err
    assert "ranks go from 1 to 5 (winners 1, shortlist 5)" in err
    assert jury_pick(cli, story.carol, 1)[0] == 0
    clock.advance(seconds=1)
    code, _, err = jury_pick(cli, dave, 1)
    assert code == 2 and f"rank 1 of 'best-question' is already held by entry {story.carol}" in err
    assert "give --replace to move it down one place" in err
    code, out, _ = jury_pick(cli, dave, 1, "--replace")
    assert code == 0 and f"moved entry {story.carol} down to rank 2" in out
    code, out, _ = cli("jury", "list", "spring", "--format", "json")
    doc = json.loads(out)
    assert doc["schema"] == "contestbot.jury/1"
    assert [(p["key"], p["rank"]) for p in doc["picks"]] == [
        (story.carol, 1),
        (story.carol, 2),
        (dave, 1),
    ]
    shortlist = doc["shortlists"]["best-question"]
    assert [(r["key"], r["jury_rank"]) for r in shortlist] == [(dave, 1), (story.carol, 2)]
    doc = json.loads(cli("results", "spring", "--format", "json")[1])
    assert doc["standings"]["categories"][1]["winners"] == [dave]

    code, out, _ = cli("jury", "list", "spring", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "list,category,position,entry,author,score,jury_rank,judge,picked_at,reason"
    assert lines[1].startswith(f"pick,best-question,1,{story.carol},carol,,1,Ana,")
    assert lines[-1] == f"shortlist,best-question,2,{story.carol},carol,1,2,,,"
    assert "  " not in out  # CSV, not the aligned table
