"""The live leaderboard kept incrementally (`bot.store.live`, `bot.leaderboard.board`) against a
full recomputation (`compute_standings` over every stored entry), on a real database (SQLite, or
PostgreSQL with --db postgresql).

Random competitions (every category kind, audiences, filters, minimums, tie rules, eligibility
rules) go through random histories written the way the bot writes them: pages of new posts (some
edited, retweets, replies, quotes, other languages, outside the window, by organisers, the bot,
excluded accounts, community members), look-ups with new metrics and deleted or protected posts,
accounts that change (followers, age, handle, protection), replies, disqualifications,
re-qualifications and jury picks. After every step the board's top rows, winners, counts and
every exclusion (with its sentence) must equal the full computation's."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.mentions import standing_of
from bot.core.models import (
    Account,
    Category,
    Competition,
    Eligibility,
    Lookup,
    Metrics,
    Page,
    Post,
    Reference,
    ReplierRules,
    Standings,
)
from bot.core.revisions import Decision
from bot.core.scoring import JuryPick, compute_standings
from bot.core.snowflake import make_snowflake
from bot.leaderboard import Board, board, standings_reader
from bot.store import Store
from bot.store.live import LiveStore, decisions_of
from bot.store.rules import RulesStore
from bot.store.schema_live import LiveChangeRow

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
END = START + timedelta(days=3)
BOT = "contestbot"
HANDLES = ["ana", "ben", "orga", "staff", "chloe", "dev", "eve", "fay", BOT, "gus", "hana"]


def random_competition(rnd: random.Random) -> Competition:
    kinds = ["likes", "replies", "quotes", "reposts", "weighted", "jury"]
    categories = []
    for i in range(rnd.randint(1, 4)):
        kind = rnd.choice(kinds)
        categories.append(
            Category(
                id=f"c{i}-{kind}",
                kind=kind,  # type: ignore[arg-type]
                winners=rnd.randint(1, 3),
                replies_mode=rnd.choice(["reported", "distinct"]),
                weights=(("likes", 1.0), ("replies", rnd.choice([0.5, 2.0]))),
                audience=rnd.choice(["all", "outside", "both"]),
                questions_only=kind == "jury" and rnd.random() < 0.3,
                replies_to_organisers_only=kind == "jury" and rnd.random() < 0.3,
                min_score=rnd.choice([None, None, 0, 2, 5]),
                repliers=rnd.choice([None, ReplierRules(min_followers=10)]),
            )
        )
    tie = rnd.choice(["earliest", "shared", "random"])
    return Competition(
        id="live",
        title="Live board",
        hashtags=("Spring",),
        start=START,
        end=END,
        categories=tuple(categories),
        accounts=rnd.choice([(), (BOT,)]),
        excluded_accounts=("staff",),
        organisers=("orga",),
        community=("chloe", "dev"),
        eligibility=Eligibility(
            allow_replies=rnd.random() < 0.6,
            allow_quotes=rnd.random() < 0.7,
            min_account_age_days=rnd.choice([0, 0, 30]),
            min_followers=rnd.choice([0, 0, 5]),
            languages=rnd.choice([(), ("en", "fr")]),
            one_entry_per_author=rnd.random() < 0.7,
            one_prize_per_author=rnd.random() < 0.3,
        ),
        tie_rule=tie,  # type: ignore[arg-type]
        tie_seed="seed" if tie == "random" else None,
    )


class History:
    """Writes random steps to the store as the bot does, and remembers what it wrote."""

    def __init__(self, rnd: random.Random, store: Store, competition: Competition) -> None:
        self.rnd = rnd
        self.store = store
        self.c = competition
        self.now = START + timedelta(hours=1)
        self.seq = 0
        self.accounts = {h: self.account(i, h) for i, h in enumerate(HANDLES)}
        self.posts: dict[str, Post] = {}  # key -> newest version

    def account(self, i: int, handle: str) -> Account:
        return Account(
            id=str(1000 + i),
            username=handle,
            name=handle.title(),
            created_at=START - timedelta(days=self.rnd.choice([5, 400])),
            followers=self.rnd.choice([0, 3, 50]),
        )

    def tick(self) -> None:
        self.now += timedelta(minutes=self.rnd.randint(1, 90))

    def new_id(self, when: datetime) -> str:
        self.seq += 1
        return make_snowflake(when, self.seq % 4096)

    def new_post(self) -> Post:
        rnd = self.rnd
        author = self.accounts[rnd.choice(HANDLES)]
        when = rnd.choice(
            [START - timedelta(hours=2), START + timedelta(seconds=rnd.randint(0, 200_000))]
        )
        when = min(when, self.now)
        pid = self.new_id(when)
        refs: list[Reference] = []
        to_author = None
        roll = rnd.random()
        if roll < 0.1:
            refs.append(Reference("reposted", "9" * 10))
        elif roll < 0.35 and self.posts:
            target = rnd.choice(list(self.posts.values()))
            refs.append(Reference("replied_to", target.id))
            to_author = target.author_id
        elif roll < 0.45:
            refs.append(Reference("quoted", "8" * 10))
        tags = rnd.choice([("Spring",), ("spring", "Other"), ("Other",), ()])
        mentions = rnd.choice([(), ("orga",), (BOT,)])
        text = rnd.choice(["Look at this", "Who is speaking?", f"@{BOT} rank", "Great session"])
        return Post(
            id=pid,
            text=text + "".join(f" #{t}" for t in tags),
            author_id=author.id,
            created_at=when,
            edit_history_ids=(pid,),
            conversation_id=pid,
            in_reply_to_author_id=to_author,
            lang=rnd.choice(["en", "fr", "de", "und"]),
            references=tuple(refs),
            hashtags=tags,
            mentions=mentions,
            metrics=self.metrics(),
        )

    def metrics(self) -> Metrics:
        rnd = self.rnd
        return Metrics(
            likes=rnd.choice([0, 1, 2, 3, 5, 8, 8, 13]),
            replies=rnd.choice([0, 1, 2, 4]),
            reposts=rnd.choice([0, 1, 3]),
            quotes=rnd.choice([0, 1]),
        )

    def step(self) -> str:
        """One random write; returns what it did (for the failure message)."""
        self.tick()
        rnd = self.rnd
        ops = [
            "page",
            "page",
            "lookup",
            "problems",
            "change_account",
            "replies",
            "decision",
            "pick",
        ]
        op = rnd.choice(ops if self.posts else ["page"])
        getattr(self, op)()
        return op

    def page(self) -> None:
        posts = tuple(self.new_post() for _ in range(self.rnd.randint(1, 8)))
        for p in posts:
            self.posts[p.key] = p
        page = Page(
            posts, tuple(self.accounts.values()), posts[-1].id, posts[0].id, len(posts), None
        )
        self.store.save_page(self.c.id, "search:0", page, now=self.now)

    def lookup(self) -> None:
        chosen = self.rnd.sample(list(self.posts.values()), min(len(self.posts), 6))
        out = []
        for p in chosen:
            new = replace(p, metrics=self.metrics())
            if self.rnd.random() < 0.2:  # an edit: a new id in the same chain
                nid = self.new_id(self.now)
                new = replace(new, id=nid, edit_history_ids=(*p.edit_history_ids, nid))
            self.posts[p.key] = new
            out.append(new)
        self.store.save_lookup(Lookup(tuple(out), tuple(self.accounts.values())), self.now)

    def problems(self) -> None:
        p = self.rnd.choice(list(self.posts.values()))
        problem = self.rnd.choice(["deleted", "protected", "suspended"])
        self.store.save_lookup(Lookup((), (), ((p.id, problem),)), self.now)  # type: ignore[arg-type]

    def change_account(self) -> None:
        handle = self.rnd.choice(HANDLES)
        old = self.accounts[handle]
        change = self.rnd.choice(["followers", "age", "protected", "rename"])
        if change == "followers":
            new = replace(old, followers=self.rnd.choice([0, 3, 50, 500]))
        elif change == "age":
            new = replace(old, created_at=START - timedelta(days=self.rnd.choice([1, 100])))
        elif change == "protected":
            new = replace(old, protected=not old.protected)
        else:  # a new handle: maybe an organiser's, a community member's or the bot's
            new = replace(old, username=self.rnd.choice(["orga", "chloe", BOT, handle + "x"]))
        self.accounts[handle] = new
        self.store.save_accounts([new], now=self.now)

    def replies(self) -> None:
        target = self.rnd.choice(list(self.posts.values()))
        replies = []
        for _ in range(self.rnd.randint(1, 4)):
            who = self.accounts[self.rnd.choice(HANDLES)]
            when = self.rnd.choice([self.now, END + timedelta(hours=1)])
            rid = self.new_id(min(when, self.now))
            replies.append(
                Post(
                    id=rid,
                    text="reply",
                    author_id=who.id,
                    created_at=when,
                    edit_history_ids=(rid,),
                    references=(Reference("replied_to", target.id),),
                )
            )
        self.store.save_conversation_replies(
            {target.key: replies}, list(self.accounts.values()), now=self.now
        )

    def decision(self) -> None:
        key = self.rnd.choice(list(self.posts))
        action = self.rnd.choice(["disqualify", "disqualify", "requalify"])
        RulesStore(self.store).record_decision(
            Decision(self.c.id, key, action, f"reason {self.seq}", "orga", self.now)  # type: ignore[arg-type]
        )

    def pick(self) -> None:
        jury = [c for c in self.c.categories if c.kind == "jury"]
        if not jury:
            return
        key = self.rnd.choice(list(self.posts))
        RulesStore(self.store).add_pick(
            self.c.id,
            JuryPick(self.rnd.choice(jury).id, key, self.rnd.randint(1, 3), "judge", self.now),
        )


def full(store: Store, c: Competition, now: datetime) -> Standings:
    rules = RulesStore(store)
    disqualified, requalified = rules.decision_state(c.id)
    return compute_standings(
        c,
        store.entries(c.id),
        now=now,
        disqualified=disqualified,
        requalified=requalified,
        jury_picks=rules.picks(c.id),
        bot_username=BOT,
    )


def assert_same(
    shown: Board, whole: Standings, top: int, context: str, *, through_rank: int = 0
) -> None:
    assert not shown.complete
    assert shown.standings.prizes_pending == whole.prizes_pending, context
    for mine, theirs in zip(shown.standings.categories, whole.categories, strict=True):
        cid = theirs.category.id
        n = len(mine.entries)
        assert n >= min(top, len(theirs.entries)), (context, cid)
        assert mine.entries == theirs.entries[:n], (context, cid)
        # every line ranked through_rank or better is there, a shared rank's whole tie included
        assert n >= sum(1 for r in theirs.entries if r.rank <= through_rank), (context, cid)
        assert mine.winners == theirs.winners, (context, cid)
        assert mine.awaiting_jury == theirs.awaiting_jury, (context, cid)
        assert mine.below_minimum == theirs.below_minimum, (context, cid)
    assert list(shown.exclusions()) == list(whole.exclusions), context
    assert shown.exclusion_count == len(whole.exclusions), context
    assert shown.excluded_entries == len({x.key for x in whole.exclusions}), context


def histories(store: Store, seed: int) -> Iterator[tuple[History, str]]:
    rnd = random.Random(seed)
    c = random_competition(rnd)
    store.sync_competitions([c], now=START)
    h = History(rnd, store, c)
    for i in range(40):
        yield h, f"seed {seed} step {i}: {h.step()} ({c})"


@pytest.mark.parametrize("seed", range(12))
def test_the_live_board_equals_a_full_recomputation_after_every_step(
    store: Store, seed: int
) -> None:
    top = random.Random(seed).choice([1, 3, 50])
    through = random.Random(seed + 1000).choice([0, 1, 2, 3, 5])  # what the cadence, posts ask
    for h, context in histories(store, seed):
        if h.rnd.random() < 0.4:  # sometimes the daemon catches up, sometimes the reader does
            continue
        shown = board(store, h.c, h.now, top=top, through_rank=through, bot_username=BOT)
        whole = full(store, h.c, h.now)
        assert_same(shown, whole, top, context, through_rank=through)
        # What a reply to "my rank" says, from the indexes (by account id), for everyone whose
        # handle is theirs alone (a rename here may take another account's handle, and the
        # whole standings know a participant by handle only).
        read = standings_reader(store, h.c, h.now, bot_username=BOT)
        handles = Counter(a.username.casefold() for a in h.accounts.values())
        for account in h.accounts.values():
            if handles[account.username.casefold()] == 1:
                assert read(account) == standing_of(account.username, whole), (context, account)


def test_a_rebuild_gives_the_rows_catching_up_gave(store: Store) -> None:
    for h, _ in histories(store, 99):
        board(store, h.c, h.now, top=5, bot_username=BOT)
    caught = list(board(store, h.c, h.now, top=1000, bot_username=BOT).exclusions())
    before = board(store, h.c, h.now, top=1000, bot_username=BOT).standings
    rules = RulesStore(store)
    disqualified, requalified = rules.decision_state(h.c.id)
    LiveStore(store).rebuild(
        h.c,
        decisions_of(h.c, disqualified, requalified, rules.picks(h.c.id)),
        bot_username=BOT,
        now=h.now,
    )
    after = board(store, h.c, h.now, top=1000, bot_username=BOT)
    assert after.standings == before
    assert list(after.exclusions()) == caught


def test_a_rules_change_recomputes_the_rows(store: Store) -> None:
    steps = list(histories(store, 7))
    h = steps[-1][0]
    stricter = replace(h.c, excluded_accounts=("staff", "ana", "ben"))
    shown = board(store, stricter, h.now, top=10, bot_username=BOT)
    assert_same(shown, full(store, stricter, h.now), 10, "after a rules change")
    assert not any(
        r.username in ("ana", "ben") for cs in shown.standings.categories for r in cs.entries
    )


def test_from_the_deadline_the_board_is_computed_whole_and_the_rows_are_dropped(
    store: Store,
) -> None:
    for h, _ in histories(store, 3):
        board(store, h.c, h.now, top=5, bot_username=BOT)
    assert LiveStore(store).counts(h.c.id)  # kept while live
    shown = board(store, h.c, END, top=5, bot_username=BOT)
    assert shown.complete
    assert shown.standings == full(store, h.c, END)
    assert not LiveStore(store).counts(h.c.id)


def test_a_shared_rank_at_the_rank_asked_for_is_shown_whole(store: Store) -> None:
    """The cadence asks for every line ranked 10 or better, a leaderboard post for its top N: when
    several entries share the last such rank, all of them are there, not only the first."""
    likes = Category(id="likes", kind="likes", winners=1)
    c = Competition(
        id="ties",
        title="Ties",
        hashtags=("Spring",),
        start=START,
        end=END,
        categories=(likes,),
        tie_rule="shared",
    )
    store.sync_competitions([c], now=START)
    people = [
        Account(str(500 + i), f"p{i}", f"P{i}", START - timedelta(days=400), 50) for i in range(6)
    ]
    when = START + timedelta(hours=1)
    page = _posts_page(0, [10, 9, 8, 8, 8, 1], when, people)
    now = when + timedelta(hours=1)
    store.save_page(c.id, "search:0", page, now=now)
    ranks = [r.rank for r in full(store, c, now).categories[0].entries]
    assert ranks == [1, 2, 3, 3, 3, 6]
    plain = board(store, c, now, top=3, bot_username=BOT).standings.categories[0]
    asked = board(store, c, now, top=3, through_rank=3, bot_username=BOT).standings.categories[0]
    assert [r.rank for r in plain.entries] == [1, 2, 3]  # the first 3 lines, as the CLI shows
    assert [r.rank for r in asked.entries if r.rank <= 3] == [1, 2, 3, 3, 3]


def _posts_page(first: int, likes: list[int], when: datetime, people: list[Account]) -> Page:
    posts = tuple(
        Post(
            id=make_snowflake(when + timedelta(minutes=i), first + i),
            text=f"entry {first + i} #Spring",
            author_id=people[i % len(people)].id,
            created_at=when + timedelta(minutes=i),
            edit_history_ids=(make_snowflake(when + timedelta(minutes=i), first + i),),
            hashtags=("Spring",),
            metrics=Metrics(likes=n),
        )
        for i, n in enumerate(likes)
    )
    return Page(posts, tuple(people), posts[-1].id, posts[0].id, len(posts), None)


def test_a_competition_taken_out_of_the_config_no_longer_holds_the_change_log_back(
    store: Store,
) -> None:
    likes = Category(id="likes", kind="likes")
    kept, removed = (
        Competition(
            id=cid, title=cid, hashtags=("Spring",), start=START, end=END, categories=(likes,)
        )
        for cid in ("kept", "removed")
    )
    store.sync_competitions([kept, removed], now=START)
    people = [
        Account(str(700 + i), f"q{i}", f"Q{i}", START - timedelta(days=400), 50) for i in range(3)
    ]
    now = START + timedelta(hours=2)
    store.save_page(kept.id, "search:0", _posts_page(0, [3, 2, 1], START, people), now=now)
    for c in (kept, removed):
        board(store, c, now, top=3, bot_username=BOT)

    def logged() -> int:
        with store.session() as s:
            return int(s.scalar(select(func.count()).select_from(LiveChangeRow)) or 0)

    later = now + timedelta(hours=1)
    store.save_page(kept.id, "search:0", _posts_page(10, [9, 8], now, people), now=later)
    board(store, kept, later, top=3, bot_username=BOT)
    assert logged() > 0  # the removed competition has not taken these changes in
    assert LiveStore(store).release_others([kept.id]) == [removed.id]
    assert logged() == 0
    assert LiveStore(store).release_others([kept.id]) == []
    assert_same(
        board(store, kept, later, top=5, bot_username=BOT), full(store, kept, later), 5, "kept"
    )
