"""The poster against the real sandbox over HTTP (tweepy) and a real database: a week of reminders
across the EU daylight-saving change, exactly once in each language; the winners announcement
after the freeze and after approval; crashes at each step of a send; and every error path."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from bot.clock import ManualClock
from bot.core.outbox import OutboxPost, mention_reply_key, scheduled_key, transition
from bot.core.results import freeze
from bot.polling.poller import Poller
from bot.posting.planner import StoredResults
from bot.store.outbox import OutboxStore
from bot.store.rules import RulesStore
from tests.shell.postingkit import (  # close_stores: autouse
    client_for,
    close_stores,
    competition_toml,
    config_of,
    creates,
    open_store,
    poster_for,
)

__all__ = ["close_stores"]

WEEK_START = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)  # EU clocks go back Sun 25 Oct, 01:00 UTC
ZONES = '["UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Singapore"]'

WEEK = f"""
[posting]
grace = "30m"

[[event]]
id = "before-dst"
title = "Open internet webinar"
start = "2026-10-23T16:00:00"
timezone = "Europe/Paris"
show_zones = {ZONES}
languages = ["en", "fr", "es"]
post_languages = ["en", "fr", "es"]
link = "https://example.org/one"

[[event]]
id = "dst-morning"
title = "Youth session"
start = "2026-10-25T10:00:00"
timezone = "Europe/Paris"
show_zones = {ZONES}
post_languages = ["en", "fr", "es"]

[[event]]
id = "after-dst"
title = "Closing session"
start = "2026-10-26T15:00:00"
timezone = "Europe/Paris"
show_zones = {ZONES}
post_languages = ["en", "fr", "es"]
link = "https://example.org/three"

