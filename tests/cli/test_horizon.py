"""The 7-day search horizon and the late-posts grace as organisers meet them on the command line:
`config check` says when results freeze and warns (one line, exit 0) of the part of a window X's
recent search cannot reach; `run` warns the same until the competition is frozen, and the frozen
result records the span that was never collected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.store import Store
from bot.store.rules import RulesStore
from tests.cli.conftest import Cli, competition_toml

WHY = "X's recent search reaches back 7 days only"


def test_config_check_warns_of_a_start_beyond_the_7_day_search_and_says_when_results_freeze(
    cli: Cli, clock: ManualClock
) -> None:
    now = clock.now()
    cli.write_config(
        competition_toml("old", now - timedelta(days=9), now + timedelta(days=1))
        + competition_toml("fresh", now - timedelta(days=1), now + timedelta(days=1), hashtag="F")
    )
    code, out, err = cli("config", "check")
    assert code == 0, err
    [line] = err.strip().splitlines()
    assert line == (
        'warning: competition "old": posts from 2026-08-23T12:00:00Z to 2026-08-25T12:05:00Z '
        f"cannot be collected if the bot first searches it now: {WHY} - move start to "
        "2026-08-25T12:05:00Z or later, or accept the gap (full-archive search needs Pro access)"
    )
    # The freeze waits for the default 6-hour late-posts grace after the end.
    assert out.count("results freeze from 2026-09-02T18:00:00Z, after the final re-scan") == 2
    assert "posts indexed up to 6 h late (late_posts_grace)" in out
    assert not cli.written()


def test_config_check_takes_a_declared_grace_and_refuses_one_out_of_range(
    cli: Cli, clock: ManualClock
) -> None:
    now = clock.now()
    toml = competition_toml("spring", now, now + timedelta(days=1))
    cli.write_config(
        toml.replace("excluded_accounts", 'late_posts_grace = "30m"\nexcluded_accounts')
    )
    code, out, err = cli("config", "check")
    assert code == 0 and err == ""
    assert "results freeze from 2026-09-02T12:30:00Z" in out and "up to 30 min late" in out
    cli.write_config(
        toml.replace("excluded_accounts", 'late_posts_grace = "9d"\nexcluded_accounts')
    )
    code, _, err = cli("config", "check")
    assert code == 2
    assert 'competition "spring": key "late_posts_grace": "9d" is too long' in err
    assert "use 2m to 2d" in err


def test_a_competition_past_its_freeze_time_gets_no_warning_from_config_check(
    cli: Cli, clock: ManualClock
) -> None:
    now = clock.now()
    cli.write_config(competition_toml("done", now - timedelta(days=20), now - timedelta(days=10)))
    code, _, err = cli("config", "check")
    assert code == 0 and err == ""  # frozen already, or frozen at the next run: nothing to plan


def test_run_warns_until_frozen_and_the_result_records_the_uncollected_span(
    cli: Cli, sandbox: Any, clock: ManualClock
) -> None:
    now = clock.now()
    start, end = now - timedelta(days=9), now + timedelta(hours=1)
    toml = competition_toml("old", start, end)
    cli.write_config(
        toml.replace("excluded_accounts", 'late_posts_grace = "2m"\nexcluded_accounts')
    )
    cli.use_sandbox(sandbox)
    world = sandbox.world
    world.add_user("early")
    world.add_user("recent")
    lost = world.post("early", "day one #Spring", at=start + timedelta(days=1))
    kept = world.post("recent", "this week #Spring", at=now - timedelta(days=3))
    world.set_metrics(lost, likes=50)
    world.set_metrics(kept, likes=5)

    code, _, err = cli("run", "--once")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if WHY in line]
    assert len(warnings) == 1
    assert 'competition "old": posts from 2026-08-23T12:00:00Z to 2026-08-25T12:05:00Z' in err
    assert "cannot be collected: X's" in err  # the bot searches it now: no "if"
    assert "move start to 2026-08-25T12:05:00Z or later, or accept the gap" in err

    clock.set(end + timedelta(minutes=3))  # past the end and its grace: the freeze
    code, _, err = cli("run", "--once")
    assert code == 0, err
    assert sum(WHY in line for line in err.splitlines()) == 1  # not frozen when it started
    store = Store(cli.db_url)
    try:
        stored = RulesStore(store).frozen("old")
        assert stored is not None
        first = now  # the first search: from 7 days (less 5 minutes) back, no further
        horizon = first - timedelta(days=7) + timedelta(minutes=5)
        assert stored.result.uncollected == ((start, horizon),)
        assert {f.key for f in stored.result.inputs} == {kept}
    finally:
        store.close()

    clock.advance(minutes=5)
    code, _, err = cli("run", "--once")
    assert code == 0 and WHY not in err  # frozen: nothing more to say
