"""Issue 4, "What it must show": a sandbox scenario of about 200 entries ranks exactly as its
declared rules say, `verify` matches, a tampered row is detected, `explain` answers every entry.

The story (built with the sandbox's `ScenarioBuilder`, played hour by hour into the real sandbox,
polled by the real poller over HTTP through tweepy into a real database): 120 regular authors with
many tied like counts, 20 authors with two entries each, sock puppets (new accounts, few followers;
one re-qualified by the organisers), an organiser and an excluded press account with the most likes,
a self-reply farm, conversations with distinct repliers, entries edited to Unicode hashtag variants
(#İnternetGov, full-width), a plain edit, entries deleted before the freeze (seen and never seen),
a manual disqualification, likes and a reply after the deadline, a winner deleted after the freeze,
and a jury pick. The expectation is computed here, from the sandbox's own data and the declared
rules, without the bot's scoring code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.core.explain import explain
from bot.core.models import Category, Competition, Eligibility
from bot.core.revisions import Decision
from bot.core.scoring import JuryPick
from bot.freezer import (
    freeze_if_due,
    live_standings,
    recheck_before_announcement,
    reissue,
    verify_stored,
)
from bot.polling.poller import Poller
from bot.sandbox import ScenarioBuilder, ScenarioPlayer
from bot.store import Store
from bot.store.rules import RulesStore
from bot.x.tweepy_client import TweepyXClient

HOUR = 3600
ORGANISERS = ("igf_orga",)
EXCLUDED = ("igf_press",)
BOT = "contestbot"
COMMUNITY = tuple(f"u{i:03}" for i in range(20))
MIN_AGE_DAYS, MIN_FOLLOWERS = 30, 10


def rules(start: datetime) -> Competition:
    return Competition(
        id="igf",
        title="IGF community competition",
        hashtags=("InternetGov",),
        start=start,
        end=start + timedelta(hours=6),
        categories=(
            Category(id="most-liked", kind="likes", winners=3),
            Category(id="most-discussed", kind="replies", replies_mode="distinct"),
            Category(id="best-question", kind="jury", questions_only=True, shortlist=10),
        ),
        organisers=ORGANISERS,
        excluded_accounts=EXCLUDED,
        community=COMMUNITY,
        eligibility=Eligibility(min_account_age_days=MIN_AGE_DAYS, min_followers=MIN_FOLLOWERS),
        tie_rule="earliest",
        late_grace=timedelta(minutes=2),  # the story's final poll comes 2 minutes after the end
    )


@dataclass
class Story:
    builder: ScenarioBuilder
    collected: list[str]  # refs of the posts the bot should collect
    unseen: list[str]  # refs of posts the bot must never collect


def build(start: datetime) -> Story:
    b = ScenarioBuilder(start=start, name="rules-200")
    collected: list[str] = []
    unseen: list[str] = []
    for name in ("igf_orga", "igf_press", "farmer", "ed", "tk", "e0", "e1", "e2", "late"):
        b.account(name, followers=500)
    for name in ("del0", "del1", "del2", "delb", *(f"r{i}" for i in range(10))):
        b.account(name, followers=50)

    def post(at: float, user: str, body: str, ref: str, likes: int) -> None:
        b.post(at, user, body, ref=ref)
        if likes:
            b.like(at + 1, ref, likes)
        collected.append(ref)

    variants = ("#internetgov", "#INTERNETGOV", "#InternetGov")
    for i in range(120):
        b.account(f"u{i:03}", followers=50)
        body = f"What about idea {i}? {variants[i % 3]}" if i % 10 == 0 else f"photo {i} "
        body += "" if i % 10 == 0 else variants[i % 3]
        post(60 + i * 120, f"u{i:03}", body, f"u{i}", (i * 7) % 23)
    for j in range(20):
        b.account(f"d{j:02}", followers=50)
        post(90 + j * 600, f"d{j:02}", f"first view {j} #InternetGov", f"d{j}a", (j * 5) % 17)
        post(300 + j * 600, f"d{j:02}", f"second view {j} #InternetGov", f"d{j}b", (j * 3) % 19)
    for k in range(5):  # sock puppets: brand-new accounts, and accounts nobody follows
        b.account(f"s{k}", followers=100, age_days=3)
        post(2 * HOUR + k * 60, f"s{k}", f"great #InternetGov {k}", f"s{k}", 200 + k)
        b.account(f"f{k}", followers=2)
        post(2 * HOUR + k * 60 + 30, f"f{k}", f"look #InternetGov {k}", f"f{k}", 150 + k)
    for k in range(3):
        post(HOUR + k * 60, "igf_orga", f"our event {k} #InternetGov", f"orga{k}", 500 + k)
    for k in range(2):
        post(HOUR + k * 60 + 30, "igf_press", f"press note {k} #InternetGov", f"press{k}", 400)
    post(30 * 60, "farmer", "reply here! #InternetGov", "farm", 3)
    for k in range(30):  # the farm: self-replies carrying the tag, so search finds them too
        b.reply(40 * 60 + k * 30, "farmer", "farm", f"and again {k} #InternetGov", ref=f"fr{k}")
        collected.append(f"fr{k}")
    b.reply(3 * HOUR, "u050", "farm", "ok")
    b.reply(3 * HOUR + 5, "u051", "farm", "ok")
    for i in range(30):  # conversations: i % 6 distinct repliers, plus noise that never counts
        for r in range(i % 6):
            b.reply(3 * HOUR + i * 60 + r, f"r{r}", f"u{i}", "nice one")
            b.reply(3 * HOUR + i * 60 + r + 0.5, f"r{r}", f"u{i}", "really")
        b.reply(3 * HOUR + i * 60 + 10, f"u{i:03}", f"u{i}", "thanks all")
        b.reply(3 * HOUR + i * 60 + 11, "igf_orga", f"u{i}", "welcome")
    b.reply(6 * HOUR + 60, "r9", "u1", "a reply after the deadline")
    # Edits: to a Turkish dotted-I variant (another tag after NFKC + casefold), to full-width forms
    # (the same tag after NFKC), and a plain edit; likes land on the newest version.
    edits = ("#İnternetGov", "#ＩｎｔｅｒｎｅｔＧｏｖ", "#ＩＮＴＥＲＮＥＴＧＯＶ")
    for k, tag in enumerate(edits):
        post(HOUR + k * 60 + 15, f"e{k}", f"my view {k} #InternetGov", f"e{k}", 2)
        b.edit(4.5 * HOUR + k, f"e{k}", f"my view {k} {tag}")
        b.like(4.5 * HOUR + 10 + k, f"e{k}", 12 + k)
    post(HOUR, "ed", "sunset #InternetGov", "ed", 5)
    b.edit(3 * HOUR, "ed", "sunset over the bay #InternetGov")
    b.like(3 * HOUR + 10, "ed", 8)
    b.post(HOUR, "tk", "only the dotted one #İnternetGov", ref="tk")
    unseen.append("tk")
    for k in range(3):  # seen by the bot, deleted before the freeze: they would have won
        post(HOUR + k, f"del{k}", f"winner? #InternetGov {k}", f"del{k}", 300)
        b.delete(5 * HOUR + 58 * 60 + k, f"del{k}")
    b.post(5 * HOUR + 56 * 60, "delb", "gone before any poll #InternetGov", ref="delb")
    b.delete(5 * HOUR + 57 * 60, "delb")
    unseen.append("delb")
    for ref in ("u3", "u25", "d3a"):  # late likes, after the deadline
        b.like(6 * HOUR + 120, ref, 1000)
    return Story(b, collected, unseen)


# ------------------------------------------------------------------ the independent expectation

TAG = re.compile(r"[#＃](\w+)")


def has_tag(body: str) -> bool:
    return any(
        unicodedata.normalize("NFKC", t).casefold() == "internetgov" for t in TAG.findall(body)
    )


def expectation(
    world: Any, comp: Competition, keys: list[str], dq: set[str], rq: set[str]
) -> tuple[dict[str, set[str]], dict[str, list[tuple[str, int, bool]]]]:
    """(rule -> keys excluded by it, category -> [(key, score, tied)] in rank order), from the
    sandbox's tweets as they are at the freeze and the rules as declared (docs/RESULTS.md)."""
    out: dict[str, set[str]] = {}
    eligible: list[Any] = []
    skip = {*ORGANISERS, *EXCLUDED, BOT}
    for key in keys:
        first = world.get(key)
        now = world.get(first.chain[-1])
        user = world.user(first.author_id)
        fails = []
        if not has_tag(now.full_text):
            fails.append("no-tracked-tag")
        if first.in_reply_to_tweet_id:
            fails.append("reply-not-allowed")
        if user.username in EXCLUDED:
            fails.append("excluded-account")
        if user.username in ORGANISERS:
            fails.append("organiser")
        if key not in rq and comp.start - user.created_at < timedelta(days=MIN_AGE_DAYS):
            fails.append("account-too-new")
        if key not in rq and user.followers < MIN_FOLLOWERS:
            fails.append("too-few-followers")
        if first.deleted:
            fails.append("deleted")
        if key in dq and key not in rq:
            fails.append("disqualified")
        for rule in fails:
            out.setdefault(rule, set()).add(key)
        if not fails:
            eligible.append((key, first, now, user))

    def counts(replier: Any) -> bool:  # repliers pass the entrant rules (the default)
        old_enough = comp.start - replier.created_at >= timedelta(days=MIN_AGE_DAYS)
        return old_enough and replier.followers >= MIN_FOLLOWERS

    def replies_of(key: str, author: str) -> int:
        chain = {str(v) for v in world.get(key).chain}
        return len(
            {
                t.author_username
                for t in world.tweets.values()
                if str(t.in_reply_to_tweet_id) in chain  # direct replies to the entry only
                and t.created_at < comp.end
                and not t.deleted
                and counts(world.user(t.author_id))
            }
            - skip
            - {author}
        )

    ranked: dict[str, list[tuple[str, int, bool]]] = {}
    for cat, score_of in (
        ("most-liked", lambda k, now, user: now.likes),
        ("most-discussed", lambda k, now, user: replies_of(k, user.username)),
    ):
        scored = sorted(
            (
                (score_of(k, now, user), first.created_at, int(k), k, user.username)
                for k, first, now, user in eligible
            ),
            key=lambda s: (-s[0], s[1], s[2]),
        )
        best: list[tuple[int, str]] = []
        seen: set[str] = set()
        for score, _, _, key, author in scored:
            if score < 1:  # the default minimum score: no category is won with 0
                out.setdefault(f"{cat}:below-minimum", set()).add(key)
                continue
            if author in seen:
                out.setdefault(f"{cat}:not-authors-best", set()).add(key)
                continue
            seen.add(author)
            best.append((score, key))
        ranked[cat] = [
            (key, score, any(0 <= j < len(best) and best[j][0] == score for j in (i - 1, i + 1)))
            for i, (score, key) in enumerate(best)
        ]
    return out, ranked


