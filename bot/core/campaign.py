"""The post analysis of a campaign (issue 11): how a competition did, from stored values only.

Pure functions of values: the competition, its stored entries with every metric snapshot, its
standings (for the exclusions), the bot's and the organisers' own posts with their snapshots, the
authors of earlier competitions, and the previous competition of the same organisers. The result,
`Analysis`, is a list of `Figure`s (one number each) and `Table`s (rows, optionally drawn as a
chart). Each carries `method`: how it is computed, in words the report prints beside it. Nothing
is estimated silently: the one estimate (reach, from follower counts) says so in its `estimate`
flag and its label.

Conventions every figure shares (stated once in `ENTRY_METHOD` and `ENGAGEMENT_METHOD`):
- an *entry* is a stored candidate post that no competition-wide rule excluded (retweets, outside
  the window, organisers' and excluded accounts, deleted posts); an exclusion from one category
  only still counts as an entry;
- a post's *engagement* is likes + replies + reposts + quotes of the reading the scoring uses:
  once the final snapshot is taken (at the deadline), each post's reading in it (a post found
  later: its first reading after it), as the freeze does; before, its latest reading;
- hours and days are in the competition's time zone (`zone`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from statistics import median
from typing import Literal

from bot.core.analysis import OwnPost
from bot.core.audience import audience_of, normalise_handle
from bot.core.models import Competition, Entry, Metrics, Standings
from bot.core.timefmt import iso

Cell = str | int | float | None
ChartKind = Literal["bar", "line", "hbar"]

ENTRY_METHOD = (
    "stored candidate posts not excluded by a competition-wide rule (retweets, posts outside the "
    "window, organisers' and excluded accounts, deleted posts); a post excluded from one category "
    "only still counts"
)
ENGAGEMENT_METHOD = (
    "likes + replies + reposts + quotes of the reading the scoring uses: each post's reading in "
    "the final snapshot taken at the deadline (a post found later: its first reading), or its "
    "latest reading before the final snapshot"
)
MAX_GROWTH_POINTS = 240
GRID_STEPS = tuple(timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440))
TOP_N = 10


@dataclass(frozen=True)
class Figure:
    """One number of the analysis. `value` is None when it cannot be computed (no data); `unit`
    is "" or "%"; `estimate` marks a figure that is not a count (reach)."""

    key: str
    label: str
    value: int | float | str | None
    method: str
    unit: str = ""
    estimate: bool = False


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: `x` is the column on the axis, `y` the columns plotted."""

    kind: ChartKind
    x: str
    y: tuple[str, ...]
    x_label: str = ""
    y_label: str = ""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    method: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None

    def column(self, name: str) -> list[Cell]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Analysis:
    competition_id: str
    zone: str
    computed_at: datetime
    sections: tuple[Section, ...]

    def figure(self, key: str) -> Figure:
        for s in self.sections:
            for f in s.figures:
                if f.key == key:
                    return f
        raise KeyError(key)

    def table(self, key: str) -> Table:
        for s in self.sections:
            for t in s.tables:
                if t.key == key:
                    return t
        raise KeyError(key)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for s in self.sections for t in s.tables)

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(f for s in self.sections for f in s.figures)


@dataclass(frozen=True)
class EntrySeries:
    """A stored entry with every metric snapshot of its chain, oldest first."""

    entry: Entry
    snapshots: tuple[tuple[datetime, Metrics], ...] = ()


@dataclass(frozen=True)
class Summary:
    """The headline counts of one competition, compared across competitions."""

    competition_id: str
    title: str
    entries: int
    authors: int
    engagement: int
    outside_authors: int
    outside_engagement: int

    @property
    def outside_share(self) -> float | None:
        return None if not self.engagement else self.outside_engagement / self.engagement


@dataclass(frozen=True)
class CampaignInput:
    competition: Competition
    zone: tzinfo
    zone_label: str
    now: datetime
    series: Sequence[EntrySeries]
    standings: Standings
    own_posts: Sequence[OwnPost] = ()
    earlier_authors: frozenset[str] = frozenset()  # author ids of earlier competitions' entries
    earlier_competitions: tuple[str, ...] = ()
    previous: Summary | None = None
    final_at: datetime | None = None  # when the final snapshot was taken (None: not yet)
    bot_username: str | None = None
    partners: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------------------ building blocks


