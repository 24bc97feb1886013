"""The outbox's rules, pure: deterministic post keys, the post states and their allowed transitions,
what to do with a post at `now` (`decide`), what to do after a failed send (`on_failure`), and how
to recognise our own post on the bot's timeline after a crash.

Exactly-once rests on three things the shell does with these: a post is inserted under its key
(inserting an existing key is a no-op); the state is set to "sending" before the API call and to
"sent" with the new id after it, so a post found in "sending" after a restart is one whose outcome
is unknown and is reconciled (looked for on the timeline) before any resend; and a
duplicate-content 403 is reconciled the same way, because it may mean our earlier 201 was never
recorded.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from bot.core.backoff import backoff_delay
from bot.core.cost import DEFAULT_PRICES, PriceTable, estimate_thread_cost, within_budget
from bot.core.events import Event
from bot.core.textlength import MAX_WEIGHTED_LENGTH, find_urls, weighted_length
from bot.core.timing import format_duration_key, is_beyond_grace, reminder_due_times, slot_label

PostKind = Literal["reminder", "launch", "leaderboard", "winners", "mention-reply", "scheduled"]
POST_KINDS: tuple[PostKind, ...] = (
    "reminder",
    "launch",
    "leaderboard",
    "winners",
    "mention-reply",
    "scheduled",
)
PostState = Literal["pending", "approved", "sending", "sent", "skipped", "failed", "cancelled"]

TRANSITIONS: Mapping[PostState, frozenset[PostState]] = {
    "pending": frozenset({"approved", "sending", "skipped", "failed", "cancelled"}),
    "approved": frozenset({"sending", "skipped", "failed", "cancelled"}),
    # After the call: sent; or back to waiting (a retry is scheduled, or more thread parts remain).
    "sending": frozenset({"sent", "pending", "approved", "failed", "skipped"}),
    "failed": frozenset({"pending"}),  # an organiser re-queues it
    "sent": frozenset(),
    "skipped": frozenset(),
    "cancelled": frozenset(),
}
TERMINAL: frozenset[PostState] = frozenset({"sent", "skipped", "cancelled", "failed"})


class InvalidTransition(ValueError):
    pass


def can_transition(old: PostState, new: PostState) -> bool:
    return new in TRANSITIONS[old]


# ------------------------------------------------------------------------------------------ keys


def _part(name: str, value: str) -> str:
    if not value or ":" in value or any(ch.isspace() for ch in value):
        raise ValueError(f"outbox key {name} {value!r} must be non-empty, without ':' or spaces")
    return value


def outbox_key(scope: str, kind: str, period: str, lang: str) -> str:
    """E.g. "event:igf-webinar-1:reminder:24h:fr". `scope` is "<type>:<id>" (event:...,
    competition:..., manual:..., mention:...); no part may hold ':' or spaces, so distinct inputs
    give distinct keys."""
    typ, sep, ident = scope.partition(":")
    if not sep:
        raise ValueError(
            f"outbox scope {scope!r} must look like 'event:<id>' or 'competition:<id>'"
        )
    return ":".join(
        (
            _part("scope type", typ),
            _part("scope id", ident),
            _part("kind", kind),
            _part("period", period),
            _part("lang", lang),
        )
    )


def lang_label(langs: str | Sequence[str]) -> str:
    """One language, or a combined post's languages joined with '+': "en+fr+es"."""
    return langs if isinstance(langs, str) else "+".join(langs)


def reminder_key(event_id: str, offset: timedelta, langs: str | Sequence[str]) -> str:
    """ "event:igf-webinar-1:reminder:24h:fr" (a combined post: "...:24h:en+fr")."""
    return outbox_key(
        f"event:{event_id}", "reminder", format_duration_key(offset), lang_label(langs)
    )


def competition_key(competition_id: str, kind: str, period: str, lang: str) -> str:
    """ "competition:igf2026:winners:final:en", "competition:igf2026:launch:start:fr"."""
    return outbox_key(f"competition:{competition_id}", kind, period, lang)


def leaderboard_key(competition_id: str, slot: datetime, lang: str) -> str:
    return outbox_key(f"competition:{competition_id}", "leaderboard", slot_label(slot), lang)


def scheduled_key(at: datetime, text: str, lang: str) -> str:
    """A manual post: the same text scheduled at the same minute is the same post."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:16]
    return outbox_key(f"manual:{digest}", "scheduled", slot_label(at), lang)


def mention_reply_key(mention_id: str, lang: str) -> str:
    return outbox_key(f"mention:{mention_id}", "mention-reply", "reply", lang)


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder post to put in the outbox: for one language, or for several combined."""

    key: str
    event_id: str
    offset: timedelta
    langs: tuple[str, ...]
    due_at: datetime
    starts_at: datetime


