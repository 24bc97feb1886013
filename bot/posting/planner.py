"""What the outbox should hold at a given time: every event reminder (per language or combined),
each competition's launch post, the leaderboard updates whose slot has come, and the winners
announcement once a competition's result is frozen. Scheduled posts come from `post schedule` and
mention replies from `bot.posting.responder`; they are inserted directly.

`Planner.drafts(now)` composes them (the pure `bot.core.composing` does the texts; this shell reads
standings and frozen results from the store); `Planner.plan(now)` inserts those whose key is new,
so planning every cycle is idempotent. `Planner.upcoming(now)` is the preview: those drafts plus
what is not due yet (future leaderboard slots with today's standings, the winners announcement
before the freeze with a placeholder digest), each labelled, never stored. `ResultsSource` is
the seam to the competition rules' frozen results: `StoredResults` reads them through
`bot.store.rules.RulesStore` and re-checks them with `bot.freezer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.config import Config
from bot.core.composing import (
    compose_launch,
    compose_leaderboard_update,
    compose_reminder,
    compose_winners,
)
from bot.core.events import Event, PostingConfig
from bot.core.models import Competition, Standings
from bot.core.outbox import (
    OutboxPost,
    competition_key,
    lang_label,
    leaderboard_key,
    needs_approval,
    plan_reminders,
)
from bot.core.timing import leaderboard_slots
from bot.store import Store
from bot.store.outbox import OutboxStore
from bot.x.interface import XClient


@dataclass(frozen=True)
class Announcement:
    """What the winners post announces: the standings to publish and the results digest."""

    standings: Standings
    digest: str


# As wide as the real digest's shown prefix (16 hex characters), so lengths and costs match.
PLACEHOLDER_DIGEST = "[digest-pending]"
NOTE_LEADERBOARD_AHEAD = "as the standings are now; the real post uses the standings at its time"
NOTE_WINNERS_FROZEN = "the frozen result and its digest, as the announcement will carry them"
NOTE_WINNERS_AHEAD = (
    "preview: final winners and digest are known after the freeze "
    "(digest: computed at the freeze; standings as they are now)"
)


@dataclass(frozen=True)
class Preview:
    """A post to come, for `outbox preview --upcoming`: the composed post (not stored), the zone
    its due time is shown in besides UTC, and what about its text is not final yet."""

    post: OutboxPost
    zone: str = "UTC"
    note: str | None = None


class ResultsSource(Protocol):
    def frozen(self, competition: Competition) -> Announcement | None:
        """The competition's frozen result (its current version), None before the freeze."""
        ...

    def recheck(self, competition: Competition, *, client: XClient, clock: Clock) -> Announcement:
        """The pre-announcement check, run just before the winners post goes out: the standings
        to announce now (a winner deleted or protected since the freeze gives way)."""
        ...


class StoredResults:
    """`ResultsSource` over the rules tables (`bot.store.rules`): the current version of the
    frozen result and its digest; the re-check is `bot.freezer.recheck_before_announcement`
    (winners looked up again, replacements recorded, the result re-issued if they changed)."""

    def __init__(self, store: Store) -> None:
        from bot.store.rules import RulesStore

        self.store = store
        self.rules = RulesStore(store)

    def frozen(self, competition: Competition) -> Announcement | None:
        stored = self.rules.current(competition.id)
        if stored is None:
            return None
        return Announcement(stored.result.standings, stored.digest)

    def recheck(self, competition: Competition, *, client: XClient, clock: Clock) -> Announcement:
        from bot.freezer import recheck_before_announcement

        done = recheck_before_announcement(
            competition.id, client=client, store=self.store, clock=clock
        )
        return Announcement(done.result.result.standings, done.result.digest)


def events_of(config: Config) -> tuple[Event, ...]:
    events = config.sections.get("event", ())
    return events if isinstance(events, tuple) else ()


def posting_of(config: Config) -> PostingConfig:
    """The `[posting]` settings. Without a `[posting]` section the bot posts nothing: speaking
    for an organisation is something organisers switch on, not a default."""
    posting = config.sections.get("posting")
    return posting if isinstance(posting, PostingConfig) else PostingConfig(enabled=False)


