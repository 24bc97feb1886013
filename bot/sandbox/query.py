"""The sandbox's search query language: parses an X API v2 search query (CONTRACT.md §2 "Query
syntax") into a small tree and decides whether a tweet matches it. Supports keywords (tokenised,
case- and accent-insensitive), "exact phrases", #hashtags, @mentions, juxtaposition as AND,
upper-case OR (AND binds tighter), parentheses, negation, is:retweet|reply|quote,
has:hashtags|mentions|links, from:, to:, lang:, conversation_id:. Everything else is refused
with a `QueryError` naming the operator, so an unsupported query is a 400, never a silent
match-all. `Query.index_clauses` tells a caller which index terms (`IndexTerm`: keyword tokens as
`words_of` splits them, hashtags, mentions, authors, conversations) every match must carry, so a
search can read postings instead of every tweet; it is conservative (None whenever a term cannot
be found through an index: negations, to:, lang:, CJK or emoji substrings) and `matches` stays
the final filter. Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

_PREFIX = "There were errors processing your request: "
_OPERATORS_DOC = (
    "https://developer.twitter.com/en/docs/twitter-api/tweets/search/integrate/build-a-query"
)
# Real X operators the sandbox does not evaluate: refused, but not called "invalid".
_NOT_EMULATED_NAMES = """
url retweets_of in_reply_to_tweet_id quotes_of_tweet_id retweets_of_tweet_id list place
place_country point_radius bounding_box entity context min_likes min_replies min_reposts source
sample is:verified is:nullcast has:cashtags has:media has:images has:video_link has:geo $cashtag
"""
_NOT_EMULATED = frozenset(_NOT_EMULATED_NAMES.split())
_VALUE_OPERATORS = frozenset({"from", "to", "lang", "conversation_id", "is", "has"})
_IS_VALUES = frozenset({"retweet", "reply", "quote"})
_HAS_VALUES = frozenset({"hashtags", "mentions", "links"})
_OPERATOR_WORD = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_WORD = re.compile(r"\w+")

IndexTerm = tuple[str, str]
"""A term a `World` indexes, as (kind, key): ("word", a token of `words_of`), ("hashtag", a
`hashtag_key`), ("mention", a lower-case username), ("from", a lower-case username),
("author_id", a user id), ("conversation_id", a tweet id)."""
Clause = frozenset[IndexTerm]
"""Index terms of which every match carries AT LEAST ONE."""
Cost = Callable[[IndexTerm], int]
"""An estimate of how many tweets carry a term (a `World` answers its posting list's length)."""


class QueryError(Exception):
    """A query X would reject with a 400; `message` is the API's text, `operator` the culprit."""

    def __init__(self, message: str, operator: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operator = operator


class Searchable(Protocol):
    """What a tweet must expose to be searched (the sandbox's tweet record provides it)."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...  # full text, note_tweet included
    @property
    def hashtags(self) -> Sequence[str]: ...  # without '#'
    @property
    def mentions(self) -> Sequence[str]: ...  # usernames without '@'
    @property
    def author_username(self) -> str: ...
    @property
    def author_id(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def is_retweet(self) -> bool: ...
    @property
    def is_reply(self) -> bool: ...
    @property
    def is_quote(self) -> bool: ...
    @property
    def conversation_id(self) -> str: ...
    @property
    def in_reply_to_username(self) -> str | None: ...
    @property
    def has_links(self) -> bool: ...


def fold(text: str) -> str:
    """Case- and accent-insensitive form used for keywords and phrases ("Café" -> "cafe")."""
    if text.isascii():  # NFKD, NFC and the marks leave ASCII as it is; casefold is lower there
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


def words_of(text: str) -> tuple[str, ...]:
    """The tokens keywords and phrases match against: `\\w+` runs of the folded text. A `World`
    indexes a tweet's words with this very function, so the index and the matcher agree."""
    return tuple(_WORD.findall(fold(text)))


def hashtag_key(tag: str) -> str:
    """How hashtags compare: without '#', NFC, lower-case. Index hashtags with this."""
    return unicodedata.normalize("NFC", tag.removeprefix("#").removeprefix("＃")).lower()


def _unspaced(text: str) -> bool:
    # Scripts written without spaces (CJK, kana, Thai...) cannot be matched token by token.
    return any(ord(ch) >= 0x0E00 and ch.isalnum() for ch in text)


class _Tweet:
    """Per-match cache of the folded text and its tokens, computed only if a keyword asks."""

    def __init__(self, tweet: Searchable) -> None:
        self.tweet = tweet

    @cached_property
    def folded(self) -> str:
        return fold(self.tweet.text)

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        return tuple(_WORD.findall(self.folded))  # == words_of(text), the folding done once


# --- the tree -------------------------------------------------------------------------------------


def _one(term: IndexTerm) -> int:
    return 1


def _clause_cost(clause: Clause, cost: Cost) -> int:
    return sum(cost(term) for term in clause)


@dataclass(frozen=True)
class _Node(ABC):
    # Conjunction-required operators (is:, has:, lang:) and negations do not anchor a query.
    anchors: bool

    @abstractmethod
    def evaluate(self, tweet: _Tweet) -> bool: ...

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        """Clauses every match satisfies, read as a conjunction (each clause: the tweet carries at
        least one of its terms); () when nothing an index holds is guaranteed. CONSERVATIVE: a
        clause a match could fail would hide that match from search, so when in doubt, ()."""
        return ()


@dataclass(frozen=True)
class _Text(_Node):
    """A keyword or "exact phrase": a run of consecutive tokens (or a substring for CJK/emoji)."""

    tokens: tuple[str, ...]
    substring: str | None

    def evaluate(self, tweet: _Tweet) -> bool:
        if self.substring is not None:
            return self.substring in tweet.folded
        have, want = tweet.tokens, self.tokens
        return any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1))

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        # A substring (CJK, emoji, punctuation alone) can sit inside a longer token or between
        # tokens: no word index finds it. A run of tokens needs every one of them, each a
        # `words_of` token of the tweet (the same folding and \w+ split the index used).
        if self.substring is not None or not self.tokens:
            return ()
        return tuple(frozenset({("word", word)}) for word in dict.fromkeys(self.tokens))


