"""split_thread: every post fits, the thread reassembles to the content, nothing is cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.textlength import find_urls, weighted_length
from bot.core.threads import UnsplittableError, split_thread, strip_numbering

WORDS = st.sampled_from(
    [
        "internet",
        "gouvernance",
        "clasificación",
        "рейтинг",
        "الحوكمة",
        "排名很高的作品",
        "🎉",
        "👩🏽‍💻",
        "@igf_bot",
        "#IGF2026",
        "#中文标签",
        "https://example.org/a/very/long/path/that/keeps/going?q=1",
        "example.com",
        "end.",
        "done!",
        "x" * 40,
        "\u2066@handle\u2069",
        "\u2066Sao Paulo 15:00\u2069",
    ]
)
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n"])


@st.composite
def contents(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=150))
    out = words[0]
    for w in words[1:]:
        sep = draw(SEPARATORS)
        out += sep + w
    return out


def squash(text: str) -> str:
    return "".join(text.split())


def protected_tokens(text: str) -> list[str]:
    tokens = [text[s:e] for s, e in find_urls(text)]
    tokens += re.findall(r"[@#]\w+", text)
    tokens += re.findall("\u2066[^\u2069]*\u2069", text)
    return tokens


@settings(max_examples=200, deadline=None)
@given(contents())
def test_every_post_fits_and_the_thread_reassembles(text: str) -> None:
    posts = split_thread(text)
    assert posts
    assert all(weighted_length(p) <= 280 for p in posts)
    bodies = [strip_numbering(p) for p in posts] if len(posts) > 1 else posts
    assert squash("".join(bodies)) == squash(text)
    if len(posts) > 1:
        assert [p.rsplit("\n", 1)[1] for p in posts] == [
            f"{i}/{len(posts)}" for i in range(1, len(posts) + 1)
        ]
    # No protected token (URL, @mention, #hashtag, isolate run) is split across posts.
    for token in protected_tokens(text):
        assert any(token in b for b in bodies), token
    # Words never split: every whitespace-separated word of a post is a word of the content.
    words = set(text.split())
    for b in bodies:
        for w in b.split():
            assert w in words or not w.isascii(), w


def test_a_text_that_fits_is_one_post_without_numbering() -> None:
    assert split_thread("Hello world") == ["Hello world"]


def test_paragraphs_are_preferred_over_lines_and_words() -> None:
    para1 = "First paragraph. " + "word " * 40
    para2 = "Second paragraph. " + "word " * 40
    posts = split_thread(para1.strip() + "\n\n" + para2.strip())
    assert len(posts) == 2
    assert posts[0].startswith("First paragraph.")
    assert posts[1].startswith("Second paragraph.")


def test_sentences_are_preferred_over_words() -> None:
    sentence = "This sentence has a number of words in it and ends here."
    text = " ".join([sentence] * 8)
    posts = split_thread(text)
    for p in posts:
        assert strip_numbering(p).endswith("here.")


def test_parts_boundaries_are_preferred() -> None:
    parts = ["A" * 100 + " end", "B" * 150 + " end", "C" * 100 + " end"]
    posts = split_thread(parts)
    bodies = [strip_numbering(p) for p in posts]
    assert bodies[0].startswith("A") and bodies[0].endswith("end")
    assert all(b.count("\n\n") <= 1 for b in bodies)


def test_url_is_never_split_and_counts_23() -> None:
    url = "https://example.org/" + "p" * 300
    text = "word " * 50 + url + " tail"
    posts = split_thread(text)
    assert any(url in p for p in posts)
    assert all(weighted_length(p) <= 280 for p in posts)


def test_a_single_overlong_word_is_an_error_not_a_cut() -> None:
    with pytest.raises(UnsplittableError) as info:
        split_thread("short " + "y" * 300 + " end")
    assert info.value.token == "y" * 300
    assert "shorten" in str(info.value)


def test_chinese_without_spaces_splits_between_ideographs() -> None:
    text = "参加互联网治理论坛的比赛" * 30
    posts = split_thread(text)
    assert len(posts) > 1
    assert all(weighted_length(p) <= 280 for p in posts)
    assert "".join(strip_numbering(p) for p in posts) == text


def test_numbering_width_grows_past_nine_posts() -> None:
    text = " ".join(f"w{i:03d}" * 10 for i in range(200))
    posts = split_thread(text)
    assert len(posts) >= 10
    assert posts[-1].endswith(f"\n{len(posts)}/{len(posts)}")
    assert all(weighted_length(p) <= 280 for p in posts)


def test_without_numbering() -> None:
    posts = split_thread("word " * 100, numbering=False)
    assert len(posts) > 1
    assert not any(re.search(r"\d+/\d+$", p) for p in posts)
