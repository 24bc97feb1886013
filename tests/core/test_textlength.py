"""twitter-text v3 weighted length: every conformance case in tests/data/x-api, URL extraction
cases from twitter-text's conformance/extract.yml, and properties of the counter."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import textlength
from bot.core.textlength import (
    CONFIG_V2,
    CONFIG_V3,
    MAX_WEIGHTED_LENGTH,
    ParseResult,
    TextConfig,
    find_emoji,
    find_urls,
    is_valid_tweet,
    parse_tweet,
    weighted_length,
)

CONFORMANCE_FILE = Path(__file__).resolve().parents[1] / "data/x-api/twitter-text-validate.yml"

# Which config each section is run with (the file's header, after rb/test/conformance_test.rb).
SECTION_CONFIGS: dict[str, TextConfig] = {
    "WeightedTweetsCounterTest": CONFIG_V2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": CONFIG_V3,
    "UnicodeDirectionalMarkerCounterTest": CONFIG_V3,
}


def _conformance_cases() -> list[Any]:
    if not CONFORMANCE_FILE.is_file():
        # Collection must fail, not skip: the data ships with the tests.
        raise FileNotFoundError(
            f"twitter-text conformance data not found at {CONFORMANCE_FILE}; "
            "restore tests/data/ from the repository"
        )
    data = yaml.safe_load(CONFORMANCE_FILE.read_text(encoding="utf-8"))
    cases = []
    for section, entries in data["tests"].items():
        if section not in SECTION_CONFIGS:
            raise ValueError(f"{CONFORMANCE_FILE}: unknown section {section!r}, add its config")
        for number, entry in enumerate(entries):
            cases.append(
                pytest.param(
                    section,
                    entry["text"],
                    entry["expected"],
                    id=f"{section}-{number}-{entry['description'][:50]}",
                )
            )
    return cases


CONFORMANCE_CASES = _conformance_cases()


def test_the_conformance_file_has_every_case() -> None:
    assert len(CONFORMANCE_CASES) == 44


@pytest.mark.parametrize(("section", "text", "expected"), CONFORMANCE_CASES)
def test_conformance(section: str, text: str, expected: dict[str, Any]) -> None:
    result = parse_tweet(text, SECTION_CONFIGS[section])
    assert {
        "weightedLength": result.weighted_length,
        "valid": result.valid,
        "permillage": result.permillage,
        "displayRangeStart": result.display_range_start,
        "displayRangeEnd": result.display_range_end,
        "validRangeStart": result.valid_range_start,
        "validRangeEnd": result.valid_range_end,
    } == expected


# (text, the URLs twitter-text extracts) from twitter-text 3.1.0 conformance/extract.yml.
EXTRACT_CASES: list[tuple[str, list[str]]] = [
    ("http://example.com", ["http://example.com"]),
    ("http://ああ.com", ["http://ああ.com"]),
    ("text http://google.com/#foo", ["http://google.com/#foo"]),
    ("text http://somehost.com:3000", ["http://somehost.com:3000"]),
    ("text http://xo.com/~matthew+%ff-,.;x", ["http://xo.com/~matthew+%ff-,.;x"]),
    (
        "text http://en.wikipedia.org/wiki/Primer_(film)",
        ["http://en.wikipedia.org/wiki/Primer_(film)"],
    ),
    ("test http://example.comだよね.comtest/hogehoge", ["http://example.com"]),
    ("text http://no-tld", []),
    ("text http://tld-too-short.x", []),
    ("(http://twitter.com", ["http://twitter.com"]),
    ("text http://domain.com-that-you-should-have-put-a-space-after", []),
    ("text http://foo.com?#foo text", ["http://foo.com?#foo"]),
    (
        "foo.com foo.net foo.org foo.edu foo.gov",
        ["foo.com", "foo.net", "foo.org", "foo.edu", "foo.gov"],
    ),
    (
        "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.somecom "
        "foo.govedu foo.jp",
        ["foo.co.jp", "www.foo.co.uk", "foo.jp"],
    ),
    ("t.co/abcde bit.ly/abcde", ["t.co/abcde", "bit.ly/abcde"]),
    (
        "Go to http://example.com/a+ or http://example.com/a-",
        ["http://example.com/a+", "http://example.com/a-"],
    ),
    ("@user Try http:// example.com/path", ["example.com/path"]),
    (
        "これは日本語です。example.com/path/index.html中国語example.com/path한국",
        ["example.com/path/index.html", "example.com/path"],
    ),
    (
        "twitter.jp日本語it.so中国語foo.jp it.so foo.jp",
        ["twitter.jp", "it.so", "foo.jp", "it.so", "foo.jp"],
    ),
    ("Hello http://xn--はじめよう.com/index.html", []),
    ("Email me at name.al-lastname@foo.com or name.al+lastname@foo.com", []),
    ("MLB.tv vine.co twitch.tv t.co", ["MLB.tv", "vine.co", "twitch.tv", "t.co"]),
    ("test http://twitter_underscore.com", []),
    ("test http://sub_domain-dash.twitter.com", ["http://sub_domain-dash.twitter.com"]),
    ("test http://-twitter.com", []),
    ("test ELPAÍS.com", ["ELPAÍS.com"]),
    ("test http://twitter.com/.", ["http://twitter.com/"]),
    ("Test a ton of periods http://example.com/path.........", ["http://example.com/path"]),
    ("#test.com @test.com #http://test.com @http://test.com #t.co/abcde @t.co/abcde", []),
    ("I really like http://t.co/pbY2NfTZ's website", ["http://t.co/pbY2NfTZ"]),
    ("According to http://t.co/ulYGBYSo: the internet is cool", ["http://t.co/ulYGBYSo"]),
    ("I really like http://t.co/abcdefghijklmnopqrstuvwxyz012345678901234", []),
    ("example.comてすとですtwitter.みんなです", ["example.com", "twitter.みんな"]),
    ("$http://twitter.com $twitter.com $http://t.co/abcde $t.co/abcde $t.co $TVI.CA $RBS.CA", []),
    ("long.test.tar.bz2 test.tar.bz2 tar.bz2", []),
    ("john.doe.gov@mail.com", []),
    (
        "test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ ",
        ["http://foobar.みんな/", "http://foobar.中国/", "http://foobar.پاکستان/"],
    ),
    (
        "\u2066\u202atest abcdef.com پاکستان http://twitter.com/\u202c\u2069",
        ["abcdef.com", "http://twitter.com/"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACT_CASES)
def test_find_urls_matches_twitter_text_extraction(text: str, expected: list[str]) -> None:
    assert [text[start:end] for start, end in find_urls(text)] == expected


def test_find_urls_reports_python_indices_end_exclusive() -> None:
    text = "皆さん見てください！ http://google.com and 😷 igf.events/2026"
    assert find_urls(text) == [(11, 28), (35, 50)]


def test_a_protocol_less_domain_counts_23() -> None:
    assert weighted_length("see example.com") == 4 + 23
    assert weighted_length("see example.invalidtld") == len("see example.invalidtld")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🏳️‍🌈", 2),  # flag + VS16 + ZWJ + rainbow
        ("🧑🏽‍🦰", 2),  # newer than twemoji-parser 2019: still one grapheme here
        ("🇫🇷🇧🇷", 4),  # two flags
        ("#️⃣", 2),  # keycap with VS16
        ("©", 1),  # text copyright sign is Latin-1
        ("©️", 2),  # emoji presentation
        ("☺︎", 4),  # text presentation selector: not an emoji, two weight-2 code points
        ("👋🏿", 2),
        ("é", 1),  # decomposed e + acute is NFC'd to one code point
    ],
)
def test_emoji_graphemes_and_normalisation(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_find_emoji_spans() -> None:
    assert find_emoji("a👨‍👩‍👧b🇫🇷") == [(1, 6), (7, 9)]


def test_limits_and_validity() -> None:
    assert MAX_WEIGHTED_LENGTH == 280
    assert is_valid_tweet("x" * 280)
    assert not is_valid_tweet("x" * 281)
    assert not is_valid_tweet("")
    assert not is_valid_tweet("ok\ufeff")
    assert is_valid_tweet("中" * 140)
    assert not is_valid_tweet("中" * 141)


def test_empty_text() -> None:
    assert parse_tweet("") == ParseResult(0, False, 0, 0, 0, 0, 0)


# --- properties -----------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.lists(
    st.sampled_from(
        ["a", " ", ".", "com", "http://", "/", "é", "e\u0301", "中", "😷", "\u200d", "🏽", "x.co"]
    ),
    max_size=40,
).map("".join)
NO_DOTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=150).filter(
    lambda text: "." not in text
)


@given(TEXT)
def test_length_is_never_negative_and_ranges_are_consistent(text: str) -> None:
    result = parse_tweet(text)
    assert result.weighted_length >= 0
    assert result.display_range_start == result.valid_range_start == 0
    assert result.valid == (
        0 < result.weighted_length <= 280 and not any(ch in text for ch in "\ufffe\ufeff\uffff")
    )


@given(TEXT)
def test_nfc_invariance(text: str) -> None:
    assert weighted_length(unicodedata.normalize("NFC", text)) == weighted_length(text)
    assert weighted_length(unicodedata.normalize("NFD", text)) == weighted_length(text)


@given(NO_DOTS)
def test_without_dots_no_url_forms_and_each_code_point_costs_one_or_two(text: str) -> None:
    normalized = unicodedata.normalize("NFC", text)
    assert find_urls(text) == []
    assert weighted_length(text) <= 2 * len(normalized)


@given(NO_DOTS, NO_DOTS)
def test_concatenation_is_additive_across_a_space(left: str, right: str) -> None:
    assert weighted_length(left + " " + right) == weighted_length(left) + 1 + weighted_length(right)


@given(
    st.lists(st.sampled_from(["https://igf.events/2026", "example.com", "t.co/abc"]), max_size=8)
)
def test_each_url_costs_23(urls: list[str]) -> None:
    assert weighted_length(" ".join(urls)) == 23 * len(urls) + max(len(urls) - 1, 0)


# --- the linear extractor finds exactly what the reference regex finds --------------------------

# twitter-text's extractUrlsWithIndices as one regex (the form the module used before it scanned
# in linear time). It is the oracle: quadratic on long dotted runs, so only short texts here.
_REFERENCE_URL = re.compile(
    f"(?P<before>{textlength._PRECEDING})"
    f"(?P<url>(?P<protocol>https?://)?(?P<domain>{textlength._DOMAIN})(?::[0-9]+)?"
    f"(?P<path>/{textlength._PATH}*)?(?:\\?{textlength._QUERY_CHAR}*{textlength._QUERY_ENDING})?)",
    re.IGNORECASE,
)
_REFERENCE_ASCII_DOMAIN = re.compile(
    f"(?:[\\-a-z0-9{textlength._LATIN_ACCENTS}]+\\.)+{textlength._TLD}", re.IGNORECASE
)

URLISH = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "x",
            "0",
            ".",
            ".",
            "-",
            "_",
            "/",
            ":",
            "8",
            "(",
            ")",
            "?",
            "=",
            "&",
            "@",
            "#",
            "!",
            " ",
            "é",
            "日",
            "。",
            "\u212a",
            "\u202a",
            "com",
            "co",
            "uk",
            "org",
            "https://",
            "http://",
            "HTTP://",
            "xn--",
            "t.co/",
            "www.",
            "\ufeff",
            "$",
        ]
    ),
    max_size=40,
).map("".join)


def _reference_matches(text: str) -> list[tuple[str, int, int, str, str, bool]]:
    return [
        (
            m["before"],
            m.start("url"),
            m.end("url"),
            m["protocol"] or "",
            m["domain"],
            bool(m["path"]),
        )
        for m in _REFERENCE_URL.finditer(text)
    ]


def _scanned_matches(text: str) -> list[tuple[str, int, int, str, str, bool]]:
    return [
        (m.before, m.start, m.end, m.protocol, m.domain, m.has_path)
        for m in textlength._url_matches(text)
    ]


@settings(max_examples=3000)
@given(URLISH)
def test_the_scanner_finds_what_the_reference_regex_finds(text: str) -> None:
    assert _scanned_matches(text) == _reference_matches(text)
    if "." in text:
        domain_like = text.replace(" ", "")
        expected = [m.span() for m in _REFERENCE_ASCII_DOMAIN.finditer(domain_like)]
        assert textlength._ascii_domains(domain_like) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a." * 300 + "-x.com",
        "a-" * 300 + ".com",
        "a.com_" * 100,
        "x.com." + "a." * 300 + "-",
        "https://" + "a." * 300 + "com/" + "a!" * 100,
        "a." * 200 + "日本." + "a." * 100 + "com",
        "xn--" + "a." * 300 + "-",
    ],
    ids=["dots-then-dash", "dashes", "underscored", "tail-of-labels", "path", "non-ascii", "xn"],
)
def test_the_scanner_agrees_on_long_adversarial_runs(text: str) -> None:
    assert _scanned_matches(text) == _reference_matches(text)


def _walked(text: str, config: TextConfig) -> ParseResult:
    """parseTweet as the reference walks it, one code point, URL or emoji at a time."""
    normalized = unicodedata.normalize("NFC", text)
    urls = dict(find_urls(normalized))
    emoji = dict(find_emoji(normalized)) if config.emoji_parsing_enabled else {}
    limit = config.max_weighted_length * config.scale
    total, valid, valid_end, position, index = 0, True, 0, 0, 0
    while index < len(normalized):
        if index in urls:
            end, total = urls[index], total + config.transformed_url_length * config.scale
        elif index in emoji:
            end, total = emoji[index], total + config.default_weight
        else:
            end = index + 1
            total += textlength._code_point_weight(ord(normalized[index]), config)
        position += sum(2 if ord(ch) > 0xFFFF else 1 for ch in normalized[index:end])
        valid = valid and normalized[end - 1] not in "\ufffe\ufeff\uffff"
        if valid and total <= limit:
            valid_end = position - 1
        index = end
    weighted = total // config.scale
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return ParseResult(
        weighted_length=weighted,
        valid=valid and 0 < weighted <= config.max_weighted_length,
        permillage=int(weighted / config.max_weighted_length * 1000),
        display_range_start=0,
        display_range_end=max(units - 1, 0),
        valid_range_start=0,
        valid_range_end=valid_end + (units - position),
    )


LONG_TEXT = st.lists(
    st.sampled_from(
        [
            *["a", " ", "中", "😷", "👨\u200d👩\u200d👧", "x.com", "https://t.co/abc", "\ufeff"],
            *["é", "\U0001d400", "word " * 20, "中" * 30],
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=500)
@given(LONG_TEXT | TEXT, st.sampled_from([CONFIG_V2, CONFIG_V3]))
def test_weighing_in_bulk_equals_the_reference_walk(text: str, config: TextConfig) -> None:
    assert parse_tweet(text, config) == _walked(text, config)