def engagement(m: Metrics) -> int:
    return m.likes + m.replies + m.reposts + m.quotes


def counted(series: Iterable[EntrySeries], standings: Standings) -> list[EntrySeries]:
    """The entries in the sense of `ENTRY_METHOD`: not excluded competition-wide."""
    out = {x.key for x in standings.exclusions if x.category is None}
    return [s for s in series if s.entry.key not in out]


def counted_reading(s: EntrySeries, final_at: datetime | None) -> tuple[datetime | None, Metrics]:
    """The reading `ENGAGEMENT_METHOD` uses and when it was taken: with a final snapshot, the
    earliest at or after it (what `bot.freezer.deadline_metrics` gives the freeze), else the
    latest; the entry's stored metrics when no snapshot is stored."""
    if not s.snapshots:
        return s.entry.metrics_at, s.entry.post.metrics
    if final_at is not None:
        after = next(((at, m) for at, m in s.snapshots if at >= final_at), None)
        if after is not None:
            return after
    return s.snapshots[-1]


def counted_metrics(s: EntrySeries, final_at: datetime | None) -> Metrics:
    return counted_reading(s, final_at)[1]


def summarise(
    competition: Competition,
    series: Sequence[EntrySeries],
    standings: Standings,
    final_at: datetime | None = None,
) -> Summary:
    rows = counted(series, standings)
    eng = {s.entry.key: engagement(counted_metrics(s, final_at)) for s in rows}
    outside = [s for s in rows if audience_of(competition, s.entry.author.username) == "outside"]
    return Summary(
        competition_id=competition.id,
        title=competition.title,
        entries=len(rows),
        authors=len({s.entry.author.id for s in rows}),
        engagement=sum(eng.values()),
        outside_authors=len({s.entry.author.id for s in outside}),
        outside_engagement=sum(eng[s.entry.key] for s in outside),
    )


def previous_competition(
    competition: Competition, others: Iterable[Competition]
) -> Competition | None:
    """The latest competition that ended before `competition` started and shares an organiser
    with it (handles compared normalised); None when there is none."""
    mine = {normalise_handle(h) for h in competition.organisers}
    if not mine:
        return None
    before = [
        c
        for c in others
        if c.id != competition.id
        and c.end <= competition.start
        and mine & {normalise_handle(h) for h in c.organisers}
    ]
    return max(before, key=lambda c: (c.end, c.id), default=None)


