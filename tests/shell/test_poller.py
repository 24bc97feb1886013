"""The poller against the real sandbox through tweepy, with a real SQLite file: stories of polling
that loses nothing and spends the minimum number of requests."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.core.errors import Unavailable
from bot.core.models import Category, Competition, Page
from bot.core.scoring import compute_standings
from bot.polling.poller import Poller
from bot.polling.replies import collect_replies
from bot.store import Store
from bot.x.queries import conversation_queries
from bot.x.tweepy_client import TweepyXClient

WINDOW_DAYS = 30


class Counted:
    """Counts the requests of a client by kind, through the client's own request hook."""

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.after: list[Any] = []  # callables run after each request (to inject faults mid-run)

    def __call__(self, method: str, path: str, status: int | None) -> None:
        if path.endswith("/search/recent"):
            kind = "search"
        elif path == "/2/tweets":
            kind = "lookup"
        elif path.endswith("/mentions"):
            kind = "mentions"
        else:
            kind = "user"
        self.by_kind[kind] += 1
        for hook in list(self.after):
            hook(kind)

    def total(self) -> int:
        return sum(self.by_kind.values())

    def reset(self) -> None:
        self.by_kind.clear()


@pytest.fixture
def counted() -> Counted:
    return Counted()


@pytest.fixture
def poller(sandbox: Any, store: Store, clock: ManualClock, counted: Counted) -> Poller:
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url, on_request=counted)
    return Poller(client, store, clock)


def competition(clock: ManualClock, **kwargs: Any) -> Competition:
    values: dict[str, Any] = {
        "id": "spring",
        "title": "Spring photo contest",
        "hashtags": ("Spring",),
        "start": clock.now(),
        "end": clock.now() + timedelta(days=WINDOW_DAYS),
        "categories": (Category(id="most-liked", kind="likes"),),
    }
    values.update(kwargs)
    return Competition(**values)


def post_many(sandbox: Any, clock: ManualClock, n: int, tag: str = "#Spring") -> list[str]:
    world = sandbox.world
    if world.find_user("poster") is None:
        world.add_user("poster")
    ids = [world.post("poster", f"photo {i} {tag}", at=clock.now()) for i in range(n)]
    clock.advance(seconds=60)
    return ids


