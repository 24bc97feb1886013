"""The post analysis (`bot.core.campaign`): pure functions of stored values, each figure with its
method. Hand-built entries and snapshots, so every expected number is computed here by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.analysis import OwnPost
from bot.core.campaign import (
    CampaignInput,
    EntrySeries,
    Summary,
    analyse,
    counted_reading,
    previous_competition,
    reported_competitions,
    summarise,
)
from bot.core.models import (
    Account,
    Category,
    Competition,
    Entry,
    Exclusion,
    Metrics,
    Post,
    Standings,
)

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
END = START + timedelta(days=2)
PARIS = ZoneInfo("Europe/Paris")


def comp(**kw: object) -> Competition:
    base: dict[str, object] = {
        "id": "spring",
        "title": "Spring",
        "hashtags": ("Spring", "IGF"),
        "start": START,
        "end": END,
        "categories": (Category(id="most-liked", kind="likes"),),
        "organisers": ("orga",),
        "community": ("member",),
        "accounts": ("contestbot", "partnerorg"),
        "timezone": "Europe/Paris",
    }
    base.update(kw)
    return Competition(**base)  # type: ignore[arg-type]


def series(
    key: str,
    author: str,
    at: datetime,
    snaps: list[tuple[datetime, int, int]],
    *,
    tags: tuple[str, ...] = ("spring",),
    mentions: tuple[str, ...] = (),
    lang: str | None = "en",
    followers: int = 10,
) -> EntrySeries:
    tweet = Post(
        id=key,
        text=f"post {key}",
        author_id=f"id-{author}",
        created_at=at,
        edit_history_ids=(key,),
        lang=lang,
        hashtags=tags,
        mentions=mentions,
    )
    user = Account(id=f"id-{author}", username=author, name=author, followers=followers)
    readings = tuple((t, Metrics(likes=likes, replies=replies)) for t, likes, replies in snaps)
    return EntrySeries(Entry(tweet, user), readings)


def standings(*excluded: str) -> Standings:
    return Standings(
        "spring",
        END,
        (),
        tuple(Exclusion(k, k, "x", "organiser", "an organiser", None) for k in excluded),
    )


H = timedelta(hours=1)


def sample() -> list[EntrySeries]:
    return [
        # 08:30 UTC = 09:30 Paris, day 1
        series("1", "alice", START + 0.5 * H, [(START + H, 3, 1), (END, 10, 2)]),
        # 08:45 UTC = 09:45 Paris, day 1
        series(
            "2",
            "bob",
            START + 0.75 * H,
            [(START + H, 1, 0), (END, 4, 0)],
            tags=("igf", "spring"),
            mentions=("partnerorg",),
            lang="fr",
        ),
        # day 2, 10:00 UTC = 11:00 Paris
        series("3", "member", START + 26 * H, [(END, 6, 3)], tags=("IGF",)),
        # alice again
        series("4", "alice", START + 27 * H, [(END, 0, 0)]),
        # excluded competition-wide (organiser): never counted
        series("5", "orga", START + 2 * H, [(END, 100, 100)]),
    ]


def run(**kw: object) -> CampaignInput:
    base: dict[str, object] = {
        "competition": comp(),
        "zone": PARIS,
        "zone_label": "Europe/Paris",
        "now": END + H,
        "series": sample(),
        "standings": standings("5"),
        "final_at": END,
        "partners": ("partnerorg",),
    }
    base.update(kw)
    return CampaignInput(**base)  # type: ignore[arg-type]


def test_entries_exclude_competition_wide_exclusions_and_count_per_day_and_hour_in_the_zone() -> (
    None
):
    a = analyse(run())
    assert a.figure("entries").value == 4
    per_day = dict(a.table("entries_per_day").rows)
    assert per_day == {"2026-11-02": 2, "2026-11-03": 2, "2026-11-04": 0}
    per_hour = dict(a.table("entries_per_hour").rows)
    assert per_hour["09"] == 2 and per_hour["11"] == 1 and per_hour["12"] == 1
    assert sum(per_hour.values()) == 4 and len(per_hour) == 24
    assert a.figure("peak_hours").value == "09:00–09:59"
    assert "Europe/Paris" in a.figure("peak_hours").method
    assert a.figure("busiest_day").value == "2026-11-02"


def test_engagement_uses_the_final_snapshot_and_the_growth_ends_on_the_totals() -> None:
    a = analyse(run())
    # final readings: alice 10+2, bob 4, member 6+3, alice 0
    assert a.figure("total_engagement").value == 25
    assert a.figure("total_likes").value == 20
    assert a.figure("total_replies").value == 5
    growth = a.table("growth")
    assert growth.rows[-1][1:] == (4, 20, 5, 0, 0)
    assert growth.rows[0][1:] == (0, 0, 0, 0, 0)
    # one hour in: alice and bob's first readings
    at_hour = {row[0]: row for row in growth.rows}["2026-11-02T09:00:00Z"]
    assert at_hour[1:4] == (2, 4, 1)


def test_a_reading_after_the_final_snapshot_is_not_counted_but_a_late_entry_first_reading_is() -> (
    None
):
    late_likes = series("1", "alice", START, [(END - H, 3, 0), (END, 5, 0), (END + H, 50, 0)])
    assert counted_reading(late_likes, END) == (END, Metrics(likes=5))
    found_late = series("9", "zed", START, [(END + 2 * H, 7, 0)])
    assert counted_reading(found_late, END) == (END + 2 * H, Metrics(likes=7))
    running = series("1", "alice", START, [(START + H, 3, 0), (START + 2 * H, 4, 0)])
    assert counted_reading(running, None)[1].likes == 4


def test_participants_new_vs_returning_and_community_vs_outside_share() -> None:
    a = analyse(run(earlier_authors=frozenset({"id-alice"}), earlier_competitions=("winter",)))
    assert a.figure("unique_authors").value == 3
    assert a.figure("posts_per_author").value == round(4 / 3, 2)
    assert a.figure("posts_per_author_median").value == 1
    assert a.figure("returning_authors").value == 1
    assert a.figure("new_authors").value == 2
    assert "winter" in a.figure("returning_authors").method
    assert a.figure("outside_authors").value == 2
    assert a.figure("community_authors").value == 1
    # outside: alice 12 + bob 4 = 16 of 25
    assert a.figure("outside_engagement_share").value == 64.0
    rows = {r[0]: r for r in a.table("audience").rows}
    assert rows["outside"] == ("outside", 2, 3, 16, 64.0)
    assert rows["community"] == ("community", 1, 1, 9, 36.0)
    ret = {r[0]: r for r in a.table("new_vs_returning").rows}
    assert ret["returning"] == ("returning", 1, 2) and ret["new"] == ("new", 2, 2)


def test_reach_is_marked_an_estimate() -> None:
    a = analyse(run())
    reach = a.figure("reach_estimate")
    assert reach.estimate and reach.value == 30 and "ESTIMATE" in reach.method
    assert [f.key for f in a.figures if f.estimate] == ["reach_estimate"]


def test_every_figure_and_table_says_how_it_is_computed() -> None:
    a = analyse(run())
    assert all(len(f.method) > 20 for f in a.figures)
    assert all(len(t.method) > 20 for t in a.tables)


def test_top_contributors_posts_languages_hashtags_and_partners() -> None:
    a = analyse(run())
    top = a.table("top_contributors").rows
    assert top[0] == ("alice", "outside", 2, 12)
    posts = a.table("top_posts").rows
    assert [p[0] for p in posts] == ["1", "3", "2", "4"]
    langs = {r[0]: r for r in a.table("languages").rows}
    assert langs["en"] == ("en", 3, 75.0) and langs["fr"] == ("fr", 1, 25.0)
    tags = {r[0]: r for r in a.table("hashtags").rows}
    assert tags["#Spring"] == ("#Spring", 3, 75.0, 16)
    assert tags["#IGF"] == ("#IGF", 2, 50.0, 13)  # case-insensitive
    partners = a.table("partners").rows
    assert partners == (("@partnerorg", 1, 25.0, 4),)


def test_no_partner_table_without_partners_and_empty_competitions_have_no_values() -> None:
    a = analyse(run(partners=(), series=[], standings=standings()))
    assert "partners" not in [t.key for t in a.tables]
    assert a.figure("entries").value == 0
    assert a.figure("peak_hours").value is None
    assert a.figure("outside_engagement_share").value is None
    assert a.figure("posts_per_author").value is None


def test_own_posts_engagement_per_owner_over_time() -> None:
    t0 = START
    own = [
        OwnPost(
            "b1",
            "b1",
            "bot",
            "contestbot",
            t0,
            "reminder",
            kind="reminder",
            snapshots=((t0 + H, Metrics(likes=1)), (t0 + 2 * H, Metrics(likes=3, reposts=1))),
        ),
        OwnPost(
            "o1",
            "o1",
            "organiser",
            "orga",
            t0,
            "join us",
            snapshots=((t0 + 2 * H, Metrics(likes=5, replies=2)),),
        ),
    ]
    a = analyse(run(own_posts=own))
    assert a.figure("bot_posts").value == 1 and a.figure("organiser_posts").value == 1
    assert a.figure("own_engagement").value == 4 + 7
    over = a.table("own_engagement_over_time").rows
    assert over == (("2026-11-02T09:00:00Z", 1, 0), ("2026-11-02T10:00:00Z", 4, 7))


def test_change_against_the_previous_competition() -> None:
    prev = Summary(
        "winter",
        "Winter",
        entries=2,
        authors=2,
        engagement=50,
        outside_authors=1,
        outside_engagement=10,
    )
    a = analyse(run(previous=prev))
    assert a.figure("previous_competition").value == "winter"
    rows = {r[0]: r for r in a.table("change").rows}
    assert rows["entries"] == ("entries", 4, 2, 100.0)
    assert rows["engagement"] == ("engagement", 25, 50, -50.0)
    assert rows["outside share of engagement %"] == (
        "outside share of engagement %",
        64.0,
        20.0,
        220.0,
    )
    none = analyse(run())
    assert none.figure("previous_competition").value is None
    assert "change" not in [t.key for t in none.tables]


def test_previous_competition_shares_an_organiser_and_ended_before_the_start() -> None:
    me = comp()
    a = comp(id="a", start=START - 30 * H, end=START - 20 * H, organisers=("ORGA",))
    b = comp(id="b", start=START - 60 * H, end=START - 50 * H, organisers=("orga",))
    other = comp(id="c", start=START - 10 * H, end=START - 5 * H, organisers=("someone",))
    overlapping = comp(id="d", start=START - 10 * H, end=START + H, organisers=("orga",))
    assert previous_competition(me, [me, a, b, other, overlapping]) == a
    assert previous_competition(comp(organisers=()), [a, b]) is None


def test_summary_matches_the_analysis() -> None:
    s = summarise(comp(), sample(), standings("5"), END)
    assert (s.entries, s.authors, s.engagement, s.outside_authors, s.outside_engagement) == (
        4,
        3,
        25,
        2,
        16,
    )


def test_reported_competitions_from_start_to_analysis_days_after_the_end() -> None:
    c = comp()
    assert reported_competitions([c], START - H, analysis_days=7) == ()
    assert reported_competitions([c], START, analysis_days=7) == ("spring",)
    assert reported_competitions([c], END + timedelta(days=6), analysis_days=7) == ("spring",)
    assert reported_competitions([c], END + timedelta(days=7), analysis_days=7) == ()
    assert reported_competitions([c], END, analysis_days=0) == ()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 47 * 60),  # created, minutes after the start
            st.lists(st.tuples(st.integers(0, 60 * 60), st.integers(0, 50)), max_size=4),
        ),
        max_size=12,
    )
)
def test_the_growth_always_ends_on_the_totals(
    posts: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """Whatever the snapshots (before, at or after the final one, or none), the last growth
    point is the counted totals (a property)."""
    rows = []
    for i, (created, readings) in enumerate(posts):
        at = START + timedelta(minutes=created)
        snaps = sorted({at + timedelta(minutes=m): n for m, n in readings}.items())
        rows.append(series(str(i), f"u{i % 4}", at, [(t, n, 0) for t, n in snaps]))
    a = analyse(run(series=rows, standings=standings(), final_at=END, now=END + 100 * H))
    last = a.table("growth").rows[-1]
    assert last[0] == "2026-11-04T08:00:00Z"
    assert last[2] == a.figure("total_likes").value
    assert last[1] == len(rows) == a.figure("entries").value
