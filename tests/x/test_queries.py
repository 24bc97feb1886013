"""Competition search queries: the shape X expects, splitting past the length limit, and (checked
with the sandbox's own query parser) that every query is valid and finds exactly its hashtags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.query import parse_query
from bot.x.queries import (
    MAX_QUERY_LENGTH,
    build_search_queries,
    conversation_queries,
    conversation_query,
    normalize_hashtag,
)


def test_one_hashtag() -> None:
    assert build_search_queries(["#IGFcontest"]) == ["#IGFcontest -is:retweet"]


def test_several_hashtags_are_or_combined_in_parentheses() -> None:
    assert build_search_queries(["#IGFcontest", "InternetGov"]) == [
        "(#IGFcontest OR #InternetGov) -is:retweet"
    ]


def test_options() -> None:
    assert build_search_queries(["a", "b"], exclude_retweets=False) == ["(#a OR #b)"]
    assert build_search_queries(["a"], extra=" lang:en ") == ["#a -is:retweet lang:en"]


def test_normalisation_and_case_insensitive_dedup() -> None:
    assert normalize_hashtag(" #Cafe\u0301 ") == "Café"
    assert normalize_hashtag("＃日本") == "日本"
    assert build_search_queries(["#IGF", "igf", "#Igf", "#Other"]) == [
        "(#IGF OR #Other) -is:retweet"
    ]


def test_split_only_past_the_limit() -> None:
    tags = [f"tag{i:03d}" for i in range(60)]  # 7 + 4 per tag: ~660 characters in one query
    queries = build_search_queries(tags)
    assert len(queries) == 2
    assert all(len(q) <= MAX_QUERY_LENGTH for q in queries)
    assert queries[0].startswith("(#tag000 OR #tag001")
    assert queries[1].endswith("#tag059) -is:retweet")
    assert len(build_search_queries(tags[:40])) == 1


@pytest.mark.parametrize("bad", ["", "#", "two words", "#123", "a-b", "#tag!"])
def test_invalid_hashtags_are_refused_with_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid X hashtag"):
        build_search_queries([bad])


def test_no_hashtags_or_a_hashtag_too_long_for_the_limit() -> None:
    with pytest.raises(ValueError, match="no hashtags"):
        build_search_queries([])
    with pytest.raises(ValueError, match=r"#x{30} alone makes a query of 43 characters"):
        build_search_queries(["ok", "x" * 30], max_length=40)


def test_conversation_query() -> None:
    assert conversation_query(["1234567890"]) == "conversation_id:1234567890 is:reply"
    with pytest.raises(ValueError, match="not a tweet id"):
        conversation_queries(["12a"])
    assert parse_query(conversation_query(["42"])).required_hashtags() is None


HASHTAGS = st.lists(
    st.text(
        alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Nd"], codec="utf-8"),
        min_size=1,
        max_size=25,
    ).filter(lambda tag: not tag.isdigit()),
    min_size=1,
    max_size=40,
)


@given(HASHTAGS, st.integers(min_value=60, max_value=600), st.booleans())
def test_every_hashtag_lands_in_exactly_one_query_under_the_limit(
    tags: list[str], max_length: int, exclude_retweets: bool
) -> None:
    distinct = {normalize_hashtag(tag).lower(): normalize_hashtag(tag) for tag in reversed(tags)}
    queries = build_search_queries(tags, max_length=max_length, exclude_retweets=exclude_retweets)
    assert all(len(query) <= max_length for query in queries)
    found: list[str] = []
    for query in queries:
        parsed = parse_query(query)  # valid in the sandbox's grammar
        required = parsed.required_hashtags()
        assert required is not None
        found.extend(required)
    assert sorted(found) == sorted({key.lower() for key in distinct.values()})
    assert len(found) == len(distinct)