@dataclass(frozen=True)
class _Hashtag(_Node):
    key: str

    def evaluate(self, tweet: _Tweet) -> bool:
        return any(hashtag_key(tag) == self.key for tag in tweet.tweet.hashtags)

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        return (frozenset({("hashtag", self.key)}),)


@dataclass(frozen=True)
class _Mention(_Node):
    name: str  # lower-case, without '@'

    def evaluate(self, tweet: _Tweet) -> bool:
        return any(m.lower() == self.name for m in tweet.tweet.mentions)

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        return (frozenset({("mention", self.name)}),)


@dataclass(frozen=True)
class _From(_Node):
    handle: str  # lower-case, without '@'
    value: str  # as written: it may be the author's id

    def evaluate(self, tweet: _Tweet) -> bool:
        t = tweet.tweet
        return t.author_username.lower() == self.handle or t.author_id == self.value

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        return (frozenset({("from", self.handle), ("author_id", self.value)}),)


@dataclass(frozen=True)
class _Conversation(_Node):
    conversation_id: str

    def evaluate(self, tweet: _Tweet) -> bool:
        return tweet.tweet.conversation_id == self.conversation_id

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        return (frozenset({("conversation_id", self.conversation_id)}),)


@dataclass(frozen=True)
class _Test(_Node):
    """An operator reduced to a predicate on the tweet (to:, lang:, is:reply...): not indexed."""

    test: Callable[[Searchable], bool]

    def evaluate(self, tweet: _Tweet) -> bool:
        return self.test(tweet.tweet)


@dataclass(frozen=True)
class _Not(_Node):
    child: _Node

    def evaluate(self, tweet: _Tweet) -> bool:
        return not self.child.evaluate(tweet)


@dataclass(frozen=True)
class _And(_Node):
    children: tuple[_Node, ...]

    def evaluate(self, tweet: _Tweet) -> bool:
        return all(child.evaluate(tweet) for child in self.children)

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        # A match satisfies every child, hence every child's clauses.
        found: dict[Clause, None] = {}
        for child in self.children:
            found.update(dict.fromkeys(child.clauses(cost)))
        return tuple(found)


@dataclass(frozen=True)
class _Or(_Node):
    children: tuple[_Node, ...]

    def evaluate(self, tweet: _Tweet) -> bool:
        return any(child.evaluate(tweet) for child in self.children)

    def clauses(self, cost: Cost) -> tuple[Clause, ...]:
        # A match satisfies some child, hence that child's cheapest clause: one clause, the union
        # of every child's cheapest. One unindexable child and nothing is guaranteed.
        union: set[IndexTerm] = set()
        for child in self.children:
            options = child.clauses(cost)
            if not options:
                return ()
            cheapest: Clause = min(options, key=lambda clause: _clause_cost(clause, cost))
            union |= cheapest
        return (frozenset(union),)


