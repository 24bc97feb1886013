"""`contestbot post` and `contestbot outbox`, run through `main()` with an injected clock and
environment against a real database: scheduling (threads for long texts), listing in every
format, cancelling, approving a gated post, and previewing upcoming posts with their lengths."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import MetaData, func, select

from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.results import freeze
from bot.polling.poller import Poller
from bot.store import Store
from bot.store.rules import RulesStore
from bot.x.tweepy_client import TweepyXClient
from tests.cli.conftest import Cli

EVENT = """
[bot]
username = "contestbot"

[posting]
approval = ["scheduled"]

[[event]]
id = "closing"
title = "Closing session"
start = "2026-10-26T15:00:00"
timezone = "Europe/Paris"
show_zones = ["UTC", "Europe/Paris", "Asia/Singapore"]
post_languages = ["en", "fr"]
"""


@pytest.fixture
def post_cli(cli: Cli, clock: Any, db_url: str) -> Cli:
    clock.set(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    cli.env["DATABASE_URL"] = db_url
    cli.write_config("")
    return cli


def schedule(cli: Cli, text: str, *extra: str, at: str = "2026-10-21T10:00+02:00") -> Any:
    path = cli.tmp_path / "post.txt"
    path.write_text(text, encoding="utf-8")
    return cli("post", "schedule", "--at", at, "--text-file", str(path), *extra)


def test_schedule_list_and_cancel(post_cli: Cli) -> None:
    code, out, err = schedule(post_cli, "Join us tomorrow for the jury session!", "--lang", "en")
    assert code == 0, err
    assert "scheduled: post 1 at 2026-10-21T08:00:00Z (en), 1 part(s)" in out
    assert "$0.015" in out
    code, out, _ = schedule(post_cli, "Join us tomorrow for the jury session!", "--lang", "en")
    assert code == 0 and "already scheduled: post 1" in out  # same text, same minute: same post

    code, out, _ = post_cli("post", "list")
    assert code == 0 and "Join us tomorrow" in out and "pending" in out
    code, out, _ = post_cli("post", "list", "--format", "json")
    [doc] = json.loads(out)["posts"]
    assert doc["due_at"] == "2026-10-21T08:00:00Z" and doc["weighted_lengths"] == [38]

    code, out, _ = post_cli("post", "cancel", "1")
    assert code == 0 and "cancelled post 1" in out
    code, _, err = post_cli("post", "cancel", "1")
    assert code == 2 and "already cancelled" in err
    code, out, _ = post_cli("outbox", "--state", "cancelled", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["id", "state", "kind"] and rows[1][:3] == ["1", "cancelled", "scheduled"]


def test_a_long_text_becomes_a_thread_never_cut(post_cli: Cli) -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "words and more words " * 8 for i in range(5))
    code, out, err = schedule(post_cli, text)
    assert code == 0, err
    code, out, _ = post_cli("outbox", "preview", "1")
    assert code == 0
    parts = out.count("--- part ")
    assert parts >= 3 and f"--- part {parts}/{parts}: " in out
    code, out, _ = post_cli("outbox", "preview", "1", "--format", "json")
    [doc] = json.loads(out)["posts"]
    assert all(p["weighted_length"] <= 280 for p in doc["parts"])
    joined = " ".join(p["text"].rsplit("\n", 1)[0] for p in doc["parts"])
    assert " ".join(joined.split()) == " ".join(text.split())  # nothing lost
    code, out, _ = post_cli("outbox", "preview", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["part"] for r in rows] == [str(i) for i in range(1, parts + 1)]
    assert [r["text"] for r in rows] == [p["text"] for p in doc["parts"]]  # whole, one per row
    assert {r["weighted_length"] for r in rows} == {str(p["weighted_length"]) for p in doc["parts"]}


@pytest.mark.parametrize(
    ("at", "lang", "message"),
    [
        ("2026-10-21T10:00", "en", "has no UTC offset"),
        ("tomorrow", "en", "is not an ISO-8601 time"),
        ("2026-10-19T10:00Z", "en", "is in the past"),
        ("2026-10-21T10:00Z", "de", "is not a language the bot posts in"),
    ],
)
def test_bad_schedules_are_usage_errors(post_cli: Cli, at: str, lang: str, message: str) -> None:
    code, _, err = schedule(post_cli, "hello", "--lang", lang, at=at)
    assert code == 2 and message in err


def test_a_gated_post_waits_until_approved(post_cli: Cli) -> None:
    post_cli.write_config(EVENT)
    assert schedule(post_cli, "Our summary of the week")[0] == 0
    code, out, _ = post_cli("outbox")
    assert "waits for `outbox approve`" in out
    code, out, err = post_cli("outbox", "approve", "1", "--by", "maria")
    assert code == 0, err
    assert "approved post 1" in out and "by maria" in out
    code, out, _ = post_cli("outbox", "--format", "json")
    [doc] = json.loads(out)["posts"]
    assert doc["state"] == "approved" and doc["approved_by"] == "maria"
    code, _, err = post_cli("outbox", "approve", "1")
    assert code == 2 and "only a pending post can be approved" in err
    code, _, err = post_cli("outbox", "approve", "99")
    assert code == 2 and "no post 99" in err


def test_preview_upcoming_shows_reminders_the_config_will_plan(post_cli: Cli) -> None:
    post_cli.write_config(EVENT)
    assert schedule(post_cli, "See you soon")[0] == 0  # creates the database
    code, out, err = post_cli("outbox", "preview", "--upcoming")
    assert code == 0, err
    assert "event:closing:reminder:24h:fr [not planned yet] due 2026-10-25T14:00:00Z" in out
    assert "Rappel : Closing session commence dans 24 h (lun. 2026-10-26)" in out
    assert "Paris 15:00" in out and "Singapore 22:00" in out
    assert "#1 manual:" in out and "[pending]" in out
    assert "/280" in out


def test_listing_before_any_database_says_what_to_do(cli: Cli) -> None:
    cli.write_config("")
    code, _, err = cli("outbox")
    assert code == 1 and "no database" in err


# ------------------------------------------------------------ previewing competition posts ahead

RUN_START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
RUN_END = RUN_START + timedelta(hours=24)
RUNNING = f"""
[bot]
username = "contestbot"

