"""The demo's timeline (`contestbot demo`): one bot cycle every two simulated minutes, and what
the audience sees happen: leaderboards with their changes, posts reaching the sandbox, the freeze
with the rules at work, late likes that change nothing; then the finale and the self-check whose
failure makes the demo exit 1. `bot.demo` builds the pieces; `bot.demo_view` renders the text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot import demo_view as view
from bot.core.models import Competition, Entry, Standings
from bot.core.queries import build_search_queries
from bot.core.scoring import JuryPick, compute_standings
from bot.core.textlength import weighted_length
from bot.demo import BOARD_EVERY, BOT, POLL_EVERY, DemoBot, DemoFailed, Timeline
from bot.freezer import verify_stored
from bot.poller import CycleReport
from bot.sandbox import Sandbox, ScenarioPlayer
from bot.store.outbox import OutboxStore
from bot.store.rules import RulesStore

JURY_AT = timedelta(hours=1, minutes=50)  # simulated time of the jury's pick
JURY_CHOICE = "nosy_nina"


class Show:
    """The demo's timeline: run a bot cycle every `POLL_EVERY` of simulated time and print what
    happened (leaderboards, posts, the freeze, late likes); then the finale and the self-check."""

    def __init__(
        self,
        timeline: Timeline,
        competition: Competition,
        sandbox: Sandbox,
        player: ScenarioPlayer,
        bot: DemoBot,
        say: Callable[[str], None],
    ) -> None:
        self.t, self.c, self.sandbox, self.player, self.bot = (
            timeline,
            competition,
            sandbox,
            player,
            bot,
        )
        self.say = say
        self.rules = RulesStore(bot.store)
        self.memory = view.BoardMemory()
        self.posts_seen = 0
        self.events_seen = 0
        self.frozen_digest: str | None = None
        self.frozen_at: datetime | None = None
        self.picked = False
        self.frozen_standings: Standings | None = None
        self.late: list[tuple[str, int]] = []  # (username, likes) arriving after the end

    def label(self) -> str:
        return f"{view.offset(self.bot.clock.now(), self.t.start)} [{self.t.real_elapsed():5.1f}s]"

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.say(line)

    def play(self) -> None:
        clock = self.bot.clock
        next_board = self.t.start + BOARD_EVERY
        while (began := clock.now()) < self.t.end:
            self.bot.cycle()
            self.after_cycle()
            now = clock.now()
            if not self.picked and now >= self.t.start + JURY_AT:
                self.jury_pick()
            if now < self.c.end and now >= next_board:
                self.board(
                    f"{self.label()}  leaderboard: {len(self.bot.entries())} entries,"
                    f" {len(self.sandbox.requests)} API requests so far"
                )
                while next_board <= now:
                    next_board += BOARD_EVERY
            wait = min(began + POLL_EVERY, self.t.end) - clock.now()
            clock.sleep(wait.total_seconds())
        self.after_cycle()

    def jury_pick(self) -> None:
        """The jury picks the best question from the shortlist, as `contestbot jury pick` does
        (before the deadline, so it enters the freeze)."""
        self.picked = True
        jury = next((cs for cs in self.bot.standings().categories if cs.awaiting_jury), None)
        if jury is None or not jury.entries:
            return
        row = next((r for r in jury.entries if r.username == JURY_CHOICE), jury.entries[0])
        pick = JuryPick(
            jury.category.id,
            row.key,
            rank=1,
            judge="IGF jury",
            picked_at=self.bot.clock.now(),
            reason="the question newcomers ask most",
        )
        self.rules.add_pick(self.c.id, pick)
        self.say("")
        self.lines(
            view.note(
                self.label(),
                f"the jury picks @{row.username}'s question for {jury.category.title} "
                f"(`contestbot jury pick {self.c.id} {jury.category.id} {row.tweet_id} --rank 1 "
                "...`); until then the category only had a shortlist",
            )
        )

    def board(self, title: str) -> None:
        self.say("")
        self.lines(view.board(title, self.bot.standings(), self.bot.entries(), self.memory))

    def after_cycle(self) -> None:
        for warning in self.bot.warnings:
            self.say(f"{self.label()}  ! {warning}")
        self.bot.warnings.clear()
        if self.frozen_digest is None and self.rules.current(self.c.id) is not None:
            self.freeze()
        if self.bot.approve_winners():
            self.say("")
            self.lines(
                view.note(
                    self.label(),
                    "the winners announcement is planned and waits for an organiser's approval "
                    "(`contestbot outbox approve ID`): the demo approves it",
                )
            )
        self.show_posts()
        self.show_late_likes()

    def show_posts(self) -> None:
        posted = self.sandbox.posted
        if len(posted) == self.posts_seen:
            return
        where: dict[str, tuple[str, str, str]] = {}
        for entry in OutboxStore(self.bot.store).entries():
            n = len(entry.post.parts)
            for i, tweet_id in enumerate(entry.post.posted_ids):
                part = f", part {i + 1}/{n}" if n > 1 else ""
                where[tweet_id] = (entry.post.kind, entry.post.lang, part)
        for p in posted[self.posts_seen :]:
            kind, lang, part = where.get(p["id"], ("post", "?", ""))
            text = str(p["text"])
            self.say("")
            self.lines(view.post(kind, lang, text, weighted_length(text), self.label(), part))
        self.posts_seen = len(posted)

    def show_late_likes(self) -> None:
        """Likes the scenario gives after the end. Looked at once the freeze is known, so each
        is placed against the final snapshot's time: after it they must change nothing; between
        the end and it (a slow machine) they are in the snapshot, as on X, which dates no like."""
        if self.frozen_at is None:
            return
        applied = self.player.applied
        for event, _ in applied[self.events_seen :]:
            when = self.t.start + timedelta(seconds=event.at)
            if event.action != "like" or when < self.c.end or not event.target:
                continue
            rec = self.player.world.get(self.player.refs.get(event.target, event.target))
            who = rec.author_username if rec else event.target
            label = f"{view.offset(when, self.t.start)} [{self.t.real_elapsed():5.1f}s]"
            if when < self.frozen_at:
                self.say(
                    f"{label}  {event.count} likes on @{who}'s entry before the final snapshot"
                )
                continue
            if not self.late:
                self.say("")
            self.late.append((who, event.count))
            self.say(f"{label}  {event.count} late likes on @{who}'s entry, after the freeze")
        self.events_seen = len(applied)

    def freeze(self) -> None:
        stored = self.rules.current(self.c.id)
        assert stored is not None
        self.frozen_digest = stored.digest
        self.frozen_at = stored.result.frozen_at
        self.frozen_standings = stored.result.standings
        self.say(view.banner(f"{self.label()}  the deadline: the freeze"))
        self.board("   the frozen standings:")
        check = verify_stored(self.c.id, store=self.bot.store)
        self.lines(
            view.freeze(
                frozen_at=stored.result.frozen_at,
                start=self.t.start,
                entries=len(stored.result.inputs),
                digest=stored.digest,
                verified=check.ok,
                problems=[p for v in check.versions for p in v.problems],
            )
        )
        self.say("\n   the rules at work:")
        query = build_search_queries(self.c.hashtags)[0]
        self.lines(
            view.rules_at_work(
                self.c,
                stored.result.standings,
                self.bot.entries(),
                retweets=self.retweets(),
                query=query,
            )
        )

    def retweets(self) -> list[tuple[str, str]]:
        """(retweeter, original author) of every retweet the scenario made."""
        out = []
        for event, created in self.player.applied:
            rec = self.player.world.get(created) if event.action == "retweet" else None
            original = self.player.world.get(rec.retweet_of) if rec and rec.retweet_of else None
            if rec and original:
                out.append((rec.author_username, original.author_username))
        return out

    # ---------------------------------------------------------------------------------- finale

    def finale(self, db: Path, config_path: Path) -> None:
        if self.frozen_digest is None:
            raise DemoFailed(
                "the competition was never frozen (see the errors above); the database "
                f"{db} holds what the bot stored"
            )
        self.say(view.banner(f"{self.label()}  late likes"))
        # Read the metrics once more, as a bot still running would: the late likes reach the
        # store, and the standings must not move.
        self.bot.poller.refresh([self.c.id], CycleReport(started_at=self.bot.clock.now()))
        entries = self.bot.entries()
        raw = compute_standings(self.c, entries, now=self.bot.clock.now(), bot_username=BOT)
        shown = self.bot.standings()
        current = self.rules.current(self.c.id)
        verified = verify_stored(self.c.id, store=self.bot.store).ok
        unchanged = (
            current is not None
            and current.digest == self.frozen_digest
            and shown == self.frozen_standings
        )
        self.lines(view.late_likes(self.late, raw, shown, unchanged=unchanged, verified=verified))
        self.say(view.banner("the posts the bot made (as the sandbox received them)"))
        self.lines(view.posts_summary(OutboxStore(self.bot.store).entries(), self.sandbox.posted))
        self.say(view.banner("final standings"))
        self.lines(view.standings_block(shown, tops={"likes": self.c.leaderboard_top}))
        problems = self.self_check(shown, entries, unchanged and verified)
        self.say(view.banner("self-check"))
        self.lines(view.checks(problems, real=self.t.real_elapsed()))
        self.lines(view.next_steps(db, config_path, self.c.id, cli_commands()))
        if problems:
            raise DemoFailed(f"{len(problems)} self-check(s) failed (listed above)")

    def self_check(self, shown: Standings, entries: list[Entry], frozen_ok: bool) -> list[str]:
        ranked = [(cs.category.id, r) for cs in shown.categories for r in cs.entries]
        refs = self.player.refs
        problems: list[str] = []
        if self.frozen_digest is None:
            problems.append("the competition was never frozen")
        if not frozen_ok:
            problems.append("the frozen result changed after the freeze, or does not verify")
        for cat, r in ranked:
            if r.username == "igf_org":
                problems.append(f"the organiser @igf_org ranks in {cat}")
            if r.key == refs.get("i"):
                problems.append(f"the deleted entry of @ivan_p ranks in {cat}")
        retweet_ids = {c for e, c in self.player.applied if e.action == "retweet" and c}
        if any(e.key in retweet_ids or e.tweet.is_retweet for e in entries):
            problems.append("a retweet was stored as an entry")
        julia = [r for cat, r in ranked if cat == "most-liked" and r.username == "julia_n"]
        if len(julia) != 1:
            problems.append(f"the edited entry of @julia_n ranks {len(julia)} times in most-liked")
        if not any(r.tie == self.c.tie_rule for _, r in ranked):
            problems.append(f"no tie was ordered by the {self.c.tie_rule!r} rule")
        jury = [cs for cs in shown.categories if cs.category.kind == "jury"]
        if any(cs.awaiting_jury or not cs.winners for cs in jury):
            problems.append("the jury category has no jury-picked winner in the frozen result")
        sent = OutboxStore(self.bot.store).entries(states=("sent",))
        langs = {e.post.lang for e in sent if e.post.kind == "reminder"}
        if not {"en", "fr"} <= langs:
            problems.append(f"reminders posted in {sorted(langs)}, not en and fr")
        winners = [e for e in sent if e.post.kind == "winners"]
        posted = {str(p["id"]) for p in self.sandbox.posted}
        if len(winners) != 1 or not set(winners[0].post.posted_ids) <= posted:
            problems.append(f"{len(winners)} winners announcement(s) reached the sandbox, not 1")
        return problems


def cli_commands() -> tuple[str, ...]:
    """The CLI's subcommands, so the demo only suggests commands that exist."""
    import argparse

    from bot.cli.main import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return tuple(action.choices)
    return ()
