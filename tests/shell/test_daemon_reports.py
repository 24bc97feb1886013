"""The daemon's post-analysis jobs against the real sandbox through tweepy, on a real database:
`own_posts` snapshots the organisers' own timeline posts once per interval (whichever run makes
it), `reports` rewrites the held competition's pages into the data folder, and `[reports]
every = "off"` / `own_posts_every = "off"` switch each off."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.daemon.loop import Daemon, build_options
from bot.sandbox import Sandbox
from bot.store.own_posts import OwnPostsStore
from tests.shell.daemonkit import close_stores, daemon_for

__all__ = ["close_stores"]  # the autouse fixture closes the stores each test opens


def config(
    clock: ManualClock, *, every: str = "1h", own: str = "1h", organisers: str = '["orga"]'
) -> Config:
    now = clock.now()
    return parse_config(
        f"""
[bot]
username = "contestbot"
poll_interval_seconds = 60
dry_run = true

[reports]
every = "{every}"
own_posts_every = "{own}"

[[competition]]
id = "spring"
title = "Spring"
hashtags = ["Spring"]
start = "{(now - timedelta(hours=2)).isoformat()}"
end = "{(now + timedelta(days=1)).isoformat()}"
organisers = {organisers}

[[competition.categories]]
id = "most-liked"
kind = "likes"
""",
        source="test.toml",
    )


def world(sandbox: Sandbox, clock: ManualClock) -> str:
    """An entry by alice and a post on the organiser's own timeline (6 likes); its id."""
    sandbox.world.add_user("alice")
    sandbox.world.add_user("orga")
    entry = sandbox.world.post("alice", "tulips #Spring", at=clock.now() - timedelta(hours=1))
    sandbox.world.like(entry, 3)
    own = sandbox.world.post("orga", "Join our webinar", at=clock.now() - timedelta(minutes=30))
    sandbox.world.like(own, 6)
    return own


def organiser_posts(daemon: Daemon) -> list[tuple[str, list[int]]]:
    posts = OwnPostsStore(daemon.store).own_posts(
        daemon.clock.now() - timedelta(days=30), daemon.clock.now(), owner="organiser"
    )
    return [(p.post_id, [m.likes for _, m in p.snapshots]) for p in posts]


def endpoints(daemon: Daemon) -> list[str]:
    return [c.endpoint for c in daemon.ops.calls()]


def test_a_cycle_snapshots_the_organisers_posts_once_per_interval_and_writes_the_pages(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    own = world(sandbox, clock)
    daemon = daemon_for(sandbox, db_url, clock, config(clock), tmp_path, data_dir=tmp_path)
    assert daemon.run_once() == []
    assert organiser_posts(daemon) == [(own, [6])]
    first = endpoints(daemon)
    assert first == ["search", "user_by_username", "user_tweets"]

    folder = tmp_path / "reports" / "spring"
    assert (folder / "report.html").is_file() and (folder / "results.html").is_file()
    report = json.loads((folder / "report.json").read_text())
    assert report["schema"] == "contestbot.report/1"
    assert report["competition"]["id"] == "spring"

    # ten minutes on: the own-posts run is not due again, the pages are rewritten
    sandbox.world.like(own, 2)
    clock.advance(minutes=10)
    (folder / "report.html").unlink()
    assert daemon.run_once() == []
    assert organiser_posts(daemon) == [(own, [6])]
    assert "user_tweets" not in endpoints(daemon)[len(first) :]
    assert (folder / "report.html").is_file()

    # an hour after the first run: a second snapshot, with the new likes
    clock.advance(minutes=51)
    assert daemon.run_once() == []
    assert organiser_posts(daemon) == [(own, [6, 8])]
    assert endpoints(daemon).count("user_by_username") == 1  # the handle is resolved once


def test_off_switches_off_both_jobs(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world(sandbox, clock)
    cfg = config(clock, every="off", own="off")
    daemon = daemon_for(sandbox, db_url, clock, cfg, tmp_path, data_dir=tmp_path)
    assert daemon.run_once() == []
    assert endpoints(daemon) == ["search"]
    assert organiser_posts(daemon) == []
    assert not (tmp_path / "reports").exists()
    assert "reports" not in [j.name for j in daemon.scheduler.jobs]
    assert "own_posts" not in [j.name for j in daemon.scheduler.jobs]


def test_an_instance_holding_no_competition_leaves_both_to_another(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    world(sandbox, clock)
    daemon = daemon_for(sandbox, db_url, clock, config(clock), tmp_path, data_dir=tmp_path)
    daemon.state.held.clear()
    daemon.own_posts()
    daemon.reports()
    assert endpoints(daemon) == [] and organiser_posts(daemon) == []
    assert not (tmp_path / "reports").exists()


def test_run_writes_the_pages_beside_its_database(clock: ManualClock, tmp_path: Path) -> None:
    options, _ = build_options(config(clock), f"sqlite:///{tmp_path}/db/bot.db", {})
    assert options.data_dir == tmp_path / "db"
    options, _ = build_options(
        config(clock), "postgresql://h/db", {"CONTESTBOT_DATA_DIR": str(tmp_path)}
    )
    assert options.data_dir == tmp_path


def test_an_unknown_organiser_is_named_and_the_others_are_still_read(
    sandbox: Sandbox, clock: ManualClock, db_url: str, tmp_path: Path
) -> None:
    own = world(sandbox, clock)
    cfg = config(clock, organisers='["ghost", "orga"]')
    daemon = daemon_for(sandbox, db_url, clock, cfg, tmp_path, data_dir=tmp_path)
    errors = daemon.run_once()
    assert errors == []
    assert organiser_posts(daemon) == [(own, [6])]
    recorded = [e.message for e in daemon.ops.recent_errors()]
    assert any("@ghost not read" in m for m in recorded), recorded