def test_a_cycle_ingests_the_competition_and_refreshes_every_entry(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    world = sandbox.world
    world.add_user("alice")
    world.add_user("bob")
    comp = competition(clock, start=clock.now() + timedelta(minutes=10))
    world.post("alice", "too early #Spring", at=clock.now() + timedelta(minutes=5))
    clock.advance(minutes=15)
    first = world.post("alice", "my tulips #Spring")
    world.post("bob", "no tag here")
    second = world.post("bob", "daffodils #spring")  # search is case-insensitive
    world.retweet("bob", first)
    world.like(first, 3)
    clock.advance(minutes=1)

    report = poller.run_cycle([comp])

    # A cold cycle costs its search page: the page's metrics are the entries' first reading, so
    # the refresh looks none of them up again.
    assert report.ok and report.requests == 1
    assert counted.by_kind == Counter(search=1)
    entries = {e.post.id: e for e in store.entries(comp.id)}
    assert set(entries) == {first, second}  # not the early one, the untagged one, the retweet
    assert entries[first].post.metrics.likes == 3 and entries[first].author.username == "alice"
    assert [len(store.snapshots(i)) for i in (first, second)] == [1, 1]
    assert store.snapshots(first)[0].metrics.likes == 3
    assert store.last_poll(comp.id) == clock.now()


def test_pagination_reads_every_page_and_spends_the_minimum(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    comp = competition(clock)
    ids = post_many(sandbox, clock, 250)
    report = poller.run_cycle([comp])
    assert store.entry_count(comp.id) == 250 and report.snapshots == 0
    assert all(len(store.snapshots(i)) == 1 for i in ids)  # each page's reading
    assert counted.by_kind == Counter(search=3)
    assert set(store.refresh_targets([comp.id])) == set(ids)
    assert store.refresh_targets([comp.id], unread_since=report.started_at) == []
    clock.advance(minutes=1)
    assert len(store.refresh_targets([comp.id], unread_since=clock.now())) == 250


def test_pages_are_stored_while_the_next_are_fetched_in_order_and_one_store_at_a_time(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    """The ingest pipeline: storing a page overlaps fetching the next (the first store below
    waits for later requests to reach the sandbox: without the overlap it would wait in vain),
    the pages that waited meanwhile are stored together in one transaction, and the posts are
    stored in the order read, never by two stores at once."""
    comp = competition(clock)
    ids = post_many(sandbox, clock, 650)
    save_page = store.save_page
    saves: list[tuple[list[str], int]] = []  # (posts of the store, search requests made by then)
    busy = threading.Semaphore(1)

    def slow_save(competition_id: str, stream: str, page: Page, **kwargs: Any) -> int:
        assert busy.acquire(blocking=False), "two stores at once"
        try:
            if not saves:
                deadline = time.monotonic() + 5
                while counted.by_kind["search"] < 4 and time.monotonic() < deadline:
                    time.sleep(0.005)
            saves.append(([t.id for t in page.posts], counted.by_kind["search"]))
            return save_page(competition_id, stream, page, **kwargs)
        finally:
            busy.release()

    store.save_page = slow_save  # type: ignore[method-assign]
    report = poller.run_cycle([comp])
    assert report.ok and counted.by_kind == Counter(search=7)
    assert report.competitions[0].pages == 7 and report.competitions[0].tweets == 650
    assert [i for posts, _ in saves for i in posts] == ids[::-1]  # newest first, as read
    assert saves[0][1] >= 4  # the first page was stored while the next ones were fetched
    assert any(len(posts) > 100 for posts, _ in saves[1:])  # those that waited, stored together
    assert store.entry_count(comp.id) == 650
    cursor = store.get_cursor(comp.id, "search:0")
    assert cursor is not None and cursor.pending_next_token is None


def test_a_page_that_fails_to_store_stops_the_run_before_anything_after_it_is_stored(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    """A store failing mid-run (a full disk, a dropped database connection) is raised before any
    later page is stored and stops the fetching within a few pages; the cursor does not move,
    and the next cycle reads the rest again."""
    comp = competition(clock)
    ids = post_many(sandbox, clock, 2000)
    save_page = store.save_page
    stored: list[int] = []

    def failing_save(competition_id: str, stream: str, page: Page, **kwargs: Any) -> int:
        if stored:
            raise OSError("disk full")
        stored.append(len(page.posts))
        return save_page(competition_id, stream, page, **kwargs)

    store.save_page = failing_save  # type: ignore[method-assign]
    with pytest.raises(OSError, match="disk full"):
        poller.run_cycle([comp])
    assert store.entry_count(comp.id) == stored[0]  # the first store only
    assert counted.by_kind["search"] < 20  # the run stopped well before its end
    cursor = store.get_cursor(comp.id, "search:0")
    assert cursor is not None and cursor.newest_created_at is None
    store.save_page = save_page  # type: ignore[method-assign]
    clock.advance(minutes=1)
    assert poller.run_cycle([comp]).ok
    assert {e.post.id for e in store.entries(comp.id)} == set(ids)


def test_requests_equal_the_theoretical_minimum_with_mentions(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    world = sandbox.world
    comp = competition(clock, accounts=("contestbot", "partner"))
    world.add_user("partner")
    world.add_user("fan")
    tagged = post_many(sandbox, clock, 230)
    for i in range(120):  # one every 10 s, as a real timeline spreads them
        world.post("fan", f"@contestbot look {i}", at=clock.advance(seconds=10))
    for i in range(30):  # tagged and mentioning: found twice, one entry
        world.post("fan", f"@partner #Spring both {i}", at=clock.advance(seconds=10))
    clock.advance(seconds=60)

    poller.run_cycle([comp])
    entries = 230 + 120 + 30
    minimum = {
        "search": math.ceil((230 + 30) / 100),
        "user": 2,  # each account resolved once
        "mentions": math.ceil(120 / 100) + math.ceil(30 / 100),
        # no look-up: every entry came with its metrics in a page of this cycle
    }
    assert store.entry_count(comp.id) == entries == len(set(tagged)) + 150
    assert dict(counted.by_kind) == minimum

    # Ten minutes later, two new tweets: each stream re-reads the two minutes before its newest
    # tweet (a dozen tweets) plus the new one: one request each; the refresh four (the others:
    # 382 entries, less the dozen the pages just read); no user look-up.
    counted.reset()
    clock.advance(minutes=10)
    world.post("fan", "late entry #Spring")
    world.post("fan", "@contestbot late mention")
    clock.advance(minutes=1)
    report = poller.run_cycle([comp])
    assert report.competitions[0].new_entries == 2
    assert dict(counted.by_kind) == {"search": 1, "mentions": 2, "lookup": 4}


def test_a_crash_mid_pagination_re_reads_and_skips_nothing(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    comp = competition(clock)
    ids = post_many(sandbox, clock, 250)

    def fail_second_page(kind: str) -> None:
        if kind == "search" and counted.by_kind["search"] == 1:
            sandbox.faults.add("unavailable", "search", count=1)

    counted.after.append(fail_second_page)
    with pytest.raises(Unavailable):
        poller.run_cycle([comp])
    counted.after.clear()
    assert store.entry_count(comp.id) == 100  # the first page was kept...
    cursor = store.get_cursor(comp.id, "search:0")
    assert cursor is not None and cursor.newest_created_at is None  # ...but did not move
    assert cursor.pending_next_token
    assert store.last_poll(comp.id) is None

    clock.advance(minutes=1)
    report = poller.run_cycle([comp])
    assert report.ok
    assert {e.post.id for e in store.entries(comp.id)} == set(ids)
    moved = store.get_cursor(comp.id, "search:0")
    assert moved is not None and moved.newest_created_at is not None
    assert moved.pending_next_token is None


def test_a_late_indexed_tweet_is_found_by_the_next_cycle(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    world = sandbox.world
    world.add_user("quick")
    world.add_user("slow")
    comp = competition(clock)
    clock.advance(minutes=10)
    world.post("quick", "indexed at once #Spring", at=clock.now() - timedelta(seconds=20))
    late = world.post(
        "slow", "indexed late #Spring", at=clock.now() - timedelta(seconds=10), index_delay=90
    )
    first = poller.run_cycle([comp])
    assert first.competitions[0].new_entries == 1 and store.key_of_post(late) is None

    clock.advance(minutes=3)
    second = poller.run_cycle([comp])
    assert store.key_of_post(late) == late
    assert second.competitions[0].new_entries == 1  # the overlap re-read the first one: no dupe
    assert store.entry_count(comp.id) == 2


def test_a_stale_cursor_falls_back_to_start_time(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    world = sandbox.world
    world.add_user("early")
    comp = competition(clock)
    clock.advance(minutes=5)
    old = world.post("early", "day one #Spring")
    clock.advance(minutes=1)
    poller.run_cycle([comp])

    clock.advance(days=8)  # the bot was down for over a week
    fresh = world.post("early", "back again #Spring", at=clock.now() - timedelta(hours=1))
    counted.reset()
    report = poller.run_cycle([comp])
    assert report.ok
    assert counted.by_kind["search"] == 2  # the 400 stale since_id, then the start_time retry
    assert {e.post.id for e in store.entries(comp.id)} == {old, fresh}
    cursor = store.get_cursor(comp.id, "search:0")
    assert cursor is not None and cursor.since_id == fresh


def test_an_edited_tweet_is_one_entry_with_the_latest_metrics(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    world = sandbox.world
    world.add_user("editor")
    comp = competition(clock)
    clock.advance(minutes=5)
    original = world.post("editor", "first try #Spring")
    world.like(original, 2)
    clock.advance(minutes=1)
    poller.run_cycle([comp])

    clock.advance(minutes=5)
    edited = world.edit(original, "second try #Spring")
    world.like(edited, 9)
    clock.advance(minutes=1)
    poller.run_cycle([comp])

    [entry] = store.entries(comp.id)
    assert entry.key == original and entry.post.id == edited
    assert entry.post.text == "second try #Spring" and entry.post.metrics.likes == 9
    assert [s.post_id for s in store.snapshots(original)] == [original, edited]
    assert store.refresh_targets([comp.id]) == [edited]


def test_deleted_and_protected_tweets_are_marked_and_the_rest_refreshed(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    world = sandbox.world
    for name in ("keeper", "deleter", "hider"):
        world.add_user(name)
    comp = competition(clock)
    clock.advance(minutes=5)
    kept = world.post("keeper", "stays #Spring")
    gone = world.post("deleter", "goes #Spring")
    hidden = world.post("hider", "hides #Spring")
    clock.advance(minutes=1)
    poller.run_cycle([comp])

    world.delete(gone)
    world.set_protected("hider")
    world.like(kept, 5)
    clock.advance(minutes=5)
    report = poller.run_cycle([comp])  # one lookup with partial errors: the batch still counts
    assert report.ok and report.problems == 2
    status = {e.post.id: e.status for e in store.entries(comp.id)}
    assert status == {kept: "active", gone: "deleted", hidden: "protected"}
    assert {e.post.id: e.post.metrics.likes for e in store.entries(comp.id)}[kept] == 5
    assert len(store.snapshots(kept)) == 2 and len(store.snapshots(gone)) == 1

    world.set_protected("hider", False)
    clock.advance(minutes=5)
    poller.run_cycle([comp])
    status = {e.post.id: e.status for e in store.entries(comp.id)}
    assert status == {kept: "active", gone: "deleted", hidden: "active"}


def test_every_refresh_stores_a_snapshot_per_tweet(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    world = sandbox.world
    world.add_user("grower")
    comp = competition(clock)
    clock.advance(minutes=5)
    tid = world.post("grower", "watch me grow #Spring")
    for _ in range(3):
        world.like(tid, 4)
        clock.advance(minutes=10)
        poller.run_cycle([comp])
    assert [s.metrics.likes for s in store.snapshots(tid)] == [4, 8, 12]


def test_a_competition_is_polled_once_after_its_end_then_left_alone(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    world = sandbox.world
    world.add_user("punctual")
    comp = competition(clock, end=clock.now() + timedelta(hours=1), late_grace=timedelta(minutes=2))
    clock.advance(minutes=30)
    inside = world.post("punctual", "just in time #Spring")
    clock.advance(minutes=31)
    world.post("punctual", "too late #Spring")
    clock.advance(minutes=3)  # past the end and its late-posts grace: the final re-scan
    poller.run_cycle([comp])
    assert {e.post.id for e in store.entries(comp.id)} == {inside}

    counted.reset()
    clock.advance(minutes=10)
    report = poller.run_cycle([comp])
    assert counted.total() == 0 and not report.competitions[0].polled

    not_yet = competition(clock, id="summer", start=clock.now() + timedelta(days=1))
    assert poller.run_cycle([not_yet]).requests == 0


def test_competitions_sharing_an_account_read_its_mentions_once_per_cycle(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    """Before: one mentions request per competition listing the account, each cycle (N x the
    pages). Now: one per 100 new mentions, whatever N; each competition gets its own entries."""
    world = sandbox.world
    world.add_user("fan")
    n = 5
    comps = [
        competition(clock, id=f"c{i}", hashtags=(f"Tag{i}",), accounts=("contestbot",))
        for i in range(n)
    ]
    late = competition(
        clock,
        id="late",
        hashtags=("Late",),
        accounts=("contestbot",),
        start=clock.now() + timedelta(minutes=30),
    )
    clock.advance(minutes=1)
    for i in range(150):
        world.post("fan", f"@contestbot hello {i}", at=clock.advance(seconds=5))
    clock.advance(seconds=60)

    report = poller.run_cycle([*comps, late])
    mentions_requests = sum(1 for r in sandbox.requests if r.path.endswith("/mentions"))
    assert mentions_requests == counted.by_kind["mentions"] == math.ceil(150 / 100)
    assert [store.entry_count(c.id) for c in comps] == [150] * n
    assert store.entry_count("late") == 0  # mentions before its start are not its entries
    assert all(p.new_entries == 150 for p in report.competitions[:n])
    stored, _ = store.mentions(
        sandbox.bot_user_id, since_id=None, created_from=clock.now() - timedelta(days=1)
    )
    assert len(stored) == 150  # the raw mentions, for the responder

    # Next cycle: 30 new mentions, one request for all competitions; the late one has started
    # and is new to the stream, so the run reads from the earliest start, still once.
    counted.reset()
    clock.advance(minutes=30)
    for i in range(30):
        world.post("fan", f"@contestbot again {i}", at=clock.advance(seconds=5))
    clock.advance(seconds=60)
    poller.run_cycle([*comps, late])
    assert counted.by_kind["mentions"] == math.ceil((150 + 30) / 100)  # the late one's backfill
    assert store.entry_count("late") == 30
    counted.reset()
    clock.advance(minutes=5)
    world.post("fan", "@contestbot once more", at=clock.advance(seconds=5))
    clock.advance(seconds=60)
    poller.run_cycle([*comps, late])
    assert counted.by_kind["mentions"] == 1
    assert [store.entry_count(c.id) for c in [*comps, late]] == [181] * n + [31]


def test_replies_are_read_in_combined_queries_from_a_cursor_and_only_before_the_end(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    """Distinct repliers, economically. Before: one search per entry per collection (45 here),
    only at the freeze. Now: one per ~12 conversations (19-digit ids: 13 fit in 512 characters),
    each run reading only new replies; self-replies and organisers are stored but not counted."""
    world = sandbox.world
    for name in ("org", "r0", "r1", "r2", "r3"):
        world.add_user(name)
    comp = competition(
        clock,
        end=clock.now() + timedelta(hours=6),
        organisers=("org",),
        categories=(Category(id="talk", kind="replies", replies_mode="distinct", winners=3),),
    )
    clock.advance(minutes=1)
    entries = []
    for i in range(45):
        world.add_user(f"a{i}")
        entries.append(world.post(f"a{i}", f"entry {i} #Spring", at=clock.advance(seconds=2)))
    for i, tid in enumerate(entries):
        for k in range(i % 4):
            world.reply(f"r{k}", tid, f"nice {k}", at=clock.advance(seconds=1))
    world.reply("a0", entries[0], "me again", at=clock.advance(seconds=1))  # a self-reply
    world.reply("org", entries[1], "thanks!", at=clock.advance(seconds=1))  # an organiser
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    groups = conversation_queries(entries)
    assert len(groups) == math.ceil(45 / 13) and all(len(g) <= 13 for g in groups)

    counted.reset()
    first = collect_replies(comp, client=poller.client, store=store, clock=clock)
    assert first.conversations == 45 and first.requests == counted.by_kind["search"] == 4
    assert first.new_replies == sum(i % 4 for i in range(45)) + 2

    # 15 minutes later: two new replies; the run reads only from the cursor, same query count.
    clock.advance(minutes=15)
    world.reply("r3", entries[0], "still here", at=clock.advance(seconds=1))
    world.reply("r3", entries[44], "me too", at=clock.advance(seconds=1))
    clock.advance(minutes=1)
    counted.reset()
    second = collect_replies(comp, client=poller.client, store=store, clock=clock)
    assert (second.requests, second.new_replies) == (4, 2)

    # A new entry with a reply older than the cursor: its conversation is read from its start.
    world.add_user("newcomer")
    fresh = world.post("newcomer", "late joiner #Spring", at=clock.now() - timedelta(minutes=10))
    world.reply("r0", fresh, "welcome", at=clock.now() - timedelta(minutes=9))
    clock.advance(minutes=1)
    poller.run_cycle([comp])
    third = collect_replies(comp, client=poller.client, store=store, clock=clock)
    assert (third.requests, third.new_replies) == (5, 1)  # the 4 groups, and one new group

    # After the end: a reply inside the window is read at the freeze, a late one never counts.
    clock.set(comp.end - timedelta(minutes=1))
    world.reply("r1", entries[0], "just in time", at=clock.now())
    world.reply("r2", entries[0], "too late", at=comp.end + timedelta(seconds=1))
    clock.set(comp.end + timedelta(minutes=5))
    final = collect_replies(comp, client=poller.client, store=store, clock=clock)
    assert final.new_replies == 1
    standings = compute_standings(comp, store.entries(comp.id), now=clock.now())
    scores = {r.post_id: r.score for r in standings.categories[0].entries}
    # entry 0: r3 and r1 (not itself, not r2's late reply); entry 1: r0 (not the organiser).
    assert scores[entries[0]] == 2 and scores[entries[1]] == 1
    assert scores[entries[3]] == 3 and scores[entries[44]] == 1 and scores[fresh] == 1
    first = next(e for e in store.entries(comp.id) if e.key == entries[0])
    assert sorted(r.username for r in first.repliers) == ["a0", "r1", "r3"]


def test_a_re_scan_cut_by_a_crash_mid_pagination_is_not_marked_done_and_runs_again(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store, counted: Counted
) -> None:
    comp = competition(clock, start=clock.now() - timedelta(hours=8))
    ids = post_many(sandbox, clock, 250)
    poller.run_cycle([comp])  # the first search, by start_time: every re-scan at once
    first = store.done_at(comp.id, "rescan:recent:search:0")
    assert first is not None and store.done_at(comp.id, "rescan:wide:search:0") == first
    cursor = store.get_cursor(comp.id, "search:0")
    assert cursor is not None

    clock.advance(minutes=16)  # the recent re-scan is due: 250 posts of the last 7 h, 3 pages
    counted.reset()

    def fail_second_page(kind: str) -> None:
        if kind == "search" and counted.by_kind["search"] == 1:
            sandbox.faults.add("unavailable", "search", count=1)

    counted.after.append(fail_second_page)
    with pytest.raises(Unavailable):
        poller.run_cycle([comp])
    counted.after.clear()
    assert store.done_at(comp.id, "rescan:recent:search:0") == first  # not done
    cut = store.get_cursor(comp.id, "search:0")
    assert cut is not None and cut.pending_next_token  # in progress, for the record
    assert (cut.since_id, cut.newest_created_at) == (cursor.since_id, cursor.newest_created_at)

    clock.advance(minutes=1)
    counted.reset()
    report = poller.run_cycle([comp])
    assert report.competitions[0].rescans == ["recent"] and counted.by_kind["search"] == 3
    assert store.done_at(comp.id, "rescan:recent:search:0") == report.started_at
    moved = store.get_cursor(comp.id, "search:0")
    assert moved is not None and moved.pending_next_token is None
    assert moved.since_id == cursor.since_id  # nothing newer: never backwards
    assert {e.post.id for e in store.entries(comp.id)} == set(ids)


def test_a_mention_indexed_an_hour_late_is_found_by_the_mentions_re_scan(
    sandbox: Any, clock: ManualClock, poller: Poller, store: Store
) -> None:
    world = sandbox.world
    world.add_user("fan")
    world.add_user("slow")
    comp = competition(clock, accounts=("contestbot",), end=clock.now() + timedelta(days=1))
    t0 = clock.now()
    for i in range(60):  # a mention every 2 minutes: the mentions cursor keeps moving on
        world.post("fan", f"@contestbot hi {i}", at=t0 + timedelta(minutes=2 * i + 1))
    late = world.post("slow", "@contestbot me too", at=t0 + timedelta(minutes=10), index_delay=3600)
    searchable = t0 + timedelta(minutes=70)
    found: datetime | None = None
    while clock.now() < t0 + timedelta(hours=2):
        clock.advance(minutes=5)
        poller.run_cycle([comp])
        if found is None and store.key_of_post(late) is not None:
            found = clock.now()
    assert found is not None and timedelta(0) <= found - searchable <= timedelta(minutes=30)
    assert store.entry_count(comp.id) == 61