def _share(part: float, whole: float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


# ------------------------------------------------------------------------------------- sections


def analyse(data: CampaignInput) -> Analysis:
    c = data.competition
    rows = counted(data.series, data.standings)
    eng = {s.entry.key: counted_metrics(s, data.final_at) for s in rows}
    sections = (
        _activity(data, rows),
        _growth(data, rows, eng),
        _participants(data, rows, eng),
        _top(data, rows, eng),
        _mix(data, rows, eng),
        _own_posts(data),
        _change(data),
    )
    return Analysis(c.id, data.zone_label, data.now, sections)


def _activity(data: CampaignInput, rows: Sequence[EntrySeries]) -> Section:
    z = data.zone
    created = [s.entry.post.created_at.astimezone(z) for s in rows]
    per_hour = Counter(t.hour for t in created)
    per_day = Counter(t.date().isoformat() for t in created)
    days = _days(data.competition, z)
    for d in per_day:
        if d not in days:
            days.append(d)
    peak = max(per_hour.values(), default=0)
    peaks = sorted(h for h, n in per_hour.items() if n == peak and peak)
    where = f"creation time in {data.zone_label}"
    figures = (
        Figure("entries", "Entries", len(rows), ENTRY_METHOD),
        Figure(
            "peak_hours",
            "Peak hour(s) of the day",
            ", ".join(f"{h:02d}:00–{h:02d}:59" for h in peaks) if peaks else None,
            f"the hour(s) of the day with the most entries, by {where}",
        ),
        Figure(
            "busiest_day",
            "Busiest day",
            max(sorted(per_day), key=lambda d: per_day[d]) if per_day else None,
            f"the day with the most entries, by {where} (the earliest day on a tie)",
        ),
    )
    tables = (
        Table(
            "entries_per_day",
            "Entries per day",
            f"entries counted by the day of their {where}",
            ("day", "entries"),
            tuple((d, per_day.get(d, 0)) for d in sorted(days)),
            Chart("bar", "day", ("entries",), "day", "entries"),
        ),
        Table(
            "entries_per_hour",
            "Entries per hour of the day",
            f"entries counted by the hour of their {where}, all days together",
            ("hour", "entries"),
            tuple((f"{h:02d}", per_hour.get(h, 0)) for h in range(24)),
            Chart("bar", "hour", ("entries",), f"hour ({data.zone_label})", "entries"),
        ),
    )
    return Section("activity", "When people posted", figures, tables)


def _days(c: Competition, z: tzinfo) -> list[str]:
    first = c.start.astimezone(z).date()
    last = (c.end - timedelta(microseconds=1)).astimezone(z).date()
    if (last - first).days > 400:  # a misdeclared window: list only days with entries
        return []
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _growth(
    data: CampaignInput, rows: Sequence[EntrySeries], eng: Mapping[str, Metrics]
) -> Section:
    """Totals over time: at each point, every entry contributes its latest reading by then (0
    before its first), up to the final snapshot, where each contributes the reading the scoring
    uses; so the last point equals the totals above."""
    c = data.competition
    final = data.final_at
    until = min(data.now, final if final is not None else c.end)
    method = (
        "at each point in time, the sum over the entries of their latest reading by then (an "
        "entry not read yet counts 0), from the start to the final snapshot at the deadline "
        "(or now, while the competition runs); the last point is the reading the scoring uses"
    )
    points = _grid(c.start, until) if until > c.start else []
    events: list[tuple[datetime, int, Metrics]] = []
    for i, s in enumerate(rows):
        for at, m in s.snapshots:
            if final is None or at < final:
                events.append((at, i, m))
        if final is not None:
            read_at, m = counted_reading(s, final)
            events.append((min(read_at or until, until), i, m))
    events.sort(key=lambda e: (e[0], e[1]))
    current: dict[int, Metrics] = {}
    totals = [0, 0, 0, 0]
    created = sorted(s.entry.post.created_at for s in rows)
    out: list[tuple[Cell, ...]] = []
    j = k = 0
    for p in points:
        while j < len(events) and events[j][0] <= p:
            _, i, m = events[j]
            old = current.get(i)
            if old is not None:
                totals = [a - b for a, b in zip(totals, _vec(old), strict=True)]
            totals = [a + b for a, b in zip(totals, _vec(m), strict=True)]
            current[i] = m
            j += 1
        while k < len(created) and created[k] <= p:
            k += 1
        out.append((iso(p), k, *totals))
    figures = (
        Figure(
            "total_engagement",
            "Total engagement",
            sum(engagement(m) for m in eng.values()),
            f"the sum over the entries of {ENGAGEMENT_METHOD}",
        ),
        Figure(
            "total_likes",
            "Total likes",
            sum(m.likes for m in eng.values()),
            "likes of the reading each entry's engagement uses",
        ),
        Figure(
            "total_replies",
            "Total replies",
            sum(m.replies for m in eng.values()),
            "replies of the reading each entry's engagement uses (as X counts them)",
        ),
    )
    table = Table(
        "growth",
        "How the totals grew to the deadline",
        method,
        ("at", "entries", "likes", "replies", "reposts", "quotes"),
        tuple(out),
        Chart("line", "at", ("likes", "replies", "reposts", "quotes"), "time (UTC)", "total"),
    )
    return Section("growth", "Totals over time", figures, (table,))


def _vec(m: Metrics) -> list[int]:
    return [m.likes, m.replies, m.reposts, m.quotes]


def _grid(start: datetime, until: datetime) -> list[datetime]:
    """Evenly spaced points from `start` to `until` (both included), the finest of `GRID_STEPS`
    that keeps them at most `MAX_GROWTH_POINTS`."""
    span = until - start
    step = next((s for s in GRID_STEPS if span / s <= MAX_GROWTH_POINTS - 1), None)
    if step is None:
        step = GRID_STEPS[-1]
        while span / step > MAX_GROWTH_POINTS - 1:
            step *= 2
    points = []
    t = start
    while t < until:
        points.append(t)
        t += step
    points.append(until)
    return points


def _participants(
    data: CampaignInput, rows: Sequence[EntrySeries], eng: Mapping[str, Metrics]
) -> Section:
    c = data.competition
    per_author = Counter(s.entry.author.id for s in rows)
    authors = {s.entry.author.id: s.entry.author for s in rows}
    side = {a: audience_of(c, u.username) for a, u in authors.items()}
    counts = list(per_author.values())
    returning = {a for a in authors if a in data.earlier_authors}
    side_eng: Counter[str] = Counter()
    for s in rows:
        side_eng[side[s.entry.author.id]] += engagement(eng[s.entry.key])
    total_eng = sum(side_eng.values())
    sides = Counter(side.values())
    earlier = ", ".join(data.earlier_competitions) or "none"
    followers = sum(u.followers for u in authors.values())
    figures = (
        Figure(
            "unique_authors",
            "Unique authors",
            len(authors),
            f"distinct accounts among the entries ({ENTRY_METHOD})",
        ),
        Figure(
            "posts_per_author",
            "Entries per author (mean)",
            round(len(rows) / len(authors), 2) if authors else None,
            "entries divided by unique authors",
        ),
        Figure(
            "posts_per_author_median",
            "Entries per author (median)",
            median(counts) if counts else None,
            "the median of each author's number of entries",
        ),
        Figure(
            "new_authors",
            "New authors",
            len(authors) - len(returning),
            "authors with no entry in an earlier competition stored in this database "
            f"(earlier: {earlier})",
        ),
        Figure(
            "returning_authors",
            "Returning authors",
            len(returning),
            f"authors with an entry in an earlier competition stored here (earlier: {earlier})",
        ),
        Figure(
            "outside_authors",
            "Outside authors",
            sides.get("outside", 0),
            "authors who are neither organisers nor on the community list",
        ),
        Figure(
            "community_authors",
            "Community authors",
            sides.get("community", 0),
            "authors on the community list or among the organisers",
        ),
        Figure(
            "outside_engagement_share",
            "Outside authors' share of engagement",
            _share(side_eng.get("outside", 0), total_eng),
            "engagement of outside authors' entries / engagement of all entries "
            f"({ENGAGEMENT_METHOD})",
            unit="%",
        ),
        Figure(
            "reach_estimate",
            "Reach (estimate)",
            followers,
            "ESTIMATE, not a count of people reached: the sum of the entry authors' follower "
            "counts as X last reported them (followers overlap, and not every follower sees "
            "a post)",
            estimate=True,
        ),
    )
    audience = Table(
        "audience",
        "Community and outside",
        "authors, entries and engagement per side: community = the community list and the "
        f"organisers, outside = everybody else; engagement: {ENGAGEMENT_METHOD}",
        ("side", "authors", "entries", "engagement", "engagement_share_pct"),
        tuple(
            (
                name,
                sides.get(name, 0),
                sum(1 for s in rows if side[s.entry.author.id] == name),
                side_eng.get(name, 0),
                _share(side_eng.get(name, 0), total_eng),
            )
            for name in ("outside", "community")
        ),
        Chart("bar", "side", ("engagement",), "", "engagement"),
    )
    new_ret = Table(
        "new_vs_returning",
        "New and returning authors",
        "returning: an entry in an earlier competition stored in this database "
        f"(earlier: {earlier}); new: none",
        ("kind", "authors", "entries"),
        (
            (
                "new",
                len(authors) - len(returning),
                sum(n for a, n in per_author.items() if a not in returning),
            ),
            (
                "returning",
                len(returning),
                sum(n for a, n in per_author.items() if a in returning),
            ),
        ),
        Chart("bar", "kind", ("authors",), "", "authors"),
    )
    return Section("participants", "Who took part", figures, (audience, new_ret))


def _top(data: CampaignInput, rows: Sequence[EntrySeries], eng: Mapping[str, Metrics]) -> Section:
    c = data.competition
    by_author: dict[str, list[EntrySeries]] = {}
    for s in rows:
        by_author.setdefault(s.entry.author.id, []).append(s)

    def author_key(item: tuple[str, list[EntrySeries]]) -> tuple[int, int, str]:
        aid, posts = item
        return (-len(posts), -sum(engagement(eng[p.entry.key]) for p in posts), aid)

    contributors = sorted(by_author.items(), key=author_key)[:TOP_N]
    posts = sorted(
        rows,
        key=lambda s: (-engagement(eng[s.entry.key]), s.entry.post.created_at, s.entry.key),
    )[:TOP_N]
    return Section(
        "top",
        "Top contributors and posts",
        (),
        (
            Table(
                "top_contributors",
                "Top contributors",
                f"authors by number of entries, then by their entries' engagement "
                f"({ENGAGEMENT_METHOD}); the first {TOP_N}",
                ("username", "side", "entries", "engagement"),
                tuple(
                    (
                        ps[0].entry.author.username,
                        audience_of(c, ps[0].entry.author.username),
                        len(ps),
                        sum(engagement(eng[p.entry.key]) for p in ps),
                    )
                    for _, ps in contributors
                ),
                Chart("hbar", "username", ("entries",), "entries", ""),
            ),
            Table(
                "top_posts",
                "Top posts by engagement",
                f"entries by {ENGAGEMENT_METHOD}, earliest first on a tie; the first {TOP_N}",
                ("tweet_id", "username", "likes", "replies", "reposts", "quotes", "engagement"),
                tuple(
                    (
                        s.entry.post.id,
                        s.entry.author.username,
                        *_vec(eng[s.entry.key]),
                        engagement(eng[s.entry.key]),
                    )
                    for s in posts
                ),
            ),
        ),
    )


def _mix(data: CampaignInput, rows: Sequence[EntrySeries], eng: Mapping[str, Metrics]) -> Section:
    c = data.competition
    total = len(rows)
    langs = Counter((s.entry.post.lang or "und") for s in rows)
    tags = {normalise_handle(t.lstrip("#")): t for t in c.hashtags}
    per_tag: Counter[str] = Counter()
    tag_eng: Counter[str] = Counter()
    for s in rows:
        found = {normalise_handle(h.lstrip("#")) for h in s.entry.post.hashtags}
        for norm, shown in tags.items():
            if norm in found:
                per_tag[shown] += 1
                tag_eng[shown] += engagement(eng[s.entry.key])
    partners = data.partners
    per_partner: Counter[str] = Counter()
    partner_eng: Counter[str] = Counter()
    for s in rows:
        mentioned = {normalise_handle(m) for m in s.entry.post.mentions}
        for p in partners:
            if normalise_handle(p) in mentioned:
                per_partner[p] += 1
                partner_eng[p] += engagement(eng[s.entry.key])
    tables = [
        Table(
            "languages",
            "Languages",
            "entries per language as X detected it (und: undetermined); share of all entries",
            ("lang", "entries", "share_pct"),
            tuple((lang, n, _share(n, total)) for lang, n in sorted(langs.items(), key=_by_count)),
            Chart("bar", "lang", ("entries",), "", "entries"),
        ),
        Table(
            "hashtags",
            "Per hashtag",
            "entries carrying each of the competition's hashtags (case-insensitive) and their "
            "engagement; a post with several hashtags counts under each, so shares can add up "
            "to more than 100%",
            ("hashtag", "entries", "share_pct", "engagement"),
            tuple(
                (f"#{t.lstrip('#')}", per_tag[t], _share(per_tag[t], total), tag_eng[t])
                for t in tags.values()
            ),
            Chart("bar", "hashtag", ("entries",), "", "entries"),
        ),
    ]
    if partners:
        tables.append(
            Table(
                "partners",
                "Per partner account",
                "entries mentioning each partner account of the competition (its `accounts` "
                "other than the bot) and their engagement; a post mentioning several counts "
                "under each",
                ("account", "entries", "share_pct", "engagement"),
                tuple(
                    (
                        f"@{p.lstrip('@')}",
                        per_partner[p],
                        _share(per_partner[p], total),
                        partner_eng[p],
                    )
                    for p in partners
                ),
                Chart("bar", "account", ("entries",), "", "entries"),
            )
        )
    return Section("mix", "Languages, hashtags and partners", (), tuple(tables))


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _own_posts(data: CampaignInput) -> Section:
    posts = list(data.own_posts)
    by_owner = Counter(p.owner for p in posts)
    method = (
        "the latest snapshot the bot took of each post (it reads the bot's posts and the "
        "organisers' timelines on the [reports] own_posts_every cadence); engagement = likes + "
        "replies + reposts + quotes"
    )
    rows = tuple(
        (
            p.owner,
            p.username,
            p.kind or "",
            p.post_id,
            iso(p.created_at),
            p.latest.likes,
            p.latest.replies,
            p.latest.reposts,
            p.latest.quotes,
            engagement(p.latest),
            len(p.snapshots),
        )
        for p in posts
    )
    series = _own_growth(posts)
    figures = (
        Figure("bot_posts", "Bot's posts tracked", by_owner.get("bot", 0), method),
        Figure(
            "organiser_posts", "Organisers' posts tracked", by_owner.get("organiser", 0), method
        ),
        Figure(
            "own_engagement",
            "Engagement of own posts",
            sum(engagement(p.latest) for p in posts),
            f"the sum over the bot's and organisers' posts of {method}",
        ),
    )
    tables = (
        Table(
            "own_posts",
            "The bot's and the organisers' posts",
            method,
            (
                "owner",
                "username",
                "kind",
                "tweet_id",
                "created_at",
                "likes",
                "replies",
                "reposts",
                "quotes",
                "engagement",
                "snapshots",
            ),
            rows,
        ),
        Table(
            "own_engagement_over_time",
            "Engagement of own posts over time",
            "at each tracking run, the sum of the latest snapshot by then of every own post, per "
            "owner (bot, organisers)",
            ("at", "bot", "organisers"),
            series,
            Chart("line", "at", ("bot", "organisers"), "time (UTC)", "engagement"),
        ),
    )
    return Section("own_posts", "Own posts", figures, tables)


def _own_growth(posts: Sequence[OwnPost]) -> tuple[tuple[Cell, ...], ...]:
    moments = sorted({at for p in posts for at, _ in p.snapshots})
    if len(moments) > MAX_GROWTH_POINTS:
        stride = -(-len(moments) // MAX_GROWTH_POINTS)
        moments = moments[::stride] + ([moments[-1]] if (len(moments) - 1) % stride else [])
    out = []
    for t in moments:
        sums = {"bot": 0, "organiser": 0}
        for p in posts:
            latest = [m for at, m in p.snapshots if at <= t]
            if latest:
                sums[p.owner] += engagement(latest[-1])
        out.append((iso(t), sums["bot"], sums["organiser"]))
    return tuple(out)


def _change(data: CampaignInput) -> Section:
    prev = data.previous
    now = summarise(data.competition, data.series, data.standings, data.final_at)
    if prev is None:
        return Section(
            "change",
            "Against the previous competition",
            (
                Figure(
                    "previous_competition",
                    "Previous competition",
                    None,
                    "the latest competition that ended before this one started and shares an "
                    "organiser with it: none in the config",
                ),
            ),
        )

    def pct(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or not b:
            return None
        return round(100.0 * (a - b) / b, 1)

    metrics = (
        ("entries", now.entries, prev.entries),
        ("unique authors", now.authors, prev.authors),
        ("engagement", now.engagement, prev.engagement),
        ("outside authors", now.outside_authors, prev.outside_authors),
        (
            "outside share of engagement %",
            _share(now.outside_engagement, now.engagement),
            _share(prev.outside_engagement, prev.engagement),
        ),
    )
    table = Table(
        "change",
        f"Against {prev.title} ({prev.competition_id})",
        "the same figures computed the same way for the previous competition of the same "
        "organisers (the latest that ended before this one started and shares an organiser); "
        "change % = (this - previous) / previous",
        ("figure", "this", "previous", "change_pct"),
        tuple((name, a, b, pct(a, b)) for name, a, b in metrics),
    )
    return Section(
        "change",
        "Against the previous competition",
        (
            Figure(
                "previous_competition",
                "Previous competition",
                prev.competition_id,
                "the latest competition that ended before this one started and shares an "
                "organiser with it",
            ),
        ),
        (table,),
    )


# ------------------------------------------------------------------------- the reports' cadence


def reported_competitions(
    competitions: Iterable[Competition], now: datetime, *, analysis_days: int
) -> tuple[str, ...]:
    """The competitions whose pages the daemon rewrites at `now`: from their start until
    `analysis_days` after their end (so the pages follow the freeze and the own posts' late
    engagement), in id order."""
    after = timedelta(days=max(0, analysis_days))
    return tuple(sorted(c.id for c in competitions if c.start <= now < c.end + after))
