"""The domain's plain values: what the bot knows about posts, accounts and competitions.

Everything here is a frozen dataclass with no behaviour beyond small derived properties. The
network clients return these (`bot.x` maps X's wire names onto them), the store takes and returns
these, and the pure core (scoring, eligibility, composing, timing) computes on these. Nothing in
this module imports tweepy, SQLAlchemy, or reads the clock. All datetimes are timezone-aware and
in UTC unless a field says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

# --------------------------------------------------------------------------------------------------
# What a network tells us (X's wire names are mapped onto these by bot.x.wire)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """A post's public counts at one moment (likes, replies, reposts, quotes...)."""

    likes: int = 0
    replies: int = 0
    reposts: int = 0
    quotes: int = 0
    bookmarks: int = 0
    impressions: int = 0


@dataclass(frozen=True)
class Account:
    """An account as the network describes it: who posted, replied or was mentioned."""

    id: str
    username: str
    name: str
    created_at: datetime | None = None
    followers: int = 0
    following: int = 0
    post_count: int = 0
    protected: bool = False


ReferenceType = Literal["reposted", "quoted", "replied_to"]


@dataclass(frozen=True)
class Reference:
    type: ReferenceType
    id: str


@dataclass(frozen=True)
class Post:
    """One version of a post as the network returned it.

    `text` is the short text; `note_text` the full text of a long post, if any (X's note_tweet).
    `hashtags` are the tags without '#', as the network's entities give them (for X, text and
    note entities merged, original case). `mentions` are usernames without '@', original case.
    `edit_history_ids` lists the edit chain oldest first; `key` (its first element) identifies the
    entry across edits.
    """

    id: str
    text: str
    author_id: str
    created_at: datetime
    edit_history_ids: tuple[str, ...]
    conversation_id: str | None = None
    in_reply_to_author_id: str | None = None
    lang: str | None = None
    references: tuple[Reference, ...] = ()
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    note_text: str | None = None
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def key(self) -> str:
        return self.edit_history_ids[0] if self.edit_history_ids else self.id

    @property
    def full_text(self) -> str:
        return self.note_text if self.note_text else self.text

    @property
    def is_repost(self) -> bool:
        return any(r.type == "reposted" for r in self.references)

    @property
    def is_reply(self) -> bool:
        return any(r.type == "replied_to" for r in self.references)

    @property
    def is_quote(self) -> bool:
        return any(r.type == "quoted" for r in self.references)

    @property
    def replied_to_id(self) -> str | None:
        for r in self.references:
            if r.type == "replied_to":
                return r.id
        return None


PostProblem = Literal["deleted", "protected", "suspended", "unavailable"]


@dataclass(frozen=True)
class Page:
    """One page of a search or mentions timeline, with the accounts of its posts. `next_token` is
    None on the last page."""

    posts: tuple[Post, ...]
    accounts: tuple[Account, ...]
    newest_id: str | None
    oldest_id: str | None
    result_count: int
    next_token: str | None


@dataclass(frozen=True)
class Lookup:
    """The answer to a look-up of posts by id: the posts found, and the ids the network reported a
    problem for (on X, partial errors inside a 200: deleted/not found, protected/not authorised)."""

    posts: tuple[Post, ...]
    accounts: tuple[Account, ...]
    problems: tuple[tuple[str, PostProblem], ...] = ()


@dataclass(frozen=True)
class PublishedPost:
    """A post the bot published: its id, and the text as the network stored it."""

    id: str
    text: str


# --------------------------------------------------------------------------------------------------
# What an organiser declares (config/contestbot.toml); parsed and validated by bot.config
# --------------------------------------------------------------------------------------------------

CategoryKind = Literal["likes", "replies", "quotes", "reposts", "weighted", "jury"]
RepliesMode = Literal["reported", "distinct"]
Audience = Literal["all", "outside", "both"]
TieRule = Literal["earliest", "shared", "random"]


@dataclass(frozen=True)
class ReplierRules:
    """Who counts as a replier in a distinct-repliers count, beyond the fixed rules (never the
    entry's author, an organiser, an excluded account or the bot; only replies created before the
    end): the replier's account must be `min_account_age_days` old at the competition's start and
    have `min_followers` followers. A category without its own rules takes the entrant rules."""

    min_account_age_days: int = 0
    min_followers: int = 0


@dataclass(frozen=True)
class Category:
    """A prize category. `id` is what organisers and the output call it (e.g. "most-liked");
    `kind` says how it is scored.

    - likes / quotes / reposts: the public metric.
    - replies: `replies_mode` "reported" uses reply_count; "distinct" counts distinct repliers other
      than the author, organisers and excluded accounts, who pass `repliers` (the replier rules;
      None: the competition's entrant rules), among the direct replies to the entry.
    - weighted: sum of weight x metric over `weights`, keys among likes, replies, reposts, quotes.
    - jury: the organisers pick; the bot shortlists `shortlist` candidates by outside engagement.

    `min_score` is the score an entry needs to rank at all (a category is never won with 0 likes);
    None means the default: 1 for scored kinds, 0 for jury categories (the jury judges content).
    """

    id: str
    kind: CategoryKind
    title: str = ""
    winners: int = 1
    replies_mode: RepliesMode = "reported"
    weights: tuple[tuple[str, float], ...] = ()
    audience: Audience = "all"
    questions_only: bool = False
    replies_to_organisers_only: bool = False
    shortlist: int = 10
    min_score: float | None = None
    repliers: ReplierRules | None = None

    @property
    def minimum(self) -> float:
        """The effective minimum score (`min_score`, or the kind's default)."""
        if self.min_score is not None:
            return self.min_score
        return 0.0 if self.kind == "jury" else 1.0


