"""Where a competition is in its life for the daemon's steps (`bot.core.phases`)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.phases import freeze_wait, is_due, is_settled, next_refresh_run, refresh_phase
from tests.core.rulesdata import END, START, competition

MINUTE = timedelta(minutes=1)


def test_a_competition_waits_runs_then_ends_at_its_boundaries() -> None:
    c = competition()
    assert refresh_phase(c, START - MINUTE) == "waiting"
    assert refresh_phase(c, START) == "running"
    assert refresh_phase(c, END - MINUTE) == "running"
    assert refresh_phase(c, END) == "ended"
    assert not is_due(c, END - MINUTE) and is_due(c, END)


def test_the_freeze_settles_after_the_late_grace_and_looks_again_then() -> None:
    c = competition(late_grace=timedelta(minutes=10))
    assert not is_settled(c, END + 9 * MINUTE) and is_settled(c, END + 10 * MINUTE)
    assert is_settled(c, END, settle=timedelta(0))
    assert freeze_wait(c, END + MINUTE) == END + 10 * MINUTE
    assert freeze_wait(c, END + 10 * MINUTE) is None


def test_the_next_refresh_is_never_sooner_than_a_second_nor_later_than_a_poll() -> None:
    poll = timedelta(minutes=5)
    assert next_refresh_run([], now=START, poll_interval=poll) is None
    assert next_refresh_run([START - MINUTE], now=START, poll_interval=poll) == START + timedelta(
        seconds=1
    )
    assert next_refresh_run(
        [START + 2 * MINUTE, START + 3 * MINUTE], now=START, poll_interval=poll
    ) == (START + 2 * MINUTE)
    assert (
        next_refresh_run([START + timedelta(hours=2)], now=START, poll_interval=poll)
        == START + poll
    )
