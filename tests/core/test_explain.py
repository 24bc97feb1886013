"""explain: why an entry ranks where it does, or every rule that keeps it out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.explain import explain, parse_post_ref
from bot.core.models import Category, Eligibility
from bot.core.scoring import compute_standings
from tests.core.rulesdata import END, START, competition, entry, population


@pytest.mark.parametrize(
    "ref",
    [
        "1850000000000000001",
        "https://x.com/alice/status/1850000000000000001",
        "https://twitter.com/Alice_1/status/1850000000000000001?s=20",
        "http://mobile.twitter.com/alice/statuses/1850000000000000001/",
        "x.com/i/web/status/1850000000000000001",
        "https://www.x.com/alice/status/1850000000000000001/photo/1",
    ],
)
def test_tweet_references_accept_ids_and_post_urls(ref: str) -> None:
    assert parse_post_ref(ref) == "1850000000000000001"


def test_a_reference_that_is_neither_id_nor_url_names_the_fix() -> None:
    with pytest.raises(ValueError, match="neither a tweet id nor a post URL"):
        parse_post_ref("https://example.com/alice/status/1")
    with pytest.raises(ValueError, match="neither a tweet id nor a post URL"):
        parse_post_ref("١٢٣")  # Arabic-Indic digits are digits to str.isdigit, not an id


@pytest.mark.parametrize(
    "ref",
    [
        "99999999999999999999999",  # 23 digits
        "9223372036854775808",  # 19 digits, one past the largest signed 64-bit id
        "0",
        "https://x.com/alice/status/12345678901234567890",
    ],
)
def test_an_id_that_is_no_snowflake_is_refused(ref: str) -> None:
    with pytest.raises(ValueError, match="is not a tweet id: X ids are whole numbers from 1 to"):
        parse_post_ref(ref)
    assert parse_post_ref("9223372036854775807") == "9223372036854775807"
    assert parse_post_ref("1") == "1"


def test_a_tie_within_one_second_names_the_key_order_that_decided_it() -> None:
    c = competition(Category("most-liked", "likes"))
    same = START + timedelta(minutes=30)
    es = [entry("b", likes=5, at=same, tweet_id="1850000000000000002")]
    es.append(entry("a", likes=5, at=same, tweet_id="1850000000000000001"))
    s = compute_standings(c, es, now=END)
    assert [r.username for r in s.categories[0].entries] == ["a", "b"]
    text = "\n".join(explain(c, es, s, "1850000000000000002").lines)
    assert "@a (1850000000000000001) posted in the same second" in text
    assert "so the lower entry key ranks first (this one's is 1850000000000000002)" in text


def test_an_authors_other_entry_says_what_put_the_best_one_first() -> None:
    c = competition(Category("most-liked", "likes"))
    first = entry("a", likes=7, minutes=10)
    tied = entry("a", likes=7, minutes=20)
    lower = entry("a", likes=2, minutes=30)
    s = compute_standings(c, [first, tied, lower], now=END)
    reasons = {x.key: x.reason for x in s.exclusions}
    assert reasons[tied.key] == (
        f"@a's entry {first.post.id} ties with it (7) and was posted earlier; one entry per author"
    )
    assert reasons[lower.key] == (
        f"@a's entry {first.post.id} scores higher here (7 against 2); one entry per author"
    )


def test_an_excluded_entry_lists_every_failed_rule_with_values() -> None:
    c = competition(eligibility=Eligibility(min_followers=10))
    early = entry("orga", at=START - timedelta(seconds=2), followers=4)
    s = compute_standings(c, [early, entry("alice", likes=3)], now=END)
    ex = explain(c, [early], s, early.url)
    assert ex.found and not ex.eligible
    assert ex.lines[1] == "excluded from every category (3 rules failed):"
    assert ex.lines[2:] == (
        "  outside-window: created 2026-11-01T09:59:58Z, before the start 2026-11-01T10:00:00Z",
        "  organiser: @orga is an organiser",
        "  too-few-followers: @orga has 4 followers; at least 10 required",
    )


def test_a_ranked_entry_names_its_score_neighbours_and_the_tie_rule() -> None:
    c = competition(Category("most-liked", "likes", title="Most liked"))
    es = [entry("a", likes=9), entry("b", likes=5, minutes=10), entry("c", likes=5, minutes=20)]
    es.append(entry("d", likes=1))
    s = compute_standings(c, es, now=END)
    ex = explain(c, es, s, es[2].post.id)
    assert ex.ranks == (("most-liked", 3),)
    text = "\n".join(ex.lines)
    assert "Most liked (most-liked): rank 3 of 4 with 5 likes" in text
    assert f"above: @b {es[1].post.id} (rank 2, 5)" in text
    assert f"below: @d {es[3].post.id} (rank 4, 1)" in text
    assert "tie rule 'earliest': the earlier post ranks first" in text
    assert "a winner" not in text and "winning place" not in text
    live = "\n".join(explain(c, es, s, es[0].key).lines)
    assert "currently in a winning place (live)" in live and "a winner" not in live
    frozen = "\n".join(explain(c, es, s, es[0].key, frozen=True).lines)
    assert "a winner of this category" in frozen


def test_an_edited_entry_is_found_by_any_id_of_its_edit_history() -> None:
    c = competition()
    edited = entry("a", likes=4, key="1850000000000000001")
    s = compute_standings(c, [edited], now=END)
    by_old = explain(c, [edited], s, "1850000000000000001")
    by_new = explain(c, [edited], s, f"https://x.com/a/status/{edited.post.id}")
    assert by_old.lines == by_new.lines and by_old.key == "1850000000000000001"
    assert "edited: entry key 1850000000000000001" in by_old.lines[0]


def test_a_category_exclusion_is_explained_per_category() -> None:
    c = competition(Category("most-liked", "likes"), Category("reach", "likes", audience="outside"))
    member = entry("member1", likes=3)
    s = compute_standings(c, [member], now=END)
    lines = explain(c, [member], s, member.key).lines
    assert "most-liked: rank 1 of 1 with 3 likes" in lines
    assert any(x.startswith("reach: not ranked: community-author") for x in lines)


def test_an_unknown_tweet_says_it_was_not_collected() -> None:
    c = competition()
    s = compute_standings(c, [], now=END)
    ex = explain(c, [], s, "123")
    assert not ex.found and "was not collected" in ex.lines[0]


def test_explain_answers_for_every_entry_of_a_generated_competition() -> None:
    c = competition(
        Category("most-liked", "likes"),
        Category("replies", "replies", replies_mode="distinct", audience="both"),
        Category("question", "jury", questions_only=True),
        tie_rule="shared",
        eligibility=Eligibility(min_followers=3, one_prize_per_author=True, languages=("en",)),
    )
    es = population(200, seed=2)
    s = compute_standings(c, es, now=END, bot_username="contestbot")
    for e in es:
        ex = explain(c, es, s, e.url)
        assert ex.found and ex.key == e.key
        ranked_in = {cs.category.id for cs in s.categories for r in cs.entries if r.key == e.key}
        assert {cid for cid, _ in ex.ranks} == ranked_in
        if ex.eligible:
            # one line (or more) per category: ranked or not, and why
            for cs in s.categories:
                assert any(line.startswith(cs.category.id) for line in ex.lines), ex.lines
        else:
            assert all(x.rule for x in ex.exclusions) and len(ex.lines) >= 3