_NEVER = 1 << 62  # the cost that keeps a term out of a choice while another is possible


@dataclass(frozen=True)
class Query:
    """A parsed search query. `matches(tweet)` evaluates it on any `Searchable`."""

    source: str
    root: _Node

    def matches(self, tweet: Searchable) -> bool:
        return self.root.evaluate(_Tweet(tweet))

    def index_clauses(self, cost: Cost | None = None) -> list[Clause] | None:
        """Clauses (see `Clause`) that every match satisfies ALL of, cheapest first by `cost`
        (default: fewest terms), or None when the query guarantees no index term (a negation,
        to:, lang:, a CJK or emoji substring...). A superset of the matches is the intersection,
        over the clauses, of the union of each clause's postings; `matches` stays the filter."""
        weigh = cost or _one
        found = self.root.clauses(weigh)
        if not found:
            return None
        return sorted(found, key=lambda clause: _clause_cost(clause, weigh))

    def index_terms(self, cost: Cost | None = None) -> Clause | None:
        """The cheapest single clause: index terms such that every match carries AT LEAST ONE of
        them, or None when there is no such guarantee. Scanning the union of those terms'
        postings instead of every tweet then loses no match."""
        clauses = self.index_clauses(cost)
        return clauses[0] if clauses else None

    def required_hashtags(self) -> frozenset[str] | None:
        """`index_terms` restricted to hashtags: hashtag keys (see `hashtag_key`) such that every
        match carries at least one of them, or None."""
        terms = self.index_terms(lambda term: 1 if term[0] == "hashtag" else _NEVER)
        if terms is None or any(kind != "hashtag" for kind, _ in terms):
            return None
        return frozenset(key for _, key in terms)


# --- parsing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "OR" "term" "phrase"
    text: str
    position: int  # 1-based, as X reports it
    negated: bool = False


