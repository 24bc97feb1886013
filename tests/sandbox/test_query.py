"""The sandbox's search query language: each operator, precedence, negation, the errors X gives
(with the operator named), the hashtag pre-filter, and that parsing never crashes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.query import Query, QueryError, Searchable, fold, hashtag_key, parse_query


@dataclass(frozen=True)
class Post:
    """A tweet as the sandbox's search sees it."""

    text: str = ""
    id: str = "100"
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    author_username: str = "alice"
    author_id: str = "1"
    lang: str | None = "en"
    is_retweet: bool = False
    is_reply: bool = False
    is_quote: bool = False
    conversation_id: str = "100"
    in_reply_to_username: str | None = None
    has_links: bool = False


def matches(query: str, post: Searchable) -> bool:
    return parse_query(query).matches(post)


CONTEST = Post(text="Loving the #IGFcontest session!", hashtags=("IGFcontest",))
RETWEET = Post(text="RT @bob: #IGFcontest", hashtags=("IGFcontest",), is_retweet=True)
OTHER = Post(text="Nothing to see here", hashtags=("Other",))


def test_hashtags_match_case_insensitively_on_entities_not_text() -> None:
    assert matches("#igfcontest", CONTEST)
    assert matches("#IGFCONTEST", CONTEST)
    assert not matches("#IGF", CONTEST)  # exact tag, not a prefix
    assert not matches("#session", CONTEST)  # in the text but not an entity


def test_keywords_are_tokenised_case_and_accent_insensitive() -> None:
    post = Post(text="Rendez-vous au Café, demain! #IGF")
    assert matches("cafe", post)
    assert matches("CAFÉ", post)
    assert matches("rendez-vous", post)  # a keyword with punctuation is a token run
    assert matches("igf", post)  # the hashtag's word is a token of the text
    assert not matches("caf", post)  # whole tokens only
    assert not matches("demain!x", post)


def test_unspaced_scripts_and_emoji_match_as_substrings() -> None:
    post = Post(text="我爱北京天安门 🎉")
    assert matches("北京", post)
    assert matches("🎉", post)
    assert not matches("上海", post)


def test_exact_phrase() -> None:
    post = Post(text="The Internet Governance Forum opens today")
    assert matches('"internet governance forum"', post)
    assert not matches('"governance internet"', post)
    assert matches('-"closed today" forum', post)


def test_mentions_from_to() -> None:
    reply = Post(
        text="@Bot rank please",
        mentions=("Bot",),
        author_username="Carol",
        author_id="42",
        is_reply=True,
        in_reply_to_username="Bot",
    )
    assert matches("@bot", reply)
    assert not matches("@carol", reply)
    assert matches("from:carol", reply)
    assert matches("from:42", reply)
    assert matches("from:@Carol", reply)
    assert matches("to:bot", reply)
    assert not matches("to:carol", reply)


def test_flags_and_has_operators() -> None:
    quote = Post(text="so true", is_quote=True, has_links=True, mentions=("x",), lang="fr")
    assert matches("true is:quote", quote)
    assert not matches("true is:reply", quote)
    assert matches("true has:links has:mentions -has:hashtags", quote)
    assert matches("true lang:fr", quote)
    assert matches("true lang:FR", quote)
    assert not matches("true lang:en", quote)
    assert matches("#IGFcontest -is:retweet", CONTEST)
    assert not matches("#IGFcontest -is:retweet", RETWEET)
    assert matches("#IGFcontest is:retweet", RETWEET)


def test_conversation_id() -> None:
    reply = Post(text="congrats", conversation_id="1234", is_reply=True)
    assert matches("conversation_id:1234 is:reply", reply)
    assert not matches("conversation_id:999 is:reply", reply)


def test_juxtaposition_is_and_and_binds_tighter_than_or() -> None:
    ipad = Post(text="my new ipad")
    iphone_ipad = Post(text="iphone and ipad")
    apple = Post(text="an apple a day")
    query = "apple OR iphone ipad"  # apple OR (iphone ipad)
    assert matches(query, apple)
    assert matches(query, iphone_ipad)
    assert not matches(query, ipad)
    assert matches("(apple OR iphone) ipad", iphone_ipad)
    assert not matches("(apple OR iphone) ipad", apple)


def test_lower_case_or_is_a_keyword() -> None:
    assert not matches("apple or pear", Post(text="apple"))
    assert matches("apple or pear", Post(text="apple or pear"))


def test_nested_groups_and_negation() -> None:
    query = "(#a OR (#b -is:retweet)) -@spam"
    assert matches(query, Post(hashtags=("a",)))
    assert matches(query, Post(hashtags=("b",)))
    assert not matches(query, Post(hashtags=("b",), is_retweet=True))
    assert not matches(query, Post(hashtags=("a",), mentions=("Spam",)))