class Planner:
    """Composes and enqueues the posts `config` calls for."""

    def __init__(
        self,
        store: Store,
        *,
        config: Config,
        results: ResultsSource | None = None,
        bot_username: str | None = None,
        read_only: bool = False,
    ) -> None:
        """`read_only` (a preview): the standings are computed whole rather than read from the
        live leaderboard, whose catching up writes to the store."""
        self.store = store
        self.read_only = read_only
        self.config = config
        self.posting = posting_of(config)
        self.events = events_of(config)
        self.outbox = OutboxStore(store, self.posting.prices)
        self.results = results
        self.bot_username = bot_username

    def plan(self, now: datetime) -> int:
        """Insert every due-or-future post whose key is new. Returns how many were added."""
        return self.outbox.add(self.drafts(now, skip_known=True), now=now)

    def drafts(self, now: datetime, *, skip_known: bool = False) -> list[OutboxPost]:
        """Every post the config calls for at `now` (composed; not stored). With `skip_known`,
        posts whose key is already in the outbox are not composed again."""
        out: list[OutboxPost] = []
        for event in self.events:
            out += self._reminders(event, skip_known)
        for c in self.config.competitions:
            out += self._competition(c, now, skip_known)
        return out

    def upcoming(self, now: datetime) -> list[Preview]:
        """Every post the config will add to the outbox from `now` on and that is not there yet,
        by due time: what `drafts(now, skip_known=True)` holds, plus the leaderboard slots still
        ahead and, before the freeze, the winners announcement, composed with the standings as
        they are now (and a placeholder digest). Nothing is stored."""
        out = [
            Preview(p, self.zone_of(p.key), NOTE_WINNERS_FROZEN if p.kind == "winners" else None)
            for p in self.drafts(now, skip_known=True)
        ]
        for c in self.config.competitions:
            out += self._ahead(c, now)
        return sorted(out, key=lambda v: (v.post.due_at, v.post.key))

    def zone_of(self, key: str) -> str:
        """The zone organisers think in for the post with `key`: its event's or competition's."""
        scope, _, rest = key.partition(":")
        ident = rest.split(":", 1)[0]
        if scope == "event":
            return next((e.zone for e in self.events if e.id == ident), "UTC")
        if scope == "competition":
            return next((c.timezone for c in self.config.competitions if c.id == ident), "UTC")
        return "UTC"

    def _ahead(self, c: Competition, now: datetime) -> list[Preview]:
        p = self.posting
        slots = leaderboard_slots(
            c.start, c.end, times=p.leaderboard_updates, interval=p.leaderboard_interval
        )
        ahead = [s for s in slots if s > now]
        winners = {lang: competition_key(c.id, "winners", "final", lang) for lang in p.languages}
        new_winners = self._new(list(winners.values()), True)
        frozen = self.results.frozen(c) if self.results is not None else None
        posts = self._leaderboard_posts(c, ahead, now, True)
        out = [Preview(post, c.timezone, NOTE_LEADERBOARD_AHEAD) for post in posts]
        if frozen is not None or not new_winners:
            return out  # frozen: `drafts` composed the real announcement
        standings = self._standings(c, now, through_rank=0)  # every winner's line
        for lang, key in winners.items():
            if key in new_winners:
                draft = compose_winners(c, standings, PLACEHOLDER_DIGEST, lang, p.templates)
                post = OutboxPost(
                    key,
                    "winners",
                    lang,
                    draft.parts,
                    max(c.end, now),
                    needs_approval=self._gate("winners"),
                    has_media=p.chart,
                )
                out.append(Preview(post, c.timezone, NOTE_WINNERS_AHEAD))
        return out

    def _standings(self, c: Competition, now: datetime, *, through_rank: int) -> Standings:
        """The standings at `now` holding every winner and every line ranked `through_rank` or
        better: before the deadline the live leaderboard's first lines (`bot.leaderboard.board`),
        whatever the number of entries; computed whole from then on, or for a preview."""
        if self.read_only:
            from bot.freezer import live_standings

            return live_standings(self.store, c, now, bot_username=self.bot_username)
        from bot.leaderboard import board

        shown = board(
            self.store,
            c,
            now,
            top=through_rank,
            through_rank=through_rank,
            bot_username=self.bot_username,
        )
        return shown.standings

    def _gate(self, kind: str) -> bool:
        return needs_approval(kind, self.posting.approval)

    def _new(self, keys: Sequence[str], skip_known: bool) -> set[str]:
        return set(keys) - self.outbox.keys_present(keys) if skip_known else set(keys)

    def _reminders(self, event: Event, skip_known: bool) -> list[OutboxPost]:
        planned = plan_reminders(event)
        new = self._new([p.key for p in planned], skip_known)
        out = []
        for p in planned:
            if p.key not in new:
                continue
            draft = compose_reminder(event, p.offset, p.langs, self.posting.templates)
            out.append(
                OutboxPost(
                    key=p.key,
                    kind="reminder",
                    lang=lang_label(p.langs),
                    parts=draft.parts,
                    due_at=p.due_at,
                    starts_at=p.starts_at,
                    needs_approval=self._gate("reminder"),
                )
            )
        return out

    def _competition(self, c: Competition, now: datetime, skip_known: bool) -> list[OutboxPost]:
        langs = self.posting.languages
        templates = self.posting.templates
        out: list[OutboxPost] = []
        launch = {lang: competition_key(c.id, "launch", "start", lang) for lang in langs}
        new = self._new(list(launch.values()), skip_known)
        for lang, key in launch.items():
            if key in new:
                draft = compose_launch(c, lang, templates)
                out.append(
                    OutboxPost(
                        key,
                        "launch",
                        lang,
                        draft.parts,
                        c.start,
                        needs_approval=self._gate("launch"),
                    )
                )
        out += self._leaderboards(c, now, skip_known)
        winners = {lang: competition_key(c.id, "winners", "final", lang) for lang in langs}
        new = self._new(list(winners.values()), skip_known)
        announcement = self.results.frozen(c) if new and self.results is not None else None
        if announcement is not None:
            for lang, key in winners.items():
                if key in new:
                    draft = compose_winners(
                        c, announcement.standings, announcement.digest, lang, templates
                    )
                    out.append(
                        OutboxPost(
                            key,
                            "winners",
                            lang,
                            draft.parts,
                            now,
                            needs_approval=self._gate("winners"),
                            has_media=self.posting.chart,
                        )
                    )
        return out

    def _leaderboards(self, c: Competition, now: datetime, skip_known: bool) -> list[OutboxPost]:
        """Updates whose slot has come and is still within the grace: the text shows the
        standings when the slot is planned, so a slot is never composed ahead of time."""
        p = self.posting
        slots = [
            s
            for s in leaderboard_slots(
                c.start, c.end, times=p.leaderboard_updates, interval=p.leaderboard_interval
            )
            if s <= now <= s + p.grace
        ]
        return self._leaderboard_posts(c, slots, now, skip_known)

    def _leaderboard_posts(
        self, c: Competition, slots: Sequence[datetime], now: datetime, skip_known: bool
    ) -> list[OutboxPost]:
        """The updates for `slots`, composed with the standings at `now`."""
        p = self.posting
        keys = {(s, lang): leaderboard_key(c.id, s, lang) for s in slots for lang in p.languages}
        new = self._new(list(keys.values()), skip_known)
        if not new:
            return []
        top = p.leaderboard_top or c.leaderboard_top
        standings = self._standings(c, now, through_rank=top)
        out = []
        for (slot, lang), key in keys.items():
            if key in new:
                draft = compose_leaderboard_update(c, standings, top, lang, p.templates)
                out.append(
                    OutboxPost(
                        key,
                        "leaderboard",
                        lang,
                        draft.parts,
                        slot,
                        needs_approval=self._gate("leaderboard"),
                    )
                )
        return out