@dataclass(frozen=True)
class Eligibility:
    """Declared eligibility rules of a competition (issue "Competition rules")."""

    allow_replies: bool = False
    allow_quotes: bool = True
    min_account_age_days: int = 0
    min_followers: int = 0
    languages: tuple[str, ...] = ()  # empty: any language
    one_entry_per_author: bool = True  # per category: the author's best entry only
    one_prize_per_author: bool = False  # across categories


@dataclass(frozen=True)
class Competition:
    """A declared competition. `hashtags` are stored without '#'; `accounts` and the account lists
    without '@'. `start` is inclusive and `end` exclusive, both aware UTC datetimes.
    `timezone` is the zone organisers think in (for display), an IANA name."""

    id: str
    title: str
    hashtags: tuple[str, ...]
    start: datetime
    end: datetime
    categories: tuple[Category, ...]
    accounts: tuple[str, ...] = ()  # accounts whose mentions count (the bot, partners)
    excluded_accounts: tuple[str, ...] = ()
    organisers: tuple[str, ...] = ()  # excluded too, and count as "community"
    community: tuple[str, ...] = ()  # community member handles (config list and/or CSV file)
    timezone: str = "UTC"
    eligibility: Eligibility = field(default_factory=Eligibility)
    tie_rule: TieRule = "earliest"
    tie_seed: str | None = None
    leaderboard_top: int = 10
    # `late_posts_grace`: how long after the end the bot keeps searching for posts created before
    # it (X indexes some late), then re-scans the whole window and only then freezes.
    late_grace: timedelta = timedelta(hours=6)


CompetitionState = Literal["scheduled", "running", "ended", "frozen"]


def competition_state(c: Competition, now: datetime, *, frozen: bool = False) -> CompetitionState:
    """Where a competition stands at `now`."""
    if frozen:
        return "frozen"
    if now < c.start:
        return "scheduled"
    if now < c.end:
        return "running"
    return "ended"


# --------------------------------------------------------------------------------------------------
# What the store knows about an entry, and what scoring produces
# --------------------------------------------------------------------------------------------------

EntryStatus = Literal["active", "deleted", "protected"]


@dataclass(frozen=True)
class Reply:
    """A direct reply to an entry (to any version of it), with what the replier rules look at:
    the replier's account creation time, followers and protection, as the API described the
    replier when the reply was read."""

    reply_id: str
    author_id: str
    username: str
    created_at: datetime
    author_created_at: datetime | None = None
    followers: int = 0
    protected: bool = False


@dataclass(frozen=True)
class Entry:
    """A candidate post of a competition as stored: its latest known version (`post`, whose
    `metrics` are the latest snapshot taken at `metrics_at`), its author, and its status.
    `repliers` holds the direct replies to it (filled when a category counts distinct repliers),
    oldest first. `key` is the first id of the edit history."""

    post: Post
    author: Account
    status: EntryStatus = "active"
    metrics_at: datetime | None = None
    repliers: tuple[Reply, ...] = ()

    @property
    def key(self) -> str:
        return self.post.key

    @property
    def url(self) -> str:
        return post_url(self.author.username, self.post.id)


def post_url(username: str, post_id: str) -> str:
    return f"https://x.com/{username}/status/{post_id}"


AudienceSide = Literal["community", "outside"]


@dataclass(frozen=True)
class Exclusion:
    """Why an entry does not rank. `rule` is a stable machine code (e.g. "outside-window",
    "retweet", "deleted", "excluded-account", "no-hashtag"); `reason` a sentence for organisers.
    `category` is None when the exclusion applies to every category."""

    key: str
    post_id: str
    username: str
    rule: str
    reason: str
    category: str | None = None


@dataclass(frozen=True)
class Ranked:
    """One line of a category's standings."""

    rank: int
    key: str
    post_id: str
    author_id: str
    username: str
    score: float
    created_at: datetime
    url: str
    audience: AudienceSide = "outside"
    tie: str | None = None  # the tie rule that ordered this entry against an equal score, if any
    audience_rank: int | None = None  # rank among its own audience side (category audience "both")
    jury_rank: int | None = None  # the jury's pick rank (jury categories), None when not picked


@dataclass(frozen=True)
class CategoryStanding:
    category: Category
    entries: tuple[Ranked, ...]
    winners: tuple[str, ...] = ()  # keys of the prize winners (ties under "shared" may add more)
    awaiting_jury: bool = False  # a jury category without picks yet: `entries` is the shortlist
    below_minimum: int = 0  # candidates left out for scoring under the category's minimum

    @property
    def no_qualifying_entry(self) -> bool:
        """Entries competed but none reached the category's minimum score."""
        return not self.entries and self.below_minimum > 0


@dataclass(frozen=True)
class Standings:
    competition_id: str
    computed_at: datetime
    categories: tuple[CategoryStanding, ...]
    exclusions: tuple[Exclusion, ...] = ()
    # One prize per author is declared but not applied yet: before the deadline an author's lead
    # in an earlier category can still change, so it is resolved at the deadline, in declared order.
    prizes_pending: bool = False