@pytest.mark.parametrize(
    ("query", "operator", "position"),
    [
        ("#x min_faves:10", "min_faves", 4),
        ("#x min_retweets:3", "min_retweets", 4),
        ("#x foo:bar", "foo", 4),
        ("#x is:banana", "is:banana", 4),
        ("#x has:nothing", "has:nothing", 4),
    ],
)
def test_invalid_operators_are_named_like_x_does(query: str, operator: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.operator == operator
    assert caught.value.message == (
        "There were errors processing your request: Reference to invalid operator "
        f"'{operator}'. Operator is not available in current product or product packaging. "
        "Please refer to complete available operator list at https://developer.twitter.com/en/"
        "docs/twitter-api/tweets/search/integrate/build-a-query. (at position "
        f"{position})"
    )
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    ("query", "operator"),
    [
        ("#x url:example.com", "url"),
        ("#x place:paris", "place"),
        ("#x min_likes:5", "min_likes"),
        ("#x has:media", "has:media"),
        ("#x is:verified", "is:verified"),
        ("$TSLA", "$cashtag"),
    ],
)
def test_real_x_operators_the_sandbox_does_not_emulate_are_refused(
    query: str, operator: str
) -> None:
    with pytest.raises(QueryError, match="not emulated by the contestbot sandbox") as caught:
        parse_query(query)
    assert caught.value.operator == operator


@pytest.mark.parametrize(
    ("query", "operator"),
    [
        ("is:retweet", "is:retweet"),
        ("-is:retweet", "-is:retweet"),
        ("lang:en has:links", "lang:en"),
        ("has:hashtags OR is:reply", "has:hashtags"),
        ("(is:reply OR #a)", "is:reply"),
    ],
)
def test_conjunction_required_operators_alone_are_refused(query: str, operator: str) -> None:
    with pytest.raises(QueryError, match="only available in conjunction") as caught:
        parse_query(query)
    assert caught.value.operator == operator.lstrip("-")
    assert caught.value.message.startswith("There were errors processing your request: ")


@pytest.mark.parametrize(
    ("query", "fragment", "position"),
    [
        ("", "The query is empty", None),
        ("   ", "The query is empty", None),
        ("-#a", "non-negation term", 1),
        ("#a -(b OR c)", "Negating a group", 4),
        ("(#a OR #b", "Missing closing parenthesis", 1),
        ("#a)", "Unbalanced parenthesis", 3),
        ("#a ()", "Empty query or empty group", 5),
        ("#a OR", "OR must be followed by a term", 4),
        ("OR #a", "OR must come between two terms", 1),
        ('#a "open phrase', "Missing closing quote", 4),
        ('#a ""', "Empty phrase", 4),
        ("#a - b", "must be followed by a term", 4),
        ("#a from:", "needs a value", 4),
        ("conversation_id:abc", "must be a tweet id", 1),
    ],
)
def test_malformed_queries_are_refused(query: str, fragment: str, position: int | None) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert fragment in caught.value.message
    if position is not None:
        assert caught.value.message.endswith(f"(at position {position})")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("#IGFcontest -is:retweet", {"igfcontest"}),
        ("(#IGFcontest OR #InternetGov) -is:retweet", {"igfcontest", "internetgov"}),
        ("#a OR keyword", None),
        ("-#a keyword", None),
        ("conversation_id:5 is:reply", None),
    ],
)
def test_required_hashtags(query: str, expected: set[str] | None) -> None:
    tags = parse_query(query).required_hashtags()
    assert tags == (None if expected is None else frozenset(expected))


def test_required_hashtags_of_a_conjunction_is_either_tag() -> None:
    # A match carries both, so either one alone is a valid (and narrower) guarantee.
    assert parse_query("#a #b").required_hashtags() in (frozenset({"a"}), frozenset({"b"}))


def test_helpers() -> None:
    assert fold("Ça VA Été") == "ca va ete"
    assert hashtag_key("#IGFContest") == "igfcontest"
    assert hashtag_key("IGF") == "igf"


# --- properties -----------------------------------------------------------------------------------

QUERY_PIECES = st.sampled_from(
    [
        "#a",
        "#B",
        "@x",
        "kw",
        "Kw",
        "OR",
        "or",
        "(",
        ")",
        "-",
        '"',
        "is:reply",
        "-is:retweet",
        "lang:en",
        "has:links",
        "from:y",
        "to:x",
        "min_faves:1",
        "conversation_id:7",
        "é",
        "北京",
        " ",
    ]
)
QUERIES = st.text(max_size=40) | st.lists(QUERY_PIECES, max_size=12).map(" ".join)
POSTS = st.builds(
    Post,
    text=st.text(max_size=30),
    hashtags=st.lists(st.sampled_from(["a", "b", "A"]), max_size=2).map(tuple),
    mentions=st.lists(st.sampled_from(["x", "X", "z"]), max_size=2).map(tuple),
    is_retweet=st.booleans(),
    is_reply=st.booleans(),
)


@given(QUERIES, POSTS)
def test_parsing_never_crashes_and_a_query_always_evaluates(query: str, post: Post) -> None:
    try:
        parsed = parse_query(query)
    except QueryError as error:
        assert error.message.startswith("There were errors processing your request: ")
        return
    assert isinstance(parsed, Query)
    assert isinstance(parsed.matches(post), bool)


@given(QUERIES, POSTS)
def test_the_hashtag_prefilter_never_drops_a_match(query: str, post: Post) -> None:
    try:
        parsed = parse_query(query)
    except QueryError:
        return
    tags = parsed.required_hashtags()
    if tags is not None and parsed.matches(post):
        assert tags & {hashtag_key(tag) for tag in post.hashtags}


@given(st.lists(st.sampled_from(["#a", "kw", "@x", "from:y"]), min_size=1, max_size=5))
def test_or_of_terms_matches_when_any_term_does(terms: list[str]) -> None:
    post = Post(text="kw", hashtags=("a",))
    query = parse_query(" OR ".join(terms))
    assert query.matches(post) == any(parse_query(term).matches(post) for term in terms)
