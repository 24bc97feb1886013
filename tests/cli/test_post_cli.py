"""`contestbot post` and `contestbot outbox`, run through `main()` with an injected clock and
environment against a real database: scheduling (threads for long texts), listing in every
format, cancelling, approving a gated post, and previewing upcoming posts with their lengths."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.cli.conftest import Cli

EVENT = """
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
