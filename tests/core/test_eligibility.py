"""Eligibility: one story per rule, each exclusion with its stable code and a reason with values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.eligibility import (
    CATEGORY_RULES,
    RULES,
    entry_exclusions,
    facts_of,
    is_question,
    normalise_tag,
    organiser_ids,
)
from bot.core.models import Competition, Eligibility, Entry
from tests.core.rulesdata import END, START, competition, entry


def rules_failed(c: Competition, e: Entry, **kw: object) -> list[str]:
    facts = facts_of(c, e, org_ids=organiser_ids(c, [e]))
    return [x.rule for x in entry_exclusions(c, facts, **kw)]  # type: ignore[arg-type]


def reasons(c: Competition, e: Entry, **kw: object) -> list[str]:
    facts = facts_of(c, e)
    return [x.reason for x in entry_exclusions(c, facts, **kw)]  # type: ignore[arg-type]


def test_a_plain_entry_in_the_window_with_the_hashtag_is_eligible() -> None:
    assert rules_failed(competition(), entry("alice", likes=3)) == []


def test_the_window_is_start_inclusive_end_exclusive_and_the_reason_names_both_times() -> None:
    c = competition()
    assert rules_failed(c, entry("a", at=START)) == []
    assert rules_failed(c, entry("a", at=END - timedelta(seconds=1))) == []
    assert rules_failed(c, entry("a", at=END)) == ["outside-window"]
    early = entry("a", at=START - timedelta(seconds=2))
    assert reasons(c, early) == [
        "created 2026-11-01T09:59:58Z, before the start 2026-11-01T10:00:00Z"
    ]
    assert "at or after the end 2026-11-08T10:00:00Z" in reasons(c, entry("a", at=END))[0]


@pytest.mark.parametrize(
    "tag",
    ["Gemeinschaft", "GEMEINSCHAFT", "ＧＥＭＥＩＮＳＣＨＡＦＴ", "#gemeinschaft", "gemeinschaft"],
)
def test_tracked_hashtags_match_case_insensitively_after_nfkc(tag: str) -> None:
    assert rules_failed(competition(), entry("a", tags=(tag,))) == []


def test_unicode_hashtags_compare_by_nfkc_and_casefold() -> None:
    c = competition(hashtags=("Straße", "café"))
    assert normalise_tag("STRASSE") == normalise_tag("Straße")
    assert rules_failed(c, entry("a", tags=("STRASSE",))) == []
    # "café" written with a combining accent is the same tag after NFKC
    assert rules_failed(c, entry("a", tags=("cafe\u0301",))) == []
    assert rules_failed(c, entry("a", tags=("cafe",))) == ["no-tracked-tag"]


def test_a_mention_of_a_tracked_account_counts_instead_of_a_hashtag() -> None:
    c = competition()
    assert rules_failed(c, entry("a", tags=(), mentions=("ContestBot",))) == []
    failed = entry("a", tags=("other",), mentions=("someone",))
    assert rules_failed(c, failed) == ["no-tracked-tag"]
    assert "found: #other, @someone" in reasons(c, failed)[0]


def test_retweets_never_count_even_when_replies_and_quotes_are_allowed() -> None:
    c = competition(eligibility=Eligibility(allow_replies=True, allow_quotes=True))
    assert rules_failed(c, entry("a", refs=(("reposted", "9"),))) == ["retweet"]


def test_replies_and_quotes_follow_the_declared_switches() -> None:
    reply = entry("a", refs=(("replied_to", "9"),))
    quote = entry("a", refs=(("quoted", "9"),))
    strict = competition(eligibility=Eligibility(allow_replies=False, allow_quotes=False))
    lenient = competition(eligibility=Eligibility(allow_replies=True, allow_quotes=True))
    assert rules_failed(strict, reply) == ["reply-not-allowed"]
    assert rules_failed(strict, quote) == ["quote-not-allowed"]
    assert rules_failed(lenient, reply) == []
    assert rules_failed(lenient, quote) == []


def test_excluded_accounts_organisers_and_the_bot_are_out_case_insensitively() -> None:
    c = competition()
    assert rules_failed(c, entry("Staffer")) == ["excluded-account"]
    assert rules_failed(c, entry("ORGA")) == ["organiser"]
    assert rules_failed(c, entry("ContestBot"), bot_username="@contestbot") == ["bot-account"]
    assert rules_failed(c, entry("contestbot")) == []  # no bot name given: an ordinary author


def test_minimum_account_age_is_measured_against_the_start() -> None:
    c = competition(eligibility=Eligibility(min_account_age_days=30))
    assert rules_failed(c, entry("a", author_created=START - timedelta(days=30))) == []
    young = entry("a", author_created=START - timedelta(days=2))
    assert rules_failed(c, young) == ["account-too-new"]
    assert "2.0 days before the start; at least 30 required" in reasons(c, young)[0]
    assert rules_failed(c, entry("a", author_created=None)) == ["account-too-new"]


def test_minimum_followers() -> None:
    c = competition(eligibility=Eligibility(min_followers=10))
    assert rules_failed(c, entry("a", followers=10)) == []
    assert rules_failed(c, entry("a", followers=9)) == ["too-few-followers"]
    assert reasons(c, entry("a", followers=9)) == ["@a has 9 followers; at least 10 required"]


def test_languages_when_declared_and_undetermined_posts_pass() -> None:
    c = competition(eligibility=Eligibility(languages=("de", "EN")))
    assert rules_failed(c, entry("a", lang="en")) == []
    assert rules_failed(c, entry("a", lang="und")) == []
    assert rules_failed(c, entry("a", lang=None)) == []
    assert rules_failed(c, entry("a", lang="fr")) == ["language"]
    assert rules_failed(competition(), entry("a", lang="fr")) == []


def test_deleted_and_protected_entries_are_out() -> None:
    c = competition()
    assert rules_failed(c, entry("a", status="deleted")) == ["deleted"]
    assert rules_failed(c, entry("a", status="protected")) == ["protected"]
    assert rules_failed(c, entry("a", protected=True)) == ["protected"]


def test_manual_disqualification_carries_the_reason_and_requalification_lifts_it() -> None:
    c = competition()
    e = entry("a")
    dq = {e.key: "bought likes"}
    assert rules_failed(c, e, disqualified=dq) == ["disqualified"]
    assert reasons(c, e, disqualified=dq) == ["disqualified by the organisers: bought likes"]
    assert rules_failed(c, e, disqualified=dq, requalified={e.key}) == []


def test_requalification_lifts_judgement_rules_but_never_facts() -> None:
    c = competition(eligibility=Eligibility(min_followers=10, languages=("en",)))
    e = entry("orga", followers=1, lang="fr", at=END)
    assert rules_failed(c, e) == ["outside-window", "organiser", "too-few-followers", "language"]
    assert rules_failed(c, e, requalified={e.key}) == ["outside-window", "organiser"]


def test_every_failed_rule_is_reported_in_declared_order() -> None:
    c = competition(eligibility=Eligibility(min_followers=5))
    e = entry(
        "staffer",
        at=START - timedelta(days=1),
        tags=(),
        refs=(("reposted", "1"),),
        followers=0,
        status="deleted",
    )
    assert rules_failed(c, e) == [
        "outside-window",
        "no-tracked-tag",
        "retweet",
        "excluded-account",
        "too-few-followers",
        "deleted",
    ]
    assert set(rules_failed(c, e)) <= set(RULES)
    assert not set(RULES) & set(CATEGORY_RULES)


@pytest.mark.parametrize(
    "text",
    [
        "Wer kommt morgen mit #gemeinschaft",
        "What should we build next #gemeinschaft",
        "هل ستأتي غدا؟",
        "明天来吗？",
        "¿Vienes mañana",
        "@orga how do I join",
        "ok?",
    ],
)
def test_questions_in_many_languages(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text", ["Great day #gemeinschaft", "Was für ein Tag!", "Come join us", "Que bonito"]
)
def test_statements_are_not_questions(text: str) -> None:
    assert not is_question(text)


def test_a_reply_to_an_organiser_is_recognised_by_user_id_or_leading_mention() -> None:
    c = competition()
    org_post = entry("orga", user_id="42")
    by_id = entry("a", refs=(("replied_to", org_post.key),), reply_to_user="42")
    by_mention = entry("b", refs=(("replied_to", "7"),), mentions=("Orga",))
    to_other = entry("c", refs=(("replied_to", "7"),), reply_to_user="99", mentions=("x", "orga"))
    ids = organiser_ids(c, [org_post, by_id, by_mention, to_other])
    assert ids == {"42"}
    assert facts_of(c, by_id, org_ids=ids).reply_to_organiser
    assert facts_of(c, by_mention, org_ids=ids).reply_to_organiser
    assert not facts_of(c, to_other, org_ids=ids).reply_to_organiser
    assert not facts_of(c, org_post, org_ids=ids).reply_to_organiser