[[event]]
id = "combined"
title = "Q&A"
start = "2026-10-27T09:00:00Z"
show_zones = ["UTC", "Asia/Singapore"]
post_mode = "combined"
post_languages = ["en", "fr"]
"""

# event -> (UTC start, the local times every reminder of it must show)
EXPECTED = {
    "before-dst": (
        datetime(2026, 10, 23, 14, 0, tzinfo=UTC),  # 16:00 CEST = UTC+2
        ["UTC 14:00", "Paris 16:00", "Sao Paulo 11:00", "Singapore 22:00"],
    ),
    "dst-morning": (
        datetime(2026, 10, 25, 9, 0, tzinfo=UTC),  # 10:00 CET = UTC+1, hours after the change
        ["UTC 09:00", "Paris 10:00", "Sao Paulo 06:00", "Singapore 17:00"],
    ),
    "after-dst": (
        datetime(2026, 10, 26, 14, 0, tzinfo=UTC),
        ["UTC 14:00", "Paris 15:00", "Sao Paulo 11:00", "Singapore 22:00"],
    ),
}
LANG_WORDS = {"en": "Reminder", "fr": "Rappel", "es": "Recordatorio"}


def run_until(poster: Any, clock: ManualClock, end: datetime, step: timedelta) -> None:
    while clock.now() < end:
        poster.cycle()
        clock.advance(step.total_seconds())


def test_a_week_of_reminders_goes_out_once_per_language_with_local_times_across_dst(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    clock.set(WEEK_START)
    store = open_store(db_url)
    poster = poster_for(sandbox, store, clock, config_of(WEEK))
    run_until(poster, clock, WEEK_START + timedelta(days=8), timedelta(minutes=15))
    # ... and the bot restarts once more: nothing is posted again.
    poster_for(sandbox, store, clock, config_of(WEEK)).cycle()

    posted = sandbox.posted
    texts = [p["text"] for p in posted]
    assert len(texts) == len(set(texts)) == 3 * 2 * 3 + 2  # 3 events x 2 offsets x 3 langs + 2
    for event_id, (start, local_times) in EXPECTED.items():
        for offset in (timedelta(hours=24), timedelta(hours=1)):
            due = start - offset  # 24 real hours, even across the change
            at_due = [p for p in posted if _when(p) == due]
            langs = Counter(
                lang for p in at_due for lang, word in LANG_WORDS.items() if word in p["text"]
            )
            assert langs == {"en": 1, "fr": 1, "es": 1}, (event_id, offset, langs)
            for p in at_due:
                for local in local_times:
                    assert local in p["text"], (event_id, local, p["text"])
    combined = [p for p in posted if "Q&A" in p["text"]]
    assert len(combined) == 2
    assert all("Reminder" in p["text"] and "Rappel" in p["text"] for p in combined)
    assert all("Singapore 17:00" in p["text"] for p in combined)
    outbox = OutboxStore(store)
    assert {e.post.state for e in outbox.entries()} == {"sent"}


def _when(posted: dict[str, Any]) -> datetime:
    """When a post went out (the sandbox's clock is the scenario's)."""
    return datetime.strptime(posted["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_a_reminder_for_a_session_that_started_is_skipped_and_recorded(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    clock.set(datetime(2026, 10, 26, 14, 30, tzinfo=UTC))  # the bot was down all day
    store = open_store(db_url)
    poster_for(sandbox, store, clock, config_of(WEEK)).cycle()
    states = {e.post.key: (e.post.state, e.post.last_error) for e in OutboxStore(store).entries()}
    assert states["event:after-dst:reminder:1h:fr"][0] == "skipped"
    assert "started" in (states["event:after-dst:reminder:1h:fr"][1] or "")
    assert states["event:after-dst:reminder:24h:en"][0] == "skipped"
    late = states["event:combined:reminder:24h:en+fr"]  # due 09:00, past the 30m grace
    assert late[0] == "skipped" and "more than 0:30:00 ago" in (late[1] or "")
    assert states["event:combined:reminder:1h:en+fr"][0] == "pending"  # still ahead
    assert sandbox.posted == []


def test_a_missed_post_goes_out_late_only_within_the_grace(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    poster = poster_for(sandbox, store, clock, config_of(WEEK))
    outbox = OutboxStore(store)
    now = clock.now()
    outbox.add(
        [
            OutboxPost(
                scheduled_key(now - timedelta(minutes=20), "late", "en"),
                "scheduled",
                "en",
                ("Late but within the grace",),
                now - timedelta(minutes=20),
            ),
            OutboxPost(
                scheduled_key(now - timedelta(hours=2), "too late", "en"),
                "scheduled",
                "en",
                ("Too late",),
                now - timedelta(hours=2),
            ),
        ],
        now=now,
    )
    report = poster.run_due()
    assert [p["text"] for p in sandbox.posted] == ["Late but within the grace"]
    assert len(report.skipped) == 1 and report.skipped[0].endswith(":en")


# ------------------------------------------------------------------------------ winners


COMP_START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
COMP_END = COMP_START + timedelta(hours=6)


def winners_setup(sandbox: Any, clock: ManualClock, db_url: str, posting: str) -> tuple[Any, Any]:
    world = sandbox.world
    for name, likes in (("alice", 7), ("bob", 3)):
        world.add_user(name)
        tid = world.post(name, f"My photo #Spring by {name}", at=COMP_START + timedelta(hours=1))
        world.like(tid, likes)
    config = config_of(competition_toml("spring", COMP_START, COMP_END) + posting)
    store = open_store(db_url)
    clock.set(COMP_END + timedelta(minutes=5))
    Poller(client_for(sandbox), store, clock).run_cycle(config.competitions)
    comp = config.competitions[0]
    result = freeze(comp, store.entries(comp.id), frozen_at=clock.now(), bot_username="contestbot")
    RulesStore(store).save_frozen(result, created_at=clock.now())
    poster = poster_for(sandbox, store, clock, config, results=StoredResults(store))
    return poster, store


def test_winners_wait_for_approval_then_post_once_with_the_digest_and_the_chart(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    posting = '\n[posting]\napproval = ["winners"]\nlanguages = ["en", "fr"]\nchart = true\n'
    poster, store = winners_setup(sandbox, clock, db_url, posting)
    poster.cycle()
    outbox = OutboxStore(store)
    winners = [e.post for e in outbox.entries(kinds=("winners",))]
    assert [p.state for p in winners] == ["pending", "pending"]
    assert not [p for p in sandbox.posted if "winners" in p["text"] or "gagnants" in p["text"]]
    clock.advance(3600)  # nobody approved for an hour: still nothing
    poster.cycle()
    assert not any("🏆" in p["text"] for p in sandbox.posted)

    for post in winners:
        outbox.approve(post.key, by="jury", now=clock.now())
    poster.cycle()
    poster.cycle()
    announced = [p for p in sandbox.posted if "🏆" in p["text"]]
    assert len(announced) == 2
    digest = RulesStore(store).current("spring")
    assert digest is not None
    for p in announced:
        assert "@alice" in p["text"] and digest.digest[:16] in p["text"]
        assert len(p["media_ids"]) == 1  # the standings chart
    assert RulesStore(store).checks("spring")  # the pre-announcement re-check ran


def test_the_recheck_replaces_a_winner_deleted_since_the_freeze(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    poster, store = winners_setup(sandbox, clock, db_url, "\n[posting]\napproval = []\n")
    alice_entry = next(e for e in store.entries("spring") if e.author.username == "alice")
    sandbox.world.delete(alice_entry.post.id)
    Poller(client_for(sandbox), store, clock).refresh(["spring"], _report(clock))
    poster.cycle()
    announced = [p["text"] for p in sandbox.posted if "🏆" in p["text"]]
    assert len(announced) == 1
    assert "@bob" in announced[0] and "@alice" not in announced[0]


def _report(clock: ManualClock) -> Any:
    from bot.polling.poller import CycleReport

    return CycleReport(started_at=clock.now())


# ----------------------------------------------------------------------- crash points


def scheduled(clock: ManualClock, text: str, **kw: Any) -> OutboxPost:
    now = clock.now()
    return OutboxPost(scheduled_key(now, text, "en"), "scheduled", "en", (text,), now, **kw)


def test_a_crash_after_the_sending_marker_but_before_the_call_posts_once(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = scheduled(clock, "Invitation to the jury session")
    outbox.add([post], now=clock.now())
    # the process died right after committing the marker: the call never happened
    assert outbox.update(transition(post, "sending"), "pending", now=clock.now())
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    assert [p["text"] for p in sandbox.posted] == ["Invitation to the jury session"]
    assert report.sent == [post.key] and report.reconciled == []


def test_a_crash_after_the_201_before_recording_is_reconciled_from_the_timeline(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = scheduled(clock, "Summary of day one")
    outbox.add([post], now=clock.now())
    assert outbox.update(transition(post, "sending"), "pending", now=clock.now())
    tweet_id = sandbox.world.post("contestbot", "Summary of day one")  # X did create it
    before = creates(sandbox)
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    assert creates(sandbox) == before  # never posted again
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.state == "sent"
    assert entry.post.posted_ids == (tweet_id,) and report.reconciled == [post.key]


def test_reconciliation_reads_past_the_first_page_of_the_timeline(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = scheduled(clock, "Summary of day two")
    outbox.add([post], now=clock.now())
    assert outbox.update(transition(post, "sending"), "pending", now=clock.now())
    tweet_id = sandbox.world.post("contestbot", "Summary of day two")  # X did create it
    for i in range(130):  # then the bot posted a lot: ours is on the timeline's second page
        clock.advance(1)
        sandbox.world.post("contestbot", f"Unrelated update number {i}")
    before = creates(sandbox)
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    assert creates(sandbox) == before
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.posted_ids == (tweet_id,)
    assert report.reconciled == [post.key]


def test_a_connection_dropped_after_the_post_was_applied_is_not_posted_twice(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    text = "A long summary. " + " ".join(f"point{i}" for i in range(80))
    post = scheduled(clock, text)
    from bot.core.composing import make_draft

    parts = make_draft("scheduled", "en", text).parts
    assert len(parts) >= 2
    outbox.add([replace(post, parts=parts)], now=clock.now())
    sandbox.faults.add("drop", "create", count=1)  # part 1 is created, its answer lost
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    assert report.reconciled == [post.key] and report.sent == [post.key]
    posted = sandbox.posted
    assert [p["text"] for p in posted] == list(parts)
    for previous, part in pairwise(posted):
        assert part["in_reply_to_tweet_id"] == previous["id"]  # a thread, resumed in order
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.posted_ids == tuple(p["id"] for p in posted)


# ------------------------------------------------------------------------------ errors


def test_a_reply_restriction_403_is_recorded_and_not_retried(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    sandbox.world.add_user("carol")
    stranger = sandbox.world.post("carol", "a tweet that does not mention the bot")
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = OutboxPost(
        mention_reply_key(stranger, "en"),
        "mention-reply",
        "en",
        ("@carol Your standing: #1",),
        clock.now(),
        reply_to=stranger,
    )
    outbox.add([post], now=clock.now())
    poster = poster_for(sandbox, store, clock, config_of(""))
    poster.run_due()
    clock.advance(3600)
    poster.run_due()
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.state == "failed"
    assert "reply-restricted" in (entry.post.last_error or "")
    assert creates(sandbox) == 1 and sandbox.posted == []


def test_a_duplicate_content_403_is_reconciled_as_our_earlier_post(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = scheduled(clock, "Thank you all for joining!")
    outbox.add([post], now=clock.now())
    earlier = sandbox.world.post("contestbot", "Thank you all for joining!")
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.state == "sent"
    assert entry.post.posted_ids == (earlier,) and report.reconciled == [post.key]
    assert sandbox.posted == []  # the API refused the copy; nothing new exists


def test_429_waits_for_the_reset_and_5xx_backs_off_then_each_post_goes_once(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    limited, broken = scheduled(clock, "first"), scheduled(clock, "second")
    outbox.add([limited], now=clock.now())
    poster = poster_for(sandbox, store, clock, config_of('[posting]\ngrace = "2h"\n'))
    sandbox.faults.add("rate_limit", "create", count=1, reset_in=900)
    assert poster.run_due().retrying == [limited.key]
    clock.advance(600)
    poster.run_due()
    assert sandbox.posted == []  # the reset is 15 minutes away
    clock.advance(301)
    poster.run_due()
    assert [p["text"] for p in sandbox.posted] == ["first"]

    outbox.add([replace(broken, due_at=clock.now())], now=clock.now())
    sandbox.faults.add("server_error", "create", count=2)
    for _ in range(30):
        poster.run_due()
        clock.advance(60)
    assert [p["text"] for p in sandbox.posted] == ["first", "second"]
    entry = outbox.get(broken.key)
    assert entry is not None and entry.post.attempts == 2


def test_a_too_long_post_fails_before_any_request(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    post = scheduled(clock, "x" * 300)
    outbox.add([post], now=clock.now())
    report = poster_for(sandbox, store, clock, config_of("")).run_due()
    assert report.failed == [post.key] and creates(sandbox) == 0
    entry = outbox.get(post.key)
    assert entry is not None and "300 weighted characters" in (entry.post.last_error or "")


def test_the_monthly_budget_holds_posts_that_would_exceed_it(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    store = open_store(db_url)
    outbox = OutboxStore(store)
    cheap, dear = scheduled(clock, "no link here"), scheduled(clock, "see https://example.org")
    outbox.add([cheap, dear], now=clock.now())
    poster = poster_for(sandbox, store, clock, config_of("[posting]\nmonthly_budget_usd = 0.1\n"))
    report = poster.run_due()
    assert [p["text"] for p in sandbox.posted] == ["no link here"]  # $0.015 fits, $0.20 doesn't
    assert report.held == [dear.key]
    entry = outbox.get(dear.key)
    assert entry is not None and entry.post.state == "pending"
    assert "budget" in (entry.post.last_error or "")


def test_dry_run_posts_nothing_and_marks_nothing(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    clock.set(datetime(2026, 10, 22, 13, 55, tzinfo=UTC))
    store = open_store(db_url)
    poster = poster_for(sandbox, store, clock, config_of(WEEK), dry_run=True)
    clock.set(datetime(2026, 10, 22, 14, 0, tzinfo=UTC))  # the 24h reminders of "before-dst"
    report = poster.cycle()
    assert len(report.would_send) == 3
    assert sandbox.posted == [] and creates(sandbox) == 0
    assert {e.post.state for e in OutboxStore(store).entries()} == {"pending"}
    # out of dry run, the same posts go out, once
    poster_for(sandbox, store, clock, config_of(WEEK)).cycle()
    assert len(sandbox.posted) == 3


def test_a_recheck_that_changes_approved_winners_asks_for_approval_again(
    sandbox: Any, clock: ManualClock, db_url: str
) -> None:
    poster, store = winners_setup(sandbox, clock, db_url, '\n[posting]\napproval = ["winners"]\n')
    poster.cycle()
    outbox = OutboxStore(store)
    [post] = [e.post for e in outbox.entries(kinds=("winners",))]
    outbox.approve(post.key, by="jury", now=clock.now())
    alice_entry = next(e for e in store.entries("spring") if e.author.username == "alice")
    sandbox.world.delete(alice_entry.post.id)  # deleted after the approval
    poster.cycle()
    assert not any("🏆" in p["text"] for p in sandbox.posted)
    entry = outbox.get(post.key)
    assert entry is not None and entry.post.state == "pending"
    assert "approve it again" in (entry.post.last_error or "")
    assert "@bob" in entry.post.parts[0] and "@alice" not in entry.post.parts[0]
    outbox.approve(post.key, by="jury", now=clock.now())
    poster.cycle()
    [announced] = [p["text"] for p in sandbox.posted if "🏆" in p["text"]]
    assert "@bob" in announced