# ------------------------------------------------------------------ the test


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.upgrade()
    yield s
    s.close()


def test_a_200_entry_competition_ranks_as_its_rules_say_and_verifies(
    sandbox: Any, clock: ManualClock, store: Store
) -> None:
    start = clock.now()
    comp = rules(start)
    story = build(start)
    player = ScenarioPlayer(story.builder.build(), sandbox.world, clock, start=start)
    client = TweepyXClient(**sandbox.credentials, base_url=sandbox.base_url)
    poller = Poller(client, store, clock)
    rules_store = RulesStore(store)

    def key(name: str) -> str:  # the entry key: the first id of the edit chain
        return str(sandbox.world.get(player.ref(name)).chain[0])

    for minutes in (60, 120, 180, 240, 300, 355):
        clock.set(start + timedelta(minutes=minutes))
        player.advance_to(clock.now())
        poller.run_cycle([comp])
        if minutes == 180:  # organisers' decisions during the competition
            f0, u5 = key("f0"), key("u5")
            rules_store.record_decision(
                Decision(comp.id, f0, "requalify", "a real person, new here", "ana", clock.now())
            )
            rules_store.record_decision(
                Decision(comp.id, u5, "disqualify", "bought likes", "ana", clock.now())
            )
    clock.set(comp.end)
    player.advance_to(clock.now())
    keys = [key(r) for r in story.collected]
    assert len(keys) >= 200
    assert set(store.tracked_keys(comp.id)) == set(keys)  # and nothing in `unseen`
    # Phase one at the deadline: the final snapshot; the standings wait for the final poll.
    assert freeze_if_due(comp, client=client, store=store, clock=clock, bot_username=BOT) is None

    # The expectation, from the sandbox's data at the deadline and the declared rules alone.
    dq, rq = {key("u5")}, {key("f0")}
    excluded, ranked = expectation(sandbox.world, comp, keys, dq, rq)

    # A reply (end + 1 min) and 1000 likes each on three entries (end + 2 min) arrive before the
    # final poll reads them; phase two freezes from the final snapshot, without them.
    clock.set(comp.end + timedelta(minutes=2, seconds=30))
    player.advance_to(clock.now())
    poller.run_cycle([comp])
    late = {key(r) for r in ("u3", "u25", "d3a")}
    assert all(e.post.metrics.likes >= 1000 for e in store.entries(comp.id) if e.key in late)
    frozen = freeze_if_due(comp, client=client, store=store, clock=clock, bot_username=BOT)
    assert frozen is not None and frozen.result.freeze_delay_seconds == 0
    result = frozen.result
    assert result.frozen_at == comp.end and result.freeze_delay_reason == "on-time"
    assert all(f.metrics.likes < 1000 for f in result.inputs if f.key in late)
    got_excluded: dict[str, set[str]] = {}
    for x in result.standings.exclusions:
        got_excluded.setdefault(x.rule if x.category is None else f"{x.category}:{x.rule}", set())
        got_excluded[x.rule if x.category is None else f"{x.category}:{x.rule}"].add(x.key)
    by_cat = {cs.category.id: cs for cs in result.standings.categories}
    for cat in ("most-liked", "most-discussed"):
        rows = by_cat[cat].entries
        assert [(r.key, int(r.score), r.tie is not None) for r in rows] == ranked[cat], cat
        assert all(r.tie in (None, "earliest") for r in rows)
        assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    for rule, expected in excluded.items():
        assert got_excluded.get(rule) == expected, rule
    assert {r for r in got_excluded if ":" not in r} == {r for r in excluded if ":" not in r}
    assert by_cat["most-liked"].winners == tuple(k for k, _, _ in ranked["most-liked"][:3])

    # The stories inside: what each rule did.
    ref = key
    assert {ref(f"orga{k}") for k in range(3)} <= excluded["organiser"]
    assert {ref(f"s{k}") for k in range(5)} == excluded["account-too-new"]
    assert {ref(f"f{k}") for k in range(1, 5)} == excluded["too-few-followers"]  # f0 requalified
    assert {ref(f"fr{k}") for k in range(30)} == excluded["reply-not-allowed"]
    assert {ref(f"del{k}") for k in range(3)} == excluded["deleted"]
    assert excluded["no-tracked-tag"] == {ref("e0")}  # #İnternetGov is another tag
    assert ref("e1") in dict((k, s) for k, s, _ in ranked["most-liked"])  # full-width counts
    farm_row = next(r for r in by_cat["most-discussed"].entries if r.key == ref("farm"))
    assert farm_row.score == 2  # 30 self-replies count for nothing
    edited = {f.key: f for f in result.inputs}[ref("ed")]
    assert edited.post_id != ref("ed") and edited.metrics.likes == 8  # the newest version
    assert any(r.tie for r in by_cat["most-liked"].entries[:10])  # ties, ordered by the rule

    # Later likes change nothing; verify matches; explain answers for every entry.
    clock.set(comp.end + timedelta(minutes=5))
    player.advance_to(clock.now())
    poller.run_cycle([comp])
    assert live_standings(store, comp, clock.now()) == result.standings
    assert verify_stored(comp.id, store=store).ok
    entries = store.entries(comp.id)
    for e in entries:
        answer = explain(comp, entries, result.standings, e.post.id)
        assert answer.found and len(answer.lines) >= 2, e.key
        assert answer.ranks or answer.exclusions, e.key

    # The jury picks after the freeze; the most-liked winner is deleted before the announcement.
    question = next(r.key for r in by_cat["best-question"].entries)
    rules_store.add_pick(comp.id, JuryPick("best-question", question, 1, "ana", clock.now(), "q"))
    assert reissue(comp.id, store=store, clock=clock, cause="jury") is not None
    first_winner = ranked["most-liked"][0][0]
    sandbox.world.delete(first_winner)
    check = recheck_before_announcement(comp.id, client=client, store=store, clock=clock)
    assert [(r.removed_key, r.replacement_key) for r in check.replacements] == [
        (first_winner, ranked["most-liked"][3][0])
    ]
    final = live_standings(store, comp, clock.now())
    assert final.categories[2].winners == (question,)
    assert [h.cause for h in rules_store.history(comp.id)] == ["freeze", "jury", "recheck"]
    assert verify_stored(comp.id, store=store).ok

    # A tampered metric row is detected.
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE metric_snapshots SET likes = likes + 1 WHERE key = :k"),
            {"k": ranked["most-liked"][5][0]},
        )
    tampered = verify_stored(comp.id, store=store)
    assert not tampered.ok
    assert any(ranked["most-liked"][5][0] in p for p in tampered.versions[0].problems)