def plan_reminders(event: Event) -> list[PlannedReminder]:
    """Every reminder post of `event`: per offset, one per post language or one combined."""
    groups = (
        [tuple(event.post_languages)]
        if event.post_mode == "combined"
        else [(x,) for x in event.post_languages]
    )
    return [
        PlannedReminder(reminder_key(event.id, off, langs), event.id, off, langs, due, event.start)
        for off, due in reminder_due_times(event)
        for langs in groups
    ]


# ------------------------------------------------------------------------------------------ posts


@dataclass(frozen=True)
class OutboxPost:
    """A post as the outbox holds it. `parts` is the thread (one part for a single post);
    `posted_ids` the ids of the parts already posted, in order. `starts_at` is the session start
    for a reminder (a reminder is pointless once it passed). `reply_to` is the mention a reply
    answers. `not_before` holds a retry back. `attempts` counts failed sends."""

    key: str
    kind: PostKind
    lang: str
    parts: tuple[str, ...]
    due_at: datetime
    state: PostState = "pending"
    needs_approval: bool = False
    approved_at: datetime | None = None
    starts_at: datetime | None = None
    reply_to: str | None = None
    has_media: bool = False
    posted_ids: tuple[str, ...] = ()
    attempts: int = 0
    not_before: datetime | None = None
    last_error: str | None = None
    id: int | None = None  # the store's row id, for the CLI

    @property
    def next_part(self) -> int:
        return len(self.posted_ids)

    def cost(self, prices: PriceTable = DEFAULT_PRICES) -> Decimal:
        return estimate_thread_cost(
            self.parts, is_reply=self.reply_to is not None, has_media=self.has_media, prices=prices
        )


def transition(post: OutboxPost, new: PostState, **changes: object) -> OutboxPost:
    """`post` moved to `new` (with other field changes), or InvalidTransition."""
    if not can_transition(post.state, new):
        raise InvalidTransition(f"post {post.key}: cannot go from {post.state} to {new}")
    return replace(post, state=new, **changes)  # type: ignore[arg-type]


def needs_approval(kind: str, gates: Iterable[str]) -> bool:
    return kind in set(gates)


ActionKind = Literal[
    "send",  # post part `part` now, as a reply to `reply_to` when set
    "reconcile",  # the outcome of an earlier send is unknown: look on the timeline first
    "wait",  # nothing before `at`
    "needs-approval",  # an organiser must approve it first
    "skip-late",  # missed by more than the grace: record as skipped
    "skip-started",  # a reminder for a session that already started: record as skipped
    "fail",  # cannot be sent as it is (e.g. too long): record as failed
    "hold",  # over the monthly budget: keep it and tell the organiser
    "done",  # terminal: nothing to do
]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    reason: str = ""
    at: datetime | None = None
    part: int = 0
    reply_to: str | None = None


def decide(
    post: OutboxPost,
    now: datetime,
    grace: timedelta,
    *,
    spent_this_month: Decimal = Decimal(0),
    monthly_budget: Decimal | None = None,
    prices: PriceTable = DEFAULT_PRICES,
    limit: int = MAX_WEIGHTED_LENGTH,
) -> Action:
    """What to do with `post` at `now`. Order matters: terminal, in-flight, length, a started
    thread (always finished, grace or not), approval, not yet due, started session, grace,
    budget."""
    if post.state in TERMINAL:
        return Action("done", f"already {post.state}")
    part = post.next_part
    reply_to = post.posted_ids[-1] if post.posted_ids else post.reply_to
    if post.state == "sending":
        return Action(
            "reconcile", "a send was in flight when the bot stopped", part=part, reply_to=reply_to
        )
    if part >= len(post.parts):
        return Action("done", "every part is posted")
    for i, text in enumerate(post.parts):
        w = weighted_length(text)
        if w > limit:
            return Action(
                "fail",
                f"part {i + 1} is {w} weighted characters, over {limit}; recompose it as a thread",
            )
    if post.not_before is not None and now < post.not_before:
        return Action("wait", "retry backoff", at=post.not_before, part=part, reply_to=reply_to)
    if post.posted_ids:
        return Action("send", "continue the thread", part=part, reply_to=reply_to)
    if post.needs_approval and post.approved_at is None:
        return Action("needs-approval", f"{post.kind} posts wait for `contestbot outbox approve`")
    if now < post.due_at:
        return Action("wait", "not due yet", at=post.due_at)
    if post.starts_at is not None and now >= post.starts_at:
        return Action("skip-started", f"the session started at {post.starts_at.isoformat()}")
    # Grace runs from when the post could first go out: its due time, or its approval if later.
    ready_at = max(post.due_at, post.approved_at) if post.approved_at else post.due_at
    if is_beyond_grace(ready_at, now, grace):
        return Action("skip-late", f"due {ready_at.isoformat()}, more than {grace} ago")
    cost = post.cost(prices)
    if not within_budget(spent_this_month, cost, monthly_budget):
        return Action(
            "hold",
            f"${cost} would exceed the monthly budget ${monthly_budget} "
            f"(${spent_this_month} spent)",
        )
    return Action("send", "due", part=part, reply_to=reply_to)


