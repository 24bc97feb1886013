"""Shell: read from the store everything one competition's report shows, as values.

`gather(store, config, competition, now)` returns `ReportData`: the live or frozen standings
(`bot.freezer.live_standings`: the leaderboard's), the stored result versions, jury picks, the
entries with every snapshot, the bot's and the organisers' tracked posts, the outbox posts of the
campaign, the API spend against `[budget]`, and the post analysis (`bot.core.campaign.analyse`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.config import Config
from bot.config.budget import BudgetConfig
from bot.config.reports import ReportsConfig, reports_of
from bot.core.analysis import OWN_POSTS_LEAD, OwnPost
from bot.core.audience import normalise_handle
from bot.core.campaign import (
    Analysis,
    CampaignInput,
    EntrySeries,
    Summary,
    analyse,
    previous_competition,
    summarise,
)
from bot.core.models import Competition, Standings
from bot.core.resultjson import TEXT_COMMITTED, canonical_bytes, committed_document
from bot.core.results import FrozenResult
from bot.core.scoring import JuryPick
from bot.freezer import live_standings
from bot.store import Store
from bot.store.ledger import UsageTotals
from bot.store.ops import OpsStore
from bot.store.outbox import OutboxEntry, OutboxStore, key_fields
from bot.store.own_posts import OwnPostsStore
from bot.store.reports import ReportsStore
from bot.store.rules import RulesStore, StoredResult


@dataclass(frozen=True)
class ReportData:
    competition: Competition
    zone: str
    now: datetime
    bot_username: str | None
    settings: ReportsConfig
    standings: Standings
    state: str  # "upcoming", "running", "ended", "frozen"
    results: tuple[StoredResult, ...]  # every stored version, oldest first
    picks: tuple[JuryPick, ...]
    series: tuple[EntrySeries, ...]
    own_posts: tuple[OwnPost, ...]
    outbox: tuple[OutboxEntry, ...]
    usage: UsageTotals
    budget: BudgetConfig
    analysis: Analysis
    result: FrozenResult | None = None  # the current version, read back once
    committed: bytes | None = None  # the bytes its digest is taken over

    @property
    def current(self) -> StoredResult | None:
        return self.results[-1] if self.results else None


def gather(store: Store, config: Config, competition: Competition, now: datetime) -> ReportData:
    from bot.cli.output import zone_of
    from bot.core.models import competition_state

    rules = RulesStore(store)
    reports = ReportsStore(store)
    settings = reports_of(config.sections)
    bot = config.bot.username
    zone = config.zone_of(competition)
    results = tuple(rules.history(competition.id))
    current = results[-1] if results else None
    frozen = current.result if current is not None else None  # parsed once: it can be large
    standings = (
        frozen.standings
        if frozen is not None
        else live_standings(store, competition, now, bot_username=bot)
    )
    series = _series(store, reports, competition.id)
    window_start = competition.start - OWN_POSTS_LEAD
    window_end = competition.end + timedelta(days=settings.analysis_days)
    own = tuple(OwnPostsStore(store).own_posts(window_start, window_end))
    earlier = tuple(
        sorted(
            c.id
            for c in config.competitions
            if c.id != competition.id and c.end <= competition.start
        )
    )
    prev = previous_competition(competition, config.competitions)
    previous: Summary | None = None
    if prev is not None:
        previous = summarise(
            prev,
            _series(store, reports, prev.id),
            live_standings(store, prev, now, bot_username=bot),
            _final_at(rules, prev.id),
        )
    bot_norm = normalise_handle(bot) if bot else None
    partners = tuple(a for a in competition.accounts if normalise_handle(a) != bot_norm)
    analysis = analyse(
        CampaignInput(
            competition=competition,
            zone=zone_of(zone),
            zone_label=zone,
            now=now,
            series=series,
            standings=standings,
            own_posts=own,
            earlier_authors=reports.author_ids(earlier),
            earlier_competitions=earlier,
            previous=previous,
            final_at=_final_at(rules, competition.id),
            bot_username=bot,
            partners=partners,
        )
    )
    section = config.sections.get("budget")
    budget = section if isinstance(section, BudgetConfig) else BudgetConfig()
    return ReportData(
        competition=competition,
        zone=zone,
        now=now,
        bot_username=bot,
        settings=settings,
        standings=standings,
        state=competition_state(competition, now, frozen=bool(results)),
        results=results,
        picks=tuple(rules.picks(competition.id)),
        series=series,
        own_posts=own,
        outbox=tuple(_outbox(store, competition, window_start, window_end)),
        usage=OpsStore(store).usage(now),
        budget=budget,
        analysis=analysis,
        result=frozen,
        committed=committed_bytes(current) if current is not None else None,
    )


def committed_bytes(stored: StoredResult) -> bytes:
    """The bytes the stored result's digest is taken over: the committed form from version 3 on
    (entrants' texts by their SHA-256), the stored canonical text before."""
    raw = stored.canonical.encode("utf-8")
    document = json.loads(raw)
    if isinstance(document, dict) and document.get("schema") in TEXT_COMMITTED:
        return canonical_bytes(committed_document(document))
    return raw


def _final_at(rules: RulesStore, competition_id: str) -> datetime | None:
    final = rules.final_snapshot(competition_id)
    return final.taken_at if final is not None else None


def _series(store: Store, reports: ReportsStore, competition_id: str) -> tuple[EntrySeries, ...]:
    snaps = reports.entry_snapshots(competition_id)
    return tuple(EntrySeries(e, tuple(snaps.get(e.key, ()))) for e in store.entries(competition_id))


def _outbox(
    store: Store, competition: Competition, start: datetime, end: datetime
) -> list[OutboxEntry]:
    """The competition's own posts (scope `competition:<id>`), and the event, manual and reply
    posts due within its tracking window (they are the campaign's too)."""
    scope = f"competition:{competition.id}"
    out = []
    for e in OutboxStore(store).entries():
        try:
            own_scope, _ = key_fields(e.post.key)
        except ValueError:
            continue
        campaign_wide = not own_scope.startswith("competition:") and start <= e.post.due_at < end
        if own_scope == scope or campaign_wide:
            out.append(e)
    return out


def spend(entries: tuple[OutboxEntry, ...]) -> Decimal:
    return sum((e.cost for e in entries if e.sent_at is not None), Decimal(0))