[[competition]]
id = "spring"
title = "Spring photos"
hashtags = ["Spring"]
start = "{RUN_START.isoformat()}"
end = "{RUN_END.isoformat()}"
timezone = "Europe/Paris"
accounts = ["contestbot"]

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"

[posting]
approval = ["winners"]
leaderboard_updates = "6h"
languages = ["en", "fr"]
"""


def row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the database, reflected (so tables added later count too)."""
    meta = MetaData()
    with store.engine.connect() as conn:
        meta.reflect(conn)
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in meta.tables.items()
        }


@pytest.fixture
def running(post_cli: Cli, sandbox: Any, clock: ManualClock, db_url: str) -> Iterator[Store]:
    """The competition two hours in, polled once from the sandbox: alice leads bob."""
    post_cli.write_config(RUNNING)
    for name, likes in (("alice", 7), ("bob", 3)):
        sandbox.world.add_user(name)
        tid = sandbox.world.post(
            name, f"My photo #Spring by {name}", at=RUN_START + timedelta(hours=1)
        )
        sandbox.world.like(tid, likes)
    store = Store(db_url)
    store.upgrade()
    clock.set(RUN_START + timedelta(hours=2))
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, timeout=5.0)
    Poller(client, store, clock).run_cycle(parse_config(RUNNING, source="t.toml").competitions)
    try:
        yield store
    finally:
        store.close()


def test_preview_upcoming_shows_leaderboard_slots_and_the_winners_ahead(
    post_cli: Cli, running: Store
) -> None:
    before = row_counts(running)
    assert before["outbox"] == 0 and sum(before.values()) > 0  # polled entries, no post yet
    code, out, err = post_cli("outbox", "preview", "--upcoming")
    assert code == 0, err
    slot = "competition:spring:leaderboard:2026-09-01T1800Z:fr [not planned yet]"
    assert f"{slot} due 2026-09-01T18:00:00Z (2026-09-01 20:00 CEST, Europe/Paris)" in out
    assert "· leaderboard · fr ·" in out
    assert "note: as the standings are now; the real post uses the standings at its time" in out
    assert "competition:spring:winners:final:en [not planned yet] due 2026-09-02T12:00:00Z" in out
    assert "note: preview: final winners and digest are known after the freeze" in out
    assert "digest: computed at the freeze" in out

    code, out, _ = post_cli("outbox", "preview", "--upcoming", "--format", "json")
    posts = json.loads(out)["posts"]
    dues = [p["due_at"] for p in posts]
    assert dues == sorted(dues)
    boards = [p for p in posts if p["kind"] == "leaderboard"]
    assert {p["due_at"] for p in boards} == {
        "2026-09-01T18:00:00Z",
        "2026-09-02T00:00:00Z",
        "2026-09-02T06:00:00Z",
    }
    assert len(boards) == 6 and all(p["zone"] == "Europe/Paris" for p in boards)
    for p in boards:
        text = "\n".join(part["text"] for part in p["parts"])
        assert text.index("@alice") < text.index("@bob")  # today's standings: alice leads
    winners = [p for p in posts if p["kind"] == "winners"]
    assert [p["lang"] for p in winners] == ["en", "fr"]
    for p in winners:
        assert "@alice" in p["parts"][0]["text"] and "[digest-pending]" in p["parts"][-1]["text"]
        assert "known after the freeze" in p["note"]
    assert any(p["kind"] == "launch" for p in posts)
    assert all(part["weighted_length"] <= 280 for p in posts for part in p["parts"])
    assert all(Decimal(p["cost_usd"]) > 0 for p in posts)
    assert row_counts(running) == before  # a preview writes nothing


def test_after_the_freeze_the_winners_preview_shows_the_real_digest(
    post_cli: Cli, running: Store, sandbox: Any, clock: ManualClock
) -> None:
    config = parse_config(RUNNING, source="t.toml")
    comp = config.competitions[0]
    clock.set(RUN_END + timedelta(minutes=5))
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, timeout=5.0)
    Poller(client, running, clock).run_cycle(config.competitions)
    result = freeze(
        comp, running.entries(comp.id), frozen_at=clock.now(), bot_username="contestbot"
    )
    RulesStore(running).save_frozen(result, created_at=clock.now())
    stored = RulesStore(running).current("spring")
    assert stored is not None
    before = row_counts(running)

    code, out, err = post_cli("outbox", "preview", "--upcoming", "--format", "json")
    assert code == 0, err
    posts = json.loads(out)["posts"]
    assert not [p for p in posts if p["kind"] == "leaderboard" and p["due_at"] > "2026-09-02"]
    winners = [p for p in posts if p["kind"] == "winners"]
    assert [p["lang"] for p in winners] == ["en", "fr"]
    for p in winners:
        text = "\n".join(part["text"] for part in p["parts"])
        assert stored.digest[:16] in text and "[digest-pending]" not in text
        assert "@alice" in text and p["note"].startswith("the frozen result")
    assert row_counts(running) == before