# -------------------------------------------------------------------------------------- failures

FailureKind = Literal[
    "reply-restricted",
    "duplicate",
    "quote-restricted",
    "too-long",
    "rate-limited",
    "unavailable",
    "usage-capped",
    "credits-depleted",
    "auth",
    "invalid",
    "other",
]


@dataclass(frozen=True)
class Failure:
    """A send that failed, as the core needs to know it (the shell maps `bot.core.errors` to
    this)."""

    kind: FailureKind
    detail: str = ""
    reset_at: datetime | None = None


FailureDecisionKind = Literal["retry", "reconcile", "fail", "hold"]


@dataclass(frozen=True)
class FailureDecision:
    """`retry` at `at`; `reconcile` (look for the post on our timeline: found means sent, not found
    means fail); `fail` and record `reason`; `hold` the post and stop posting (a human must act)."""

    kind: FailureDecisionKind
    reason: str
    at: datetime | None = None


BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 10


def on_failure(
    post: OutboxPost,
    failure: Failure,
    now: datetime,
    random01: float,
    *,
    max_attempts: int = MAX_ATTEMPTS,
) -> FailureDecision:
    """What to do after `post` failed with `failure` (post.attempts counts earlier failures)."""
    k = failure.kind
    if k == "duplicate":
        return FailureDecision("reconcile", "duplicate content: it may be our own unrecorded post")
    if k in ("reply-restricted", "quote-restricted"):
        return FailureDecision("fail", f"{k}: X refuses this target ({failure.detail})".rstrip())
    if k in ("too-long", "invalid", "other"):
        return FailureDecision("fail", f"{k}: {failure.detail}".rstrip(": "))
    if k in ("usage-capped", "credits-depleted", "auth"):
        return FailureDecision("hold", f"{k}: needs a human ({failure.detail})".rstrip())
    if k == "rate-limited" and failure.reset_at is not None and failure.reset_at > now:
        return FailureDecision("retry", "rate limited until the reset", at=failure.reset_at)
    if post.attempts + 1 >= max_attempts:
        return FailureDecision("fail", f"{k}: gave up after {post.attempts + 1} attempts")
    return FailureDecision(
        "retry",
        f"{k}: backing off",
        at=now + backoff_delay(post.attempts + 1, random01, base=BACKOFF_BASE, cap=BACKOFF_CAP),
    )


# ------------------------------------------------------------------------------- reconciliation


def comparable_text(text: str) -> str:
    """A text as it can be compared with what the API returns: NFC, HTML entities decoded (the API
    returns &amp;), URLs masked (the API rewrites them to t.co), whitespace collapsed."""
    t = html.unescape(unicodedata.normalize("NFC", text))
    spans = find_urls(t)
    for s, e in reversed(spans):
        t = t[:s] + "\x00URL\x00" + t[e:]
    return " ".join(t.split())


def match_own_post(text: str, timeline: Iterable[tuple[str, str]]) -> str | None:
    """The id of the post in `timeline` ((id, text) pairs, the bot's own recent posts) whose text
    is ours, or None."""
    want = comparable_text(text)
    for post_id, posted in timeline:
        if comparable_text(posted) == want:
            return post_id
    return None


def failure_from_error(exc: Exception) -> Failure:
    """Our `bot.core.errors` exceptions as the `Failure` the outbox decides on."""
    from bot.core import errors

    detail = getattr(exc, "detail", None) or str(exc)
    if isinstance(exc, errors.ForbiddenForTarget):
        kinds: dict[str, FailureKind] = {
            "reply-restricted": "reply-restricted",
            "duplicate": "duplicate",
            "quote-restricted": "quote-restricted",
        }
        return Failure(kinds.get(exc.reason, "other"), detail)
    if isinstance(exc, errors.TooLong):
        return Failure("too-long", detail)
    if isinstance(exc, errors.RateLimited):
        return Failure("rate-limited", detail, reset_at=exc.reset_at)
    if isinstance(exc, errors.UsageCapped):
        return Failure("usage-capped", detail)
    if isinstance(exc, errors.CreditsDepleted):
        return Failure("credits-depleted", detail)
    if isinstance(exc, errors.AuthError):
        return Failure("auth", detail)
    if isinstance(exc, errors.Unavailable):
        return Failure("unavailable", detail)
    if isinstance(exc, errors.InvalidRequest):
        return Failure("invalid", detail)
    return Failure("other", detail)
