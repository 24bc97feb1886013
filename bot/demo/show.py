"""The demo's timeline (`contestbot demo`): one bot cycle every two simulated minutes, and what
the audience sees happen: leaderboards with their changes, posts reaching the sandbox, the end and
its late grace (a provisional board when a late-indexed post enters), the freeze with the rules at
work, late likes that change nothing; then the finale and the self-check whose failure makes the
demo exit 1, naming what is wrong. The self-check holds the outcome to the scenario's truth: every
prize won by a real margin, no printed score of 0, the late-indexed entries on the board and in
the frozen result, the edited entry scored once on its newest version, live and frozen
(`bot.demo.check`, from the `Evidence` this module gathers). `bot.demo.run` builds the pieces;
`bot.demo.view` renders the text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.models import Competition, Entry
from bot.core.results import FrozenResult
from bot.core.scoring import JuryPick, compute_standings
from bot.core.textlength import weighted_length
from bot.demo import view
from bot.demo.check import Edit, Evidence, LatePost, Printed, render, self_check
from bot.demo.stage import BOARD_EVERY, BOT, POLL_EVERY, DemoBot, DemoFailed, Timeline
from bot.freezer import verify_stored
from bot.polling.poller import CycleReport
from bot.report.gather import gather
from bot.report.job import reports_root
from bot.report.write import Written, write_report
from bot.sandbox import Sandbox, ScenarioPlayer
from bot.store.outbox import OutboxStore
from bot.store.rules import RulesStore
from bot.x.queries import build_search_queries

JURY_AT = timedelta(hours=1, minutes=50)  # simulated time of the jury's pick
JURY_CHOICE = "nosy_nina"


class Show:
    """The demo's timeline: run a bot cycle every `POLL_EVERY` of simulated time and print what
    happened (leaderboards, posts, the end and its late grace, the freeze, late likes); then the
    finale and the self-check."""

    def __init__(
        self,
        timeline: Timeline,
        competition: Competition,
        sandbox: Sandbox,
        player: ScenarioPlayer,
        bot: DemoBot,
        say: Callable[[str], None],
        *,
        commands: tuple[str, ...] = (),
    ) -> None:
        self.commands = commands  # the CLI's subcommands: what the finale may suggest
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
        self.frozen_at: datetime | None = None  # the final snapshot's time
        self.froze_at: datetime | None = None  # when the freeze itself ran
        self.ended = False
        self.picked = False
        self.frozen: FrozenResult | None = None
        self.late: list[tuple[str, int]] = []  # (username, likes) arriving after the snapshot
        self.printed: list[Printed] = []
        self.deadline_likes: dict[str, int] = {}  # tweet id -> likes in the sandbox at the end

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
            now = clock.now()
            if now >= self.c.end and not self.deadline_likes:
                self.deadline_likes = self.sandbox_likes()
            self.after_cycle()
            if not self.picked and now >= self.t.start + JURY_AT:
                self.jury_pick()
            if now < self.c.end and now >= next_board:
                self.board(
                    f"{self.label()}  leaderboard: {len(self.bot.entries())} entries,"
                    f" {len(self.sandbox.requests)} API requests so far",
                    "live",
                )
                while next_board <= now:
                    next_board += BOARD_EVERY
            elif self.ended and self.frozen is None and self.has_newcomer():
                self.board(
                    f"{self.label()}  provisional standings, in the late grace (they freeze at "
                    f"{view.offset(self.c.end + self.c.late_grace, self.t.start)}):",
                    "provisional",
                )
            wait = min(began + POLL_EVERY, self.t.end) - clock.now()
            clock.sleep(wait.total_seconds())
        self.after_cycle()

    def sandbox_likes(self) -> dict[str, int]:
        """Every tweet's likes in the sandbox now (the truth the frozen scores are checked on)."""
        world = self.player.world
        with world.lock:
            return {t.id: t.likes for t in world.tweets.values()}

    def has_newcomer(self) -> bool:
        excluded = {x.key for x in self.bot.standings().exclusions if x.category is None}
        return any(e.key not in self.memory.seen | excluded for e in self.bot.entries())

    def index_delays(self) -> dict[str, timedelta]:
        """Tweet id -> how long after its creation the sandbox made it searchable (late ones)."""
        return {
            created: timedelta(seconds=event.index_delay)
            for event, created in self.player.applied
            if created and event.index_delay > 0
        }

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
            reason="the question the panel most wants answered",
        )
        self.rules.add_pick(self.c.id, pick)
        self.say("")
        self.lines(
            view.note(
                self.label(),
                f"the jury picks @{row.username}'s question for {jury.category.title} "
                f"(`contestbot jury pick {self.c.id} {jury.category.id} {row.post_id} --rank 1 "
                "...`); until then the category only had a shortlist",
            )
        )

    def board(self, title: str, phase: str) -> None:
        standings = self.bot.standings()
        context = view.BoardContext(self.t.start, self.c.end, BOT, self.index_delays())
        self.printed.append(Printed(self.bot.clock.now(), phase, standings))
        self.say("")
        self.lines(view.board(title, standings, self.bot.entries(), self.memory, context))

    def after_cycle(self) -> None:
        for warning in self.bot.warnings:
            self.say(f"{self.label()}  ! {warning}")
        self.bot.warnings.clear()
        final = self.rules.final_snapshot(self.c.id)
        if not self.ended and final is not None:
            self.ended = True
            self.say(view.banner(f"{self.label()}  the end"))
            self.lines(
                view.para(
                    f"final snapshot of {final.entries} entries at "
                    f"{view.offset(final.taken_at, self.t.start)}: the metrics the prizes are "
                    f"decided on. The freeze waits {view.duration(self.c.late_grace)} (the late "
                    "grace) for posts created before the end that X indexes late, then re-scans "
                    "the whole window.",
                    hang="   ",
                )
            )
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
        if self.frozen_at is None or self.froze_at is None:
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
            after = "the freeze" if when >= self.froze_at else "the final snapshot"
            self.say(f"{label}  {event.count} late likes on @{who}'s entry, after {after}")
        self.events_seen = len(applied)

    def freeze(self) -> None:
        stored = self.rules.current(self.c.id)
        assert stored is not None
        self.frozen_digest = stored.digest
        self.frozen = stored.result
        self.frozen_at = stored.result.frozen_at
        self.froze_at = stored.created_at
        self.say(view.banner(f"{self.label()}  the freeze"))
        self.board("   the frozen standings:", "frozen")
        check = verify_stored(self.c.id, store=self.bot.store)
        self.lines(
            view.freeze(
                result=stored.result,
                start=self.t.start,
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
                stored.result,
                self.bot.entries(),
                retweets=self.retweets(),
                query=query,
                nested_replies=self.nested_replies(),
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

    def nested_replies(self) -> list[tuple[str, str, str]]:
        """(replier, the reply's author, the entry's author) of the replies made to a reply
        under an entry before the end: in the entry's conversation, credited to no entry."""
        world = self.player.world
        entries = {e.key: e for e in self.bot.entries()}
        out = []
        with world.lock:
            tweets = list(world.tweets.values())
        for t in tweets:
            entry = entries.get(t.conversation_id)
            parent = world.get(t.in_reply_to_tweet_id)
            if entry is None or parent is None or parent.conversation_id != entry.key:
                continue
            if parent.chain[0] != entry.key and t.created_at < self.c.end:
                out.append((t.author_username, parent.author_username, entry.author.username))
        return out

    # ---------------------------------------------------------------------------------- finale

    def finale(self, db: Path, config_path: Path) -> None:
        if self.frozen_digest is None or self.frozen is None:
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
            and shown == self.frozen.standings
        )
        self.lines(view.late_likes(self.late, raw, shown, unchanged=unchanged, verified=verified))
        self.say(view.banner("the posts the bot made (as the sandbox received them)"))
        self.lines(view.posts_summary(OutboxStore(self.bot.store).entries(), self.sandbox.posted))
        self.say(view.banner("final standings"))
        self.printed.append(Printed(self.bot.clock.now(), "final", shown))
        self.lines(view.standings_block(shown, tops={"likes": self.c.leaderboard_top}))
        results = self_check(self.evidence(self.frozen, entries, unchanged and verified))
        self.say(view.banner("self-check"))
        self.lines(render(results, real=self.t.real_elapsed()))
        self.say(view.banner("the organiser's report and the public results page"))
        self.lines(view.report_paths(self.write_reports(db)))
        self.lines(view.next_steps(db, config_path, self.c.id, self.commands))
        failed = [c for c in results if not c.ok]
        if failed:
            raise DemoFailed(f"{len(failed)} self-check(s) failed (listed above)")

    def write_reports(self, db: Path) -> Written:
        """Both pages (and their JSON and CSV) into the data folder's reports/, as `contestbot
        report` writes them."""
        config = self.bot.daemon.config
        data = gather(self.bot.store, config, self.c, self.bot.clock.now())
        return write_report(data, reports_root(config, db.parent))

    # ------------------------------------------------------------------------------ evidence

    def evidence(self, result: FrozenResult, entries: list[Entry], frozen_ok: bool) -> Evidence:
        """What the demo saw, for the self-check (`bot.demo.check`): the frozen result and the
        standings printed, and the scenario's truth from the sandbox (the posts it indexed late,
        the edits, the likes at the end, deletions, retweets) and the posts it received."""
        world = self.player.world
        late = []
        for key, delay in self.index_delays().items():
            rec = world.get(key)
            if rec is not None:
                late.append(
                    LatePost(key, rec.author_username, rec.created_at, rec.created_at + delay)
                )
        edits, deleted, retweets = [], set(), set()
        for event, created in self.player.applied:
            rec = world.get(self.player.refs.get(event.target or "", created or ""))
            if event.action == "edit" and rec is not None:
                edits.append(Edit(rec.author_username, tuple(rec.chain)))
            elif event.action == "delete" and rec is not None:
                deleted.add(rec.chain[0])
            elif event.action == "retweet" and created:
                retweets.add(created)
        return Evidence(
            competition=self.c,
            start=self.t.start,
            bot=BOT,
            result=result,
            frozen_ok=frozen_ok,
            froze_at=self.froze_at,
            entries=entries,
            printed=self.printed,
            late_posts=late,
            edits=edits,
            deadline_likes=self.deadline_likes,
            deleted=deleted,
            retweets=retweets,
            sent=OutboxStore(self.bot.store).entries(states=("sent",)),
            posted_ids={str(p["id"]) for p in self.sandbox.posted},
        )