def _error(detail: str, position: int, operator: str | None = None) -> QueryError:
    return QueryError(f"{_PREFIX}{detail} (at position {position})", operator)


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(_Token(ch, ch, i + 1))
            i += 1
            continue
        start, negated = i, False
        if ch == "-":
            negated, i = True, i + 1
            if i >= len(query) or query[i].isspace():
                raise _error("A negation '-' must be followed by a term", start + 1)
            if query[i] in "()":
                raise _error("Negating a group is not supported; negate each term", start + 1)
        if query[i] == '"':
            close = query.find('"', i + 1)
            if close < 0:
                raise _error("Missing closing quote for the phrase", start + 1)
            tokens.append(_Token("phrase", query[i + 1 : close], start + 1, negated))
            i = close + 1
            continue
        end = i
        while end < len(query) and not query[end].isspace() and query[end] not in '()"':
            end += 1
        word = query[i:end]
        kind = "OR" if word == "OR" and not negated else "term"
        tokens.append(_Token(kind, word, start + 1, negated))
        i = end
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _tokenize(query)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> _Node:
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise _error("Unbalanced parenthesis: no group to close", extra.position)
        return node

    def parse_or(self) -> _Node:
        branches = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.index += 1
            branches.append(self.parse_and(after_or=token))
        if len(branches) == 1:
            return branches[0]
        return _Or(all(b.anchors for b in branches), tuple(branches))

    def parse_and(self, after_or: _Token | None = None) -> _Node:
        terms: list[_Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            self.index += 1
            if token.kind == "(":
                inner = self.parse_or()
                close = self.peek()
                if close is None or close.kind != ")":
                    raise _error("Missing closing parenthesis for this group", token.position)
                self.index += 1
                terms.append(inner)
            else:
                terms.append(_term(token))
        if not terms:
            token = self.peek()
            if after_or is not None:
                raise _error("OR must be followed by a term", after_or.position)
            if token is not None and token.kind == "OR":
                raise _error("OR must come between two terms", token.position)
            position = token.position if token is not None else 1
            raise _error("Empty query or empty group", position)
        if len(terms) == 1:
            return terms[0]
        return _And(any(t.anchors for t in terms), tuple(terms))


def _text_node(text: str, position: int) -> _Node:
    folded = fold(text)
    words = tuple(_WORD.findall(folded))
    if not folded.strip():
        raise _error("Empty phrase", position)
    substring = folded.strip() if not words or _unspaced(folded) else None
    return _Text(True, words, substring)


def _term(token: _Token) -> _Node:
    node = _positive_term(token)
    if token.negated:
        return _Not(False, node)
    return node


def _positive_term(token: _Token) -> _Node:
    word, position = token.text, token.position
    if token.kind == "phrase":
        return _text_node(word, position)
    if word[0] in "#＃" and len(word) > 1:
        return _Hashtag(True, hashtag_key(word))
    if word[0] in "@＠" and len(word) > 1:
        return _Mention(True, word[1:].lower())
    if word[0] == "$" and len(word) > 1 and not word[1].isdigit():
        raise _not_emulated("$cashtag", position)
    operator = _OPERATOR_WORD.fullmatch(word)
    if operator is None:
        return _text_node(word, position)
    name, value = operator[1].lower(), operator[2]
    if name not in _VALUE_OPERATORS:
        if name in _NOT_EMULATED:
            raise _not_emulated(name, position)
        raise _invalid_operator(name, position)
    if not value:
        raise _error(f"The operator '{name}:' needs a value", position, operator=name)
    return _valued_operator(name, value, position)


def _invalid_operator(name: str, position: int) -> QueryError:
    return _error(
        f"Reference to invalid operator '{name}'. Operator is not available in current product "
        "or product packaging. Please refer to complete available operator list at "
        f"{_OPERATORS_DOC}.",
        position,
        operator=name,
    )


def _not_emulated(name: str, position: int) -> QueryError:
    return _error(
        f"The operator '{name}' is valid on X but not emulated by the contestbot sandbox; "
        "remove it or extend bot/sandbox/query.py",
        position,
        operator=name,
    )


def _valued_operator(name: str, value: str, position: int) -> _Node:
    lowered = value.lower()
    if name in ("is", "has"):
        known = _IS_VALUES if name == "is" else _HAS_VALUES
        if lowered not in known:
            if f"{name}:{lowered}" in _NOT_EMULATED:
                raise _not_emulated(f"{name}:{lowered}", position)
            raise _invalid_operator(f"{name}:{value}", position)
        return _Test(False, _FLAG_TESTS[f"{name}:{lowered}"])
    if name == "lang":
        return _Test(False, lambda t: (t.lang or "").lower() == lowered)
    if name == "conversation_id":
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            raise _error(
                f"Invalid value '{value}' for conversation_id: it must be a tweet id (digits)",
                position,
                operator=name,
            )
        return _Conversation(True, value)
    handle = lowered.removeprefix("@")
    if name == "from":
        return _From(True, handle, value)
    return _Test(True, lambda t: (t.in_reply_to_username or "").lower() == handle)


_FLAG_TESTS: dict[str, Callable[[Searchable], bool]] = {
    "is:retweet": lambda t: t.is_retweet,
    "is:reply": lambda t: t.is_reply,
    "is:quote": lambda t: t.is_quote,
    "has:hashtags": lambda t: bool(t.hashtags),
    "has:mentions": lambda t: bool(t.mentions),
    "has:links": lambda t: t.has_links,
}


def _first_conjunction_operator(query: str) -> tuple[str, int] | None:
    for token in _tokenize(query):
        match = _OPERATOR_WORD.fullmatch(token.text) if token.kind == "term" else None
        if match is not None and match[1].lower() in ("is", "has", "lang"):
            return token.text.lstrip("-"), token.position
    return None


def parse_query(query: str) -> Query:
    """Parse an X search query; raise `QueryError` for anything X (or the sandbox) refuses."""
    if not query.strip():
        raise QueryError(f"{_PREFIX}The query is empty", None)
    root = _Parser(query).parse()
    if not root.anchors:
        # Every alternative needs a positive standalone term (keyword, #tag, @user, from: ...).
        culprit = _first_conjunction_operator(query)
        if culprit is not None:
            name, position = culprit
            raise _error(
                f"Operator '{name}' is only available in conjunction with other operators: "
                "add a keyword, #hashtag, @mention, from:, to: or conversation_id:",
                position,
                operator=name,
            )
        raise _error("Rules must contain a non-negation term", 1)
    return Query(query, root)
