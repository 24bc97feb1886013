"""The responder: answers participants who mention the bot with a command word (rank, help, in the
configured languages) with ONE reply carrying their current standing.

It makes no request to read them: the poller reads the bot's mentions timeline once per cycle (one
mentions stream per account, shared with the competitions that list the bot; the daemon adds the
bot's account as a `bot.polling.poller.MentionsReader` while it holds the posting lease) and keeps
the raw mentions in the store. The responder reads them from there, from its own cursor in the
`mention_cursors` table. For each new mention, oldest first: a tweet that does not mention the bot,
the bot's own tweets, unknown words and mentions older than `MAX_AGE` are ignored; a user already
answered within `[posting].mention_reply_period` gets nothing. The reply is composed by the pure
`bot.core.mentions` (never echoing the user's words) from the live standings
(`bot.leaderboard.standings_reader`: indexed reads of the live leaderboard before the deadline,
the frozen ones once the competition is frozen), and is queued in
the outbox as kind "mention-reply" under a key per mention tweet id, together with the user's
last-reply time and the cursor, in one transaction; the poster then sends it exactly once, as a
reply to the mention (the only tweets the 2026 reply restriction lets the bot answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from loguru import logger

from bot.clock import Clock
from bot.config import Config
from bot.core.commands import parse_command
from bot.core.mentions import (
    MAX_AGE,
    StandingLine,
    compose_command_reply,
    current_competition,
    why_unanswered,
)
from bot.core.models import Account, Post
from bot.core.outbox import OutboxPost, mention_reply_key, needs_approval
from bot.leaderboard import standings_reader
from bot.posting.planner import posting_of
from bot.store import Store
from bot.store.outbox import OutboxStore, ReplyMark
from bot.x.interface import XClient


@dataclass
class ResponderReport:
    mentions: int = 0
    queued: list[str] = field(default_factory=list)  # outbox keys
    ignored: dict[str, str] = field(default_factory=dict)  # mention id -> why


class Responder:
    def __init__(
        self,
        client: XClient,  # kept for the wiring; the responder reads mentions from the store
        store: Store,
        clock: Clock,
        *,
        config: Config,
        bot_user_id: str,
        bot_username: str,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.config = config
        self.posting = posting_of(config)
        self.outbox = OutboxStore(store, self.posting.prices)
        self.bot_user_id = bot_user_id
        self.bot_username = bot_username.lstrip("@")

    def poll(self, now: datetime | None = None) -> ResponderReport:
        """Read the new mentions the poller stored and queue the replies due. One transaction
        per run, at the end."""
        now = now or self.clock.now()
        report = ResponderReport()
        since = self.outbox.mention_cursor(self.bot_user_id)
        # Older mentions would be ignored as too old: the store need not return them.
        ordered, users = self.store.mentions(
            self.bot_user_id, since_id=since, created_from=now - MAX_AGE
        )
        report.mentions = len(ordered)
        posts, marks = self._replies(ordered, users, now, report)
        newest = ordered[-1].id if ordered else since
        self.outbox.queue_replies(self.bot_user_id, posts, marks, since_id=newest, now=now)
        report.queued = [p.key for p in posts]
        if posts:
            logger.info("responder: {} reply(ies) queued", len(posts))
        return report

    def _replies(
        self,
        mentions: list[Post],
        users: dict[str, Account],
        now: datetime,
        report: ResponderReport,
    ) -> tuple[list[OutboxPost], list[ReplyMark]]:
        last = self.outbox.last_replies(t.author_id for t in mentions)
        competition = current_competition(self.config.competitions, now)
        langs = self.posting.languages
        posts: list[OutboxPost] = []
        marks: list[ReplyMark] = []
        place_of = None  # made at the first command that needs it
        me = self.bot_username.casefold()
        for t in mentions:
            author = users.get(t.author_id)
            command = parse_command(t.full_text, self.bot_username, langs)
            why = why_unanswered(
                from_bot=t.author_id == self.bot_user_id,
                mentions_bot=me in (m.casefold() for m in t.mentions),
                author_known=author is not None,
                created_at=t.created_at,
                has_command=command is not None,
                has_competition=competition is not None,
                last_reply_at=last.get(t.author_id),
                now=now,
                period=self.posting.mention_reply_period,
            )
            if why is not None or command is None or author is None or competition is None:
                report.ignored[t.id] = why or "ignored"
                continue
            standing: Sequence[StandingLine] = ()
            if command.name != "help":
                if place_of is None:
                    place_of = standings_reader(
                        self.store, competition, now, bot_username=self.bot_username
                    )
                standing = place_of(author)
            text = compose_command_reply(
                command.name,
                author.username,
                command.lang,
                competition,
                self.posting.templates,
                standing,
                now,
            )
            posts.append(
                OutboxPost(
                    key=mention_reply_key(t.id, command.lang),
                    kind="mention-reply",
                    lang=command.lang,
                    parts=(text,),
                    due_at=now,
                    reply_to=t.id,
                    needs_approval=needs_approval("mention-reply", self.posting.approval),
                )
            )
            marks.append(ReplyMark(t.author_id, author.username, t.id))
            last[t.author_id] = now
        return posts, marks
