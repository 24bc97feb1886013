"""A two-competition campaign for the report tests, built by the real shell against the sandbox.

"winter" (the previous competition of the same organisers) runs and freezes first; then "spring"
runs with community members, outside authors, a partner account, two hashtags and two languages,
an organiser's post (excluded), the bot's sent reminder and an organiser's timeline post (both
tracked by the own-posts tracker), and freezes. Every step is the real poller, freezer, outbox
store and tracker, over HTTP, on the test database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.config import load_config
from bot.core.models import Competition
from bot.core.outbox import OutboxPost, outbox_key
from bot.freezer import freeze_if_due
from bot.polling.own_posts import OwnPostsTracker
from bot.polling.poller import Poller
from bot.store import Store
from bot.store.outbox import OutboxStore
from bot.x.tweepy_client import TweepyXClient
from tests.cli.conftest import Cli

DAY = timedelta(days=1)


def config_text(clock: ManualClock, *, public_texts: bool = False) -> str:
    t0 = clock.now()
    w0, w1 = t0, t0 + DAY
    s0, s1 = t0 + 2 * DAY, t0 + 3 * DAY
    common = """
organisers = ["orga"]
community = ["member1", "member2"]
accounts = ["contestbot", "partnerorg"]
timezone = "Europe/Paris"
tie_rule = "earliest"
late_posts_grace = "1h"

[[competition.categories]]
id = "most-liked"
kind = "likes"
title = "Most liked"
winners = 2

[[competition.categories]]
id = "most-comments"
kind = "replies"
title = "Most comments"
"""
    return f"""
[bot]
username = "contestbot"

[reports]
public_texts = {"true" if public_texts else "false"}
own_posts_every = "1h"

[[competition]]
id = "winter"
title = "Winter <photo> contest"
hashtags = ["Winter"]
start = "{w0.isoformat()}"
end = "{w1.isoformat()}"
{common}
[[competition]]
id = "spring"
title = "Spring & <b>photo</b> contest"
hashtags = ["Spring", "IGF"]
start = "{s0.isoformat()}"
end = "{s1.isoformat()}"
{common}"""


@dataclass
class Campaign:
    spring: Competition
    winter: Competition
    ids: dict[str, str] = field(default_factory=dict)


def build(cli: Cli, sandbox: Any, clock: ManualClock, *, public_texts: bool = False) -> Campaign:
    cli.write_config(config_text(clock, public_texts=public_texts))
    cli.use_sandbox(sandbox)
    config = load_config(cli.config)
    spring, winter = config.competition("spring"), config.competition("winter")
    assert spring is not None and winter is not None
    world = sandbox.world
    for name, followers in (
        ("alice", 120),
        ("bob", 40),
        ("member1", 300),
        ("member2", 10),
        ("orga", 900),
        ("carol", 5),
        ("partnerorg", 50),
    ):
        world.add_user(name, followers=followers)
    camp = Campaign(spring, winter)
    store = Store(cli.db_url)
    store.upgrade()
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
    poller = Poller(client, store, clock)
    try:
        # winter: alice and member1 take part
        clock.set(winter.start + timedelta(hours=2))
        for name in ("alice", "member1"):
            tid = world.post(name, f"snow by {name} #Winter", at=clock.advance(seconds=5))
            world.like(tid, 3)
        clock.advance(minutes=10)
        poller.run_cycle([winter])
        _freeze(winter, client, store, clock)

        # spring
        clock.set(spring.start + timedelta(hours=1))
        ids = camp.ids
        ids["alice"] = world.post("alice", "tulips #Spring", at=clock.advance(seconds=5))
        ids["bob"] = world.post(
            "bob", "jonquilles #Spring #IGF @partnerorg", at=clock.advance(seconds=5), lang="fr"
        )
        ids["member1"] = world.post(
            "member1", "Wie geht es? #IGF", at=clock.advance(minutes=90), lang="de"
        )
        ids["member2"] = world.post("member2", "blossom #Spring", at=clock.advance(seconds=5))
        ids["orga"] = world.post("orga", "our own #Spring photo", at=clock.advance(seconds=5))
        ids["carol"] = world.post(
            "carol", "a <script>alert(1)</script> #Spring", at=clock.advance(seconds=5)
        )
        for key, likes in (
            ("alice", 9),
            ("bob", 5),
            ("member1", 7),
            ("member2", 1),
            ("carol", 2),
            ("orga", 50),
        ):
            world.like(ids[key], likes)
        world.reply("carol", ids["bob"], "lovely")
        world.reply("alice", ids["bob"], "agreed")
        clock.advance(minutes=10)
        poller.run_cycle([spring])
        # the bot's reminder, sent (the sandbox holds the post), and an organiser's own post
        posted = client.create_tweet("Reminder: the webinar starts in 1 h #Spring")
        ids["reminder"] = posted.id
        world.like(posted.id, 4)
        ids["orga_post"] = world.post(
            "orga", "Join our webinar tomorrow", at=clock.advance(seconds=5)
        )
        world.like(ids["orga_post"], 6)
        outbox = OutboxStore(store)
        post = OutboxPost(
            key=outbox_key("competition:spring", "reminder", "1h", "en"),
            kind="reminder",
            lang="en",
            parts=("Reminder: the webinar starts in 1 h #Spring",),
            due_at=clock.now(),
        )
        outbox.add([post], now=clock.now())
        stored = outbox.get(post.key)
        assert stored is not None
        assert outbox.update(
            replace(stored.post, state="sent", posted_ids=(posted.id,)),
            "pending",
            now=clock.now(),
            sent_at=clock.now(),
        )
        tracker = OwnPostsTracker(client, store, config)
        tracker.run(clock.advance(minutes=1))
        world.like(posted.id, 2)
        tracker.run(clock.advance(hours=1))
        _freeze(spring, client, store, clock)
    finally:
        store.close()
    return camp


def _freeze(c: Competition, client: TweepyXClient, store: Store, clock: ManualClock) -> None:
    """At the end: the final snapshot and the freeze at once (no poller: settle 0)."""
    clock.set(c.end)
    frozen = freeze_if_due(
        c, client=client, store=store, clock=clock, bot_username="contestbot", settle=timedelta(0)
    )
    assert frozen is not None, f"{c.id} did not freeze"
