"""Scoring: categories, audiences, tie rules, per-author rules, and properties of the ranking."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import Category, CategoryStanding, Eligibility, Entry, Metrics, Standings
from bot.core.scoring import JuryPick, compute_standings, draw_value, seed_commitment
from tests.core.rulesdata import END, OLD, START, competition, entry, population, reply

LIKES = Category("most-liked", "likes")


def ranked(s: Standings, category: str) -> list[tuple[str, int, float]]:
    cs = standing(s, category)
    return [(r.username, r.rank, r.score) for r in cs.entries]


def standing(s: Standings, category: str) -> CategoryStanding:
    return next(c for c in s.categories if c.category.id == category)


def excluded(s: Standings, category: str | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for x in s.exclusions:
        if x.category == category:
            out.setdefault(x.username, []).append(x.rule)
    return out


# ----------------------------------------------------------------------------------- categories


def test_likes_rank_highest_first_and_ineligible_entries_never_rank() -> None:
    entries = [
        entry("alice", likes=7),
        entry("bob", likes=12),
        entry("orga", likes=99),
        entry("carol", likes=50, refs=(("reposted", "1"),)),
        entry("dave", likes=40, status="deleted"),
        entry("erin", likes=30, at=END),
    ]
    s = compute_standings(competition(LIKES), entries, now=END)
    assert ranked(s, "most-liked") == [("bob", 1, 12.0), ("alice", 2, 7.0)]
    assert excluded(s) == {
        "orga": ["organiser"],
        "carol": ["retweet"],
        "dave": ["deleted"],
        "erin": ["outside-window"],
    }
    assert standing(s, "most-liked").winners == (entries[1].key,)
    assert s.computed_at == END


def test_replies_reported_mode_uses_the_reply_count() -> None:
    c = competition(Category("most-replied", "replies"))
    s = compute_standings(c, [entry("a", replies=3), entry("b", replies=9)], now=END)
    assert ranked(s, "most-replied") == [("b", 1, 9.0), ("a", 2, 3.0)]


def test_a_self_reply_farm_scores_nothing_in_distinct_repliers_mode() -> None:
    c = competition(Category("most-replied", "replies", replies_mode="distinct"))
    farm = entry("farmer", replies=40, repliers=("farmer",) * 40)
    honest = entry(
        "honest",
        replies=5,
        repliers=("x", "X", "y", "orga", "staffer", "contestbot", "honest"),
    )
    s = compute_standings(c, [farm, honest], now=END, bot_username="contestbot")
    # x and X are one account; orga, the excluded staffer, the bot and the author do not count
    assert ranked(s, "most-replied") == [("honest", 1, 2.0)]
    # 0 distinct repliers is under the category's minimum of 1: the farm does not rank at all
    assert excluded(s, "most-replied") == {"farmer": ["below-minimum"]}


def test_quotes_reposts_and_a_weighted_score() -> None:
    c = competition(
        Category("quoted", "quotes"),
        Category("reposted", "reposts"),
        Category("engaging", "weighted", weights=(("likes", 1.0), ("replies", 2.0))),
    )
    a = entry("a", likes=10, replies=1, quotes=5, reposts=0)
    b = entry("b", likes=3, replies=5, quotes=1, reposts=4)
    s = compute_standings(c, [a, b], now=END)
    assert ranked(s, "quoted") == [("a", 1, 5.0), ("b", 2, 1.0)]
    assert ranked(s, "reposted") == [("b", 1, 4.0)]  # a's 0 reposts are under the minimum of 1
    assert excluded(s, "reposted") == {"a": ["below-minimum"]}
    assert ranked(s, "engaging") == [("b", 1, 13.0), ("a", 2, 12.0)]


def test_a_jury_category_without_picks_is_a_shortlist_awaiting_the_jury() -> None:
    jury = Category("best-question", "jury", questions_only=True, replies_mode="distinct")
    c = competition(jury)
    asks = entry("asker", likes=2, text="How do we grow? #gemeinschaft", repliers=("o1", "member1"))
    loud = entry("loud", likes=9, text="Hello #gemeinschaft")
    quiet = entry("quiet", likes=1, text="Why not? #gemeinschaft")
    s = compute_standings(c, [asks, loud, quiet], now=END)
    cs = standing(s, "best-question")
    assert cs.awaiting_jury and cs.winners == ()
    # engagement from outside: likes + distinct outside repliers (member1 is community)
    assert ranked(s, "best-question") == [("asker", 1, 3.0), ("quiet", 2, 1.0)]
    assert excluded(s, "best-question") == {"loud": ["not-a-question"]}


def test_jury_picks_rank_first_and_the_latest_pick_of_an_entry_counts() -> None:
    c = competition(Category("best", "jury", winners=2))
    a, b, d = entry("a", likes=9), entry("b", likes=1, minutes=10), entry("d", likes=5)
    picks = [
        JuryPick("best", b.key, 1, "orga", END),
        JuryPick("best", a.key, 1, "orga", END + timedelta(minutes=1), "changed my mind"),
        JuryPick("best", a.key, 2, "orga", END - timedelta(minutes=1)),
        JuryPick("other-category", d.key, 1, "orga", END),
    ]
    s = compute_standings(c, [a, b, d], now=END, jury_picks=picks)
    cs = standing(s, "best")
    assert [(r.username, r.rank, r.jury_rank, r.tie) for r in cs.entries] == [
        ("b", 1, 1, "earliest"),  # both picked 1: the declared tie rule orders them
        ("a", 2, 1, "earliest"),
        ("d", 3, None, None),
    ]
    assert not cs.awaiting_jury
    assert cs.winners == (b.key, a.key)


def test_jury_may_take_only_replies_to_the_organisers() -> None:
    c = competition(
        Category("best-reply", "jury", replies_to_organisers_only=True),
        eligibility=Eligibility(allow_replies=True),
    )
    post = entry("orga", user_id="42", likes=3)
    reply = entry("fan", refs=(("replied_to", post.key),), reply_to_user="42", likes=1)
    other = entry("solo", likes=8)
    s = compute_standings(c, [post, reply, other], now=END)
    assert ranked(s, "best-reply") == [("fan", 1, 1.0)]
    assert excluded(s, "best-reply") == {"solo": ["not-reply-to-organiser"]}


# ------------------------------------------------------------------------------------- audience


def test_an_outside_category_ranks_outside_authors_only() -> None:
    c = competition(Category("reach", "likes", audience="outside"))
    s = compute_standings(c, [entry("member1", likes=50), entry("stranger", likes=5)], now=END)
    assert ranked(s, "reach") == [("stranger", 1, 5.0)]
    assert excluded(s, "reach") == {"member1": ["community-author"]}


def test_both_audiences_report_an_overall_and_a_per_side_rank() -> None:
    c = competition(Category("reach", "likes", audience="both"))
    es = [entry("member1", likes=50), entry("s1", likes=20), entry("member2", likes=9)]
    es.append(entry("s2", likes=3))
    s = compute_standings(c, es, now=END)
    rows = standing(s, "reach").entries
    assert [(r.username, r.rank, r.audience, r.audience_rank) for r in rows] == [
        ("member1", 1, "community", 1),
        ("s1", 2, "outside", 1),
        ("member2", 3, "community", 2),
        ("s2", 4, "outside", 2),
    ]


# ----------------------------------------------------------------------------------------- ties


def test_earliest_tie_rule_the_earlier_post_wins_and_both_are_marked() -> None:
    late, early, other = (
        entry("late", likes=5, minutes=90),
        entry("early", likes=5, minutes=10),
        entry("other", likes=4),
    )
    s = compute_standings(competition(LIKES), [late, early, other], now=END)
    rows = standing(s, "most-liked").entries
    assert [(r.username, r.rank, r.tie) for r in rows] == [
        ("early", 1, "earliest"),
        ("late", 2, "earliest"),
        ("other", 3, None),
    ]


def test_earliest_tie_rule_falls_back_to_the_smaller_id_at_the_same_second() -> None:
    at = START + timedelta(hours=1)
    a = entry("a", likes=5, at=at, tweet_id="1900000000000000002")
    b = entry("b", likes=5, at=at, tweet_id="999000000000000001")  # shorter id: numerically smaller
    s = compute_standings(competition(LIKES), [a, b], now=END)
    assert ranked(s, "most-liked") == [("b", 1, 5.0), ("a", 2, 5.0)]


def test_shared_tie_rule_uses_standard_competition_ranking() -> None:
    c = competition(LIKES, tie_rule="shared")
    es = [entry("a", likes=9), entry("b", likes=9, minutes=5), entry("c", likes=2)]
    s = compute_standings(c, es, now=END)
    rows = standing(s, "most-liked").entries
    assert [(r.rank, r.tie) for r in rows] == [(1, "shared"), (1, "shared"), (3, None)]
    assert set(standing(s, "most-liked").winners) == {es[0].key, es[1].key}


def test_random_tie_rule_is_a_reproducible_seeded_draw() -> None:
    c = competition(LIKES, tie_rule="random", tie_seed="autumn-seed")
    es = [entry(f"u{i}", likes=5) for i in range(8)] + [entry("top", likes=6)]
    s = compute_standings(c, es, now=END)
    rows = standing(s, "most-liked").entries
    assert rows[0].username == "top" and rows[0].tie is None
    expected = sorted(
        es[:8], key=lambda e: hashlib.sha256(f"autumn-seed:most-liked:{e.key}".encode()).hexdigest()
    )
    assert [r.key for r in rows[1:]] == [e.key for e in expected]
    assert all(r.tie == "random" for r in rows[1:])
    assert (
        draw_value("autumn-seed", "most-liked", es[0].key)
        == hashlib.sha256(f"autumn-seed:most-liked:{es[0].key}".encode()).hexdigest()
    )
    assert seed_commitment("autumn-seed") == hashlib.sha256(b"autumn-seed").hexdigest()
    other = compute_standings(replace(c, tie_seed="another"), es, now=END)
    assert [r.key for r in standing(other, "most-liked").entries] != [r.key for r in rows]


def test_random_tie_rule_without_a_seed_is_refused_with_the_fix() -> None:
    try:
        compute_standings(competition(LIKES, tie_rule="random"), [entry("a")], now=END)
    except ValueError as exc:
        assert "set tie_seed" in str(exc)
    else:
        raise AssertionError("a random draw without a seed must be refused")


# -------------------------------------------------------------------------------- author rules


def test_one_entry_per_author_keeps_their_best_per_category() -> None:
    c = competition(LIKES, Category("most-replied", "replies"))
    a1, a2 = entry("a", likes=9, replies=1), entry("a", likes=2, replies=8)
    b = entry("b", likes=5, replies=1)
    s = compute_standings(c, [a1, a2, b], now=END)
    assert [r.key for r in standing(s, "most-liked").entries] == [a1.key, b.key]
    assert [r.key for r in standing(s, "most-replied").entries] == [a2.key, b.key]
    assert excluded(s, "most-liked") == {"a": ["not-authors-best"]}
    allowed = compute_standings(
        replace(c, eligibility=Eligibility(one_entry_per_author=False)), [a1, a2, b], now=END
    )
    assert len(standing(allowed, "most-liked").entries) == 3


def test_one_prize_per_author_skips_an_earlier_winner_in_later_categories() -> None:
    c = competition(
        LIKES,
        Category("most-replied", "replies"),
        eligibility=Eligibility(one_prize_per_author=True),
    )
    star, runner = entry("star", likes=50, replies=50), entry("runner", likes=1, replies=3)
    s = compute_standings(c, [star, runner], now=END)
    assert standing(s, "most-liked").winners == (star.key,)
    assert standing(s, "most-replied").winners == (runner.key,)
    assert excluded(s, "most-replied") == {"star": ["already-won"]}


def test_one_prize_per_author_is_resolved_at_the_deadline_not_before() -> None:
    """Before the end the star leads both categories: nothing is settled yet, so the later
    category still ranks them (and a jury could pick them); from the deadline on, declared order
    decides and the star keeps the first prize only."""
    c = competition(
        LIKES,
        Category("most-replied", "replies"),
        eligibility=Eligibility(one_prize_per_author=True),
    )
    star, runner = entry("star", likes=50, replies=50), entry("runner", likes=1, replies=3)
    live = compute_standings(c, [star, runner], now=END - timedelta(hours=1))
    assert live.prizes_pending
    assert standing(live, "most-replied").winners == (star.key,)
    assert "star" not in excluded(live, "most-replied")
    final = compute_standings(c, [star, runner], now=END)
    assert not final.prizes_pending
    assert standing(final, "most-replied").winners == (runner.key,)
    assert excluded(final, "most-replied") == {"star": ["already-won"]}


@pytest.mark.parametrize(
    ("category", "metric"),
    [
        (Category("most-liked", "likes"), "likes"),
        (Category("most-replied", "replies"), "replies"),
        (Category("quoted", "quotes"), "quotes"),
        (Category("reposted", "reposts"), "reposts"),
        (Category("engaging", "weighted", weights=(("likes", 1.0),)), "likes"),
    ],
)
def test_a_category_is_never_won_with_a_zero_score(category: Category, metric: str) -> None:
    c = competition(category)
    nobody = [entry("a"), entry("b")]
    s = compute_standings(c, nobody, now=END)
    cs = standing(s, category.id)
    assert cs.entries == () and cs.winners == () and cs.no_qualifying_entry
    assert cs.below_minimum == 2
    assert excluded(s, category.id) == {"a": ["below-minimum"], "b": ["below-minimum"]}
    one = compute_standings(c, [*nobody, entry("c", **{metric: 1})], now=END)  # type: ignore[arg-type]
    assert ranked(one, category.id) == [("c", 1, 1.0)]


def test_a_declared_minimum_score_sets_the_bar() -> None:
    c = competition(Category("most-liked", "likes", min_score=10))
    s = compute_standings(c, [entry("a", likes=9), entry("b", likes=10)], now=END)
    assert ranked(s, "most-liked") == [("b", 1, 10.0)]
    (why,) = [x.reason for x in s.exclusions if x.key and x.rule == "below-minimum"]
    assert "needs at least 10 likes" in why


def test_a_jury_category_ranks_zero_engagement_by_default() -> None:
    c = competition(Category("best-question", "jury", questions_only=True))
    s = compute_standings(c, [entry("asker", text="Why? #gemeinschaft")], now=END)
    assert [r.username for r in standing(s, "best-question").entries] == ["asker"]


# ---------------------------------------------------------------------------------- properties

metric_values = st.integers(min_value=0, max_value=6)
authors = st.sampled_from(["a", "b", "c", "d", "e", "orga", "member1"])
entry_specs = st.lists(
    st.tuples(authors, metric_values, metric_values, st.integers(0, 5), st.booleans()),
    min_size=0,
    max_size=14,
)
kinds = st.sampled_from(["likes", "replies", "weighted", "jury"])
tie_rules = st.sampled_from(["earliest", "shared", "random"])


def build(specs: list[tuple[str, int, int, int, bool]]) -> list[Entry]:
    return [
        entry(
            name,
            likes=likes,
            replies=replies,
            minutes=minute * 10,
            status="active" if ok else "deleted",
            repliers=tuple("xyz"[: replies % 4]),
        )
        for name, likes, replies, minute, ok in specs
    ]


def setup(kind: str, tie: str, per_author: bool, min_score: float = 0) -> tuple[Category, object]:
    # The ordering properties hold over every candidate: no minimum score unless told.
    cat = Category(
        "cat",
        kind,  # type: ignore[arg-type]
        weights=(("likes", 1.0), ("replies", 2.5)),
        min_score=min_score,
    )
    c = competition(
        cat, tie_rule=tie, tie_seed="s", eligibility=Eligibility(one_entry_per_author=per_author)
    )
    return cat, c


@settings(max_examples=150, deadline=None)
@given(entry_specs, kinds, tie_rules, st.booleans(), st.randoms(use_true_random=False))
def test_ranking_is_a_deterministic_permutation_of_the_eligible_entries(
    specs: list[tuple[str, int, int, int, bool]],
    kind: str,
    tie: str,
    per_author: bool,
    rnd: random.Random,
) -> None:
    _, c = setup(kind, tie, per_author)
    es = build(specs)
    s = compute_standings(c, es, now=END)  # type: ignore[arg-type]
    keys = [r.key for r in standing(s, "cat").entries]
    eligible = {e.key for e in es if e.status == "active" and e.author.username != "orga"}
    dropped = {x.key for x in s.exclusions if x.category == "cat"}
    assert len(keys) == len(set(keys))
    assert set(keys) | dropped == eligible and not set(keys) & dropped
    if per_author:
        assert len({r.author_id for r in standing(s, "cat").entries}) == len(keys)
        best = {r.author_id for r in standing(s, "cat").entries}
        assert {e.author.id for e in es if e.key in eligible} == best
    shuffled = list(es)
    rnd.shuffle(shuffled)
    assert compute_standings(c, shuffled, now=END) == s  # type: ignore[arg-type]
    rows = standing(s, "cat").entries
    ranks = [r.rank for r in rows]
    assert ranks == sorted(ranks) and (not ranks or ranks[0] == 1)
    if tie != "shared":
        assert ranks == list(range(1, len(rows) + 1))
    counts = Counter(r.score for r in rows)
    for r in rows:
        assert (r.tie is not None) == (counts[r.score] > 1)


@settings(max_examples=150, deadline=None)
@given(entry_specs, kinds, tie_rules, st.data())
def test_raising_one_entrys_metric_never_lowers_its_rank(
    specs: list[tuple[str, int, int, int, bool]], kind: str, tie: str, data: st.DataObject
) -> None:
    _, c = setup(kind, tie, per_author=False)
    es = build(specs)
    s = compute_standings(c, es, now=END)  # type: ignore[arg-type]
    rows = standing(s, "cat").entries
    if not rows:
        return
    target = data.draw(st.sampled_from(rows))
    metric = data.draw(st.sampled_from(["likes", "replies"]))
    bump = data.draw(st.integers(1, 5))
    raised = []
    for e in es:
        if e.key == target.key:
            m = e.post.metrics
            new = Metrics(
                likes=m.likes + (bump if metric == "likes" else 0),
                replies=m.replies + (bump if metric == "replies" else 0),
            )
            e = replace(e, post=replace(e.post, metrics=new))
        raised.append(e)
    after = compute_standings(c, raised, now=END)  # type: ignore[arg-type]
    new_rank = next(r.rank for r in standing(after, "cat").entries if r.key == target.key)
    assert new_rank <= target.rank


def test_a_generated_crowd_every_entry_is_ranked_or_excluded_in_every_category() -> None:
    cats = (
        LIKES,
        Category("replies", "replies", replies_mode="distinct", audience="both"),
        Category(
            "reach", "weighted", weights=(("likes", 1.0), ("replies", 2.0)), audience="outside"
        ),
        Category("question", "jury", questions_only=True),
    )
    c = competition(*cats, eligibility=Eligibility(min_followers=3, one_prize_per_author=True))
    es = population(200)
    s = compute_standings(c, es, now=END, bot_username="contestbot")
    keys = {e.key for e in es}
    globally = {x.key for x in s.exclusions if x.category is None}
    for cs in s.categories:
        here = {r.key for r in cs.entries}
        out = {x.key for x in s.exclusions if x.category == cs.category.id}
        assert here | out | globally == keys
        assert not here & (out | globally)


@settings(max_examples=100, deadline=None)
@given(entry_specs, kinds, st.sampled_from([0, 1, 2, 5]))
def test_no_line_scores_under_the_minimum_and_every_one_under_it_is_explained(
    specs: list[tuple[str, int, int, int, bool]], kind: str, minimum: int
) -> None:
    _, c = setup(kind, "earliest", True, min_score=minimum)
    s = compute_standings(c, build(specs), now=END)  # type: ignore[arg-type]
    cs = standing(s, "cat")
    assert all(r.score >= minimum for r in cs.entries)
    below = [x for x in s.exclusions if x.category == "cat" and x.rule == "below-minimum"]
    assert len(below) == cs.below_minimum


# ------------------------------------------------------------------------------- repliers' rules


def test_repliers_pass_the_entrant_rules_by_default() -> None:
    """A reply from a two-day-old account, the bot, an organiser, an excluded account or the
    author does not count; nor does one after the end. Established outsiders do."""
    c = competition(
        Category("most-replied", "replies", replies_mode="distinct"),
        eligibility=Eligibility(min_account_age_days=30),
    )
    e = entry(
        "author",
        repliers=(
            "fan",
            reply("newbie", author_created=START - timedelta(days=2)),
            reply("ghost", author_created=None),
            "contestbot",
            "orga",
            "staffer",
            "author",
            reply("latecomer", at=END + timedelta(seconds=1)),
            reply("critic", author_created=OLD),
        ),
    )
    s = compute_standings(c, [e], now=END, bot_username="contestbot")
    assert ranked(s, "most-replied") == [("author", 1, 2.0)]  # fan and critic


def test_a_category_declares_its_own_replier_rules() -> None:
    from bot.core.models import ReplierRules

    lenient = Category(
        "most-replied", "replies", replies_mode="distinct", repliers=ReplierRules(0, 0)
    )
    strict = Category(
        "most-followed-replies",
        "replies",
        replies_mode="distinct",
        repliers=ReplierRules(min_account_age_days=0, min_followers=500),
    )
    c = competition(lenient, strict, eligibility=Eligibility(min_account_age_days=30))
    e = entry(
        "author",
        repliers=(
            reply("newbie", author_created=START - timedelta(days=2)),
            reply("star", followers=900),
        ),
    )
    s = compute_standings(c, [e], now=END)
    assert ranked(s, "most-replied") == [("author", 1, 2.0)]
    assert ranked(s, "most-followed-replies") == [("author", 1, 1.0)]


# -------------------------------------------------------------------------------- the bot itself


def test_a_command_to_the_bot_is_never_an_entry_and_the_bot_never_ranks() -> None:
    """With the bot among the tracked accounts, "@contestbot rank" mentions it; it is a request,
    not an entry, in every language the bot knows. The bot's own hashtag posts never rank."""
    c = competition(LIKES)
    asks = [
        entry("fan", likes=40, mentions=("contestbot",), tags=(), text="@contestbot rank"),
        entry("fr", likes=40, text="@contestbot classement #gemeinschaft"),
        entry("ru", likes=40, mentions=("contestbot",), tags=(), text="@ContestBot рейтинг?"),
    ]
    bot_post = entry("contestbot", likes=90, text="Leaderboard #gemeinschaft")
    real = entry("poster", likes=3, mentions=("contestbot",), tags=(), text="Thanks @contestbot!")
    s = compute_standings(c, [*asks, bot_post, real], now=END, bot_username="contestbot")
    assert ranked(s, "most-liked") == [("poster", 1, 3.0)]
    rules = {x.username: x.rule for x in s.exclusions if x.category is None}
    assert rules == {
        "fan": "bot-command",
        "fr": "bot-command",
        "ru": "bot-command",
        "contestbot": "bot-account",
    }
