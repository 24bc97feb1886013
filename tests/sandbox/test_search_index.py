"""The search index: the candidates recent search reads (`Reads._candidates`, from the World's
postings and `Query.index_clauses`) never lose a match. On random small worlds (posts, back-dated
posts, replies, quotes, retweets, edits, deletions; texts mixing case, accents, combining marks,
ligatures, punctuation, emoji, CJK, hashtags, mentions, cashtags) and random queries, the
matches among the candidates are exactly the matches of a full scan of `world.order`; postings
maintained on every insert equal postings rebuilt from scratch; and the bench script runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import tweepy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.sandbox import Sandbox, World
from bot.sandbox.api import Reads, Rules
from bot.sandbox.query import IndexTerm, Query, QueryError, fold, hashtag_key, parse_query, words_of
from bot.sandbox.records import TweetRec

START = datetime(2026, 9, 1, 12, tzinfo=UTC)
USERS = ("alice", "Bob", "carol_1")

# Text pieces chosen to break a naive index: case, accents (composed and combining), ligatures,
# ß/ss, dotted İ, final sigma, punctuation glued to words, apostrophes, emoji, CJK (substring
# semantics), hashtags and mentions (also glued), cashtags, digits, underscores, URLs.
WORDS = [
    "café",
    "Cafe",
    "CAFÉ",
    "cafe\u0301",
    "naïve",
    "naive",
    "hello",
    "Hello,",
    "HELLO!",
    "world",
    "world.",
    "don't",
    "dont",
    "ﬁne",
    "fine",
    "Straße",
    "strasse",
    "İstanbul",
    "istanbul",
    "ΣΑΣ",
    "σας",
    "x_y",
    "foo-bar",
    "1234",
    "#Tag",
    "#tag",
    "#Café",
    "#cafe",
    "#IGFcontest",
    "@alice",
    "@Bob",
    "@nobody",
    "$BTC",
    "🎉",
    "🦄x",
    "東京",
    "東京都",
    "https://x.co/a",
    "(hi)",
    '"quoted"',
]
SEPARATORS = [" ", " ", " ", "  ", ", ", ".", "\n", "-", "", "…"]
TEXTS = st.one_of(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12).map(
        lambda parts: "".join(w + s for w, s in parts)
    ),
    st.text(max_size=20),
)
OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["post", "post", "backdated", "reply", "quote", "retweet", "edit", "delete"]
        ),
        st.integers(0, 1000),
        st.sampled_from(USERS),
        TEXTS,
    ),
    min_size=1,
    max_size=30,
)

# Query pieces: the same vocabulary as the texts (other spellings too) and the operators.
KEYWORDS = [
    "cafe",
    "Café",
    "CAFE",
    "naive",
    "NAÏVE",
    "hello",
    "world",
    "dont",
    "don't",
    "fine",
    "ﬁne",
    "strasse",
    "Straße",
    "istanbul",
    "σας",
    "x_y",
    "foo",
    "bar",
    "1234",
    "tag",
    "btc",
    "hi",
    "quoted",
    "alice",
    "🎉",
    "🦄",
    "東京",
    "京都",
    "absent",
    "t",
    "co",
]
PHRASES = [
    '"hello world"',
    '"café naïve"',
    '"foo-bar"',
    '"don\'t"',
    '"world hello"',
    '"x y"',
    '"東京"',
    '"🎉"',
    '"!"',
]
OPERATORS = [
    "#tag",
    "#TAG",
    "#café",
    "#Cafe",
    "#igfcontest",
    "#absent",
    "@alice",
    "@BOB",
    "@nobody",
    "from:alice",
    "from:BOB",
    "from:@carol_1",
    "from:nobody",
    "to:alice",
    "-is:retweet",
    "is:reply",
    "is:quote",
    "lang:en",
    "has:hashtags",
    "has:mentions",
    "has:links",
]
ATOMS = st.sampled_from(KEYWORDS + PHRASES + OPERATORS)
TERMS = st.one_of(ATOMS, ATOMS.map(lambda a: "-" + a))
QUERIES = st.recursive(
    TERMS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(" ".join),
        st.lists(inner, min_size=2, max_size=3).map(" OR ".join),
        inner.map(lambda q: f"({q})"),
    ),
    max_leaves=6,
)
# A conjunction whose other clause is an OR: the candidates of one term, intersected with a union.
QUERIES_AND_OR = st.tuples(TERMS, ATOMS, ATOMS, TERMS).map(
    lambda p: f"{p[0]} ({p[1]} OR {p[2]}) {p[3]}"
)


def make_world(ops: list[tuple[str, int, str, str]]) -> tuple[World, ManualClock]:
    clock = ManualClock(START)
    world = World(clock)
    for name in USERS:
        world.add_user(name)
    world.post("alice", "seed #Tag hello world")
    for op, pick, user, text in ops:
        clock.advance(1)
        ids = [t.id for t in world.tweets.values()]
        target = ids[pick % len(ids)]
        before = len(world.tweets)
        try:
            if op == "post":
                world.post(user, text, lang="en" if pick % 3 else "fr")
            elif op == "backdated":  # an older id than those already indexed: a sorted insert
                world.post(user, text, at=START + timedelta(seconds=pick % 30))
            elif op == "reply":
                world.reply(user, target, text, mention_parent=bool(pick % 2))
            elif op == "quote":
                world.quote(user, target, text)
            elif op == "retweet":
                world.retweet(user, target)
            elif op == "edit":
                world.edit(world.latest(target), text)
            else:
                world.delete(target)
        except (KeyError, ValueError):
            # Retweeting or editing what cannot be (deleted, a retweet, twice): the world refuses
            # before it writes anything, so a refusal never hides a half-done index update.
            assert len(world.tweets) == before
    clock.advance(1)
    return world, clock


def full_scan(world: World, query: Query, since: int | None, until: int | None) -> list[int]:
    return [
        num
        for num in reversed(world.order)
        if (since is None or num > since)
        and (until is None or num < until)
        and query.matches(world.tweets[num])
    ]


def indexed(world: World, query: Query, since: int | None, until: int | None) -> list[int]:
    reads = Reads(world, Rules(), {})
    candidates = list(reads._candidates(query, since, until))
    assert candidates == sorted(set(candidates), reverse=True), "newest first, no repeats"
    assert all(num in world.tweets for num in candidates)
    return [num for num in candidates if query.matches(world.tweets[num])]


def parsed(query: str) -> Query | None:
    try:
        return parse_query(query)
    except QueryError:
        return None


WINDOWS = st.tuples(st.none() | st.integers(0, 40), st.none() | st.integers(0, 40))


def bounds(world: World, window: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    def at(i: int | None) -> int | None:
        return None if i is None else world.order[i % len(world.order)]

    return at(window[0]), at(window[1])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.lists(QUERIES | QUERIES_AND_OR, min_size=1, max_size=6), WINDOWS)
def test_indexed_candidates_find_exactly_what_a_full_scan_finds(
    ops: list[tuple[str, int, str, str]], queries: list[str], window: tuple[int | None, int | None]
) -> None:
    world, _ = make_world(ops)
    since, until = bounds(world, window)
    for source in queries:
        query = parsed(source)
        if query is None:
            continue
        assert indexed(world, query, since, until) == full_scan(world, query, since, until), source


@settings(max_examples=200, deadline=None)
@given(OPS, st.text(alphabet="abcAB#@éÉ\u0301 ()-\"'.:_🎉京OR", max_size=30))
def test_arbitrary_query_strings_lose_nothing_either(
    ops: list[tuple[str, int, str, str]], source: str
) -> None:
    world, _ = make_world(ops)
    query = parsed(source)
    if query is not None:
        assert indexed(world, query, None, None) == full_scan(world, query, None, None)


def terms_of(t: TweetRec) -> set[IndexTerm]:
    """Every index term tweet `t` carries, computed from the record alone."""
    out: set[IndexTerm] = {("word", w) for w in words_of(t.text)}
    out |= {("hashtag", hashtag_key(h)) for h in t.hashtags}
    out |= {("mention", m.lower()) for m in t.mentions}
    out |= {("from", t.author_username.lower()), ("author_id", t.author_id)}
    out.add(("conversation_id", t.conversation_id))
    return out


@settings(max_examples=200, deadline=None)
@given(OPS, QUERIES | QUERIES_AND_OR)
def test_every_match_satisfies_every_index_clause(
    ops: list[tuple[str, int, str, str]], source: str
) -> None:
    world, _ = make_world(ops)
    query = parsed(source)
    clauses = query.index_clauses() if query is not None else None
    if query is None or clauses is None:
        return
    for num in world.order:
        t = world.tweets[num]
        if query.matches(t):
            carried = terms_of(t)
            assert all(clause & carried for clause in clauses), (source, t.text)


def rebuilt(world: World) -> dict[IndexTerm, list[int]]:
    index: dict[IndexTerm, list[int]] = {}
    for num in sorted(world.tweets):
        for term in terms_of(world.tweets[num]):
            index.setdefault(term, []).append(num)
    return index


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_postings_after_edits_and_deletes_equal_postings_rebuilt_from_scratch(
    ops: list[tuple[str, int, str, str]],
) -> None:
    world, _ = make_world(ops)
    expected = rebuilt(world)
    for term, nums in expected.items():
        assert world.postings(term) == nums, term
    assert world.by_word.keys() == {key for kind, key in expected if kind == "word"}
    assert set(world.by_hashtag) == {key for kind, key in expected if kind == "hashtag"}
    assert len(world.by_conversation) == len(
        {k for kind, k in expected if kind == "conversation_id"}
    )
    assert world.postings(("word", "no-such-token")) == []
    assert world.postings(("from", "nobody")) == []


SPARSE = st.lists(st.integers(1, 3000), max_size=40).map(lambda xs: sorted(set(xs)))
DENSE = st.tuples(st.integers(1, 3000), st.integers(1, 3000), st.integers(1, 4)).map(
    lambda p: list(range(min(p[0], p[1]), max(p[0], p[1]), p[2]))
)
POSTINGS = SPARSE | DENSE
BOUND = st.none() | st.integers(0, 3001)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(POSTINGS, min_size=1, max_size=3),
    st.lists(st.lists(POSTINGS, min_size=1, max_size=3), max_size=3),
    BOUND,
    BOUND,
)
def test_candidates_are_the_intersection_of_the_unions_newest_first(
    union: list[list[int]], checks: list[list[list[int]]], since: int | None, until: int | None
) -> None:
    # Sparse candidates against dense postings take the binary-search path, dense ones the set
    # path, and more than 256 candidates more than one chunk.
    world = World(ManualClock(START))
    want: set[int] = set().union(*union)
    for group in checks:
        want &= set().union(*group)
    inside = [n for n in want if (since is None or n > since) and (until is None or n < until)]
    got = list(world.candidates(union, checks, since=since, until=until))
    assert got == sorted(inside, reverse=True)


def test_a_conjunction_with_an_or_keeps_either_alternative(clock: ManualClock) -> None:
    world = World(clock)
    world.add_user("alice")
    for i in range(6):
        world.post("alice", f"filler{i} apple")
        world.post("alice", f"filler{i} banana")
    hits = [world.post("alice", "rare apple"), world.post("alice", "rare Banana")]
    world.post("alice", "rare cherry")
    clock.advance(5)
    query = parse_query("rare (apple OR banana)")
    clauses = query.index_clauses(lambda term: len(world.postings(term)))
    assert clauses == [
        frozenset({("word", "rare")}),
        frozenset({("word", "apple"), ("word", "banana")}),
    ]
    assert indexed(world, query, None, None) == [int(i) for i in reversed(hits)]


def test_edit_and_delete_move_search_results(clock: ManualClock) -> None:
    world = World(clock)
    world.add_user("alice")
    first = world.post("alice", "Un café, s'il vous plaît #Tag")
    other = world.post("alice", "nothing here")
    clock.advance(5)
    cafe = parse_query("cafe")
    assert indexed(world, cafe, None, None) == [int(first)]
    edited = world.edit(first, "Now about tea")
    clock.advance(5)
    # Both versions stay indexed (the old one is still a record); search keeps the latest only.
    assert indexed(world, cafe, None, None) == [int(first)]
    assert world.tweets[int(first)].is_latest is False
    assert indexed(world, parse_query("tea"), None, None) == [int(edited)]
    world.delete(other)
    assert indexed(world, parse_query("nothing"), None, None) == [int(other)]
    assert world.tweets[int(other)].deleted


def test_search_over_http_follows_the_latest_version_and_drops_deleted(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    c = sandbox.credentials
    from tests.conftest import redirect_client

    client = redirect_client(tweepy.Client(bearer_token=c["bearer_token"]), sandbox.base_url)
    w = sandbox.world
    w.add_user("alice")
    posted = [w.post("alice", f"Entrée {i} Naïve #Tag") for i in range(30)]
    edited = w.edit(posted[3], "entree rewritten, no longer naive? NAIVE.")
    w.delete(posted[5])
    w.post("alice", "entrées plural is another token")
    clock.advance(60)
    pages = list(tweepy.Paginator(client.search_recent_tweets, "entree naive", max_results=10))
    got = [t.id for p in pages for t in p.data]
    expected = [int(edited)] + [int(i) for i in reversed(posted) if i not in (posted[3], posted[5])]
    assert got == expected
    assert [p.meta["result_count"] for p in pages] == [10, 10, 9]
    assert client.search_recent_tweets('"no longer naive"').data[0].id == int(edited)
    assert client.search_recent_tweets("naive -entree").data is None


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("cafe", {"word"}),
        ('"Café naïve"', {"word"}),
        ("#Tag -is:retweet", {"hashtag"}),
        ("@Alice", {"mention"}),
        ("from:alice", {"from", "author_id"}),
        ("conversation_id:123 is:reply", {"conversation_id"}),
        ("(#a OR word) lang:en", {"hashtag", "word"}),
    ],
)
def test_index_terms_of_indexable_queries(query: str, kinds: set[str]) -> None:
    terms = parse_query(query).index_terms()
    assert terms is not None and {kind for kind, _ in terms} == kinds


@pytest.mark.parametrize(
    "query",
    ["🎉", "東京", '"!!"', "to:alice", "cafe OR to:alice", "#a OR (to:x -c)", "-cafe #a OR 🎉"],
)
def test_queries_no_index_can_serve_scan_everything(query: str) -> None:
    assert parse_query(query).index_clauses() is None


def test_a_conjunction_reads_the_shortest_postings() -> None:
    cost = {("word", "common"): 1000, ("word", "rare"): 3, ("hashtag", "tag"): 50}
    query = parse_query("common #tag rare")
    assert query.index_terms(lambda term: cost.get(term, 0)) == frozenset({("word", "rare")})
    clauses = query.index_clauses(lambda term: cost.get(term, 0))
    assert clauses == [
        frozenset({t}) for t in [("word", "rare"), ("hashtag", "tag"), ("word", "common")]
    ]
    either = parse_query("(common #tag) OR rare")
    assert either.index_terms(lambda term: cost.get(term, 0)) == frozenset(
        {("hashtag", "tag"), ("word", "rare")}
    )


@given(st.text(max_size=40) | st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_fold_takes_a_shortcut_only_where_it_changes_nothing(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    slow = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert fold(text) == unicodedata.normalize("NFC", slow).casefold()
