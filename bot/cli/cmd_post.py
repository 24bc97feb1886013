"""`contestbot post`: scheduled posts for summaries and invitations. `post schedule --at TIME
--text-file F [--lang L]` puts a text in the outbox for TIME (a thread when it does not fit one
post, split at sensible boundaries, never cut); `post list` shows the scheduled posts; `post
cancel ID` withdraws one that has not gone out.

Scheduling the same text for the same minute twice is the same post (its outbox key is made of
the time, the language and a hash of the text), so a repeated command adds nothing.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.args import read_text_file, row_id
from bot.cli.context import Context, UsageError
from bot.cli.output import add_format_option
from bot.core.timefmt import iso_z

TIME_EXAMPLE = "2026-11-02T09:00+01:00"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "post",
        help="schedule, list or cancel the organisers' own posts (summaries, invitations)",
        description="Manage scheduled posts: texts the bot posts at a given time, through the "
        "same outbox as reminders (exactly once, within the grace, approval if configured).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True, help="what to do")
    s = actions.add_parser(
        "schedule",
        help="schedule a text file to be posted at a given time",
        description="Put the text of FILE (UTF-8) in the outbox, due at TIME. A text longer "
        "than one post becomes a thread split at paragraph, line, sentence or word boundaries "
        "(never inside a URL, @mention or #hashtag). Prints the post id and weighted lengths.",
    )
    s.add_argument(
        "--at",
        required=True,
        metavar="TIME",
        help=f"when to post: ISO-8601 with an offset, e.g. {TIME_EXAMPLE} or 2026-11-02T08:00Z",
    )
    s.add_argument(
        "--text-file", required=True, metavar="FILE", help="UTF-8 file holding the text to post"
    )
    s.add_argument("--lang", default="en", metavar="L", help="language code of the text (en)")
    s.set_defaults(func=schedule)
    ls = actions.add_parser(
        "list",
        help="list scheduled posts with their state, time and text",
        description="List every scheduled post (any state) with its id, state, due time, "
        "parts, estimated cost and text.",
    )
    add_format_option(ls)
    ls.set_defaults(func=list_posts)
    c = actions.add_parser(
        "cancel",
        help="cancel a scheduled post that has not been sent",
        description="Cancel post ID (from `contestbot post list`); a post already sent, or "
        "being sent, cannot be cancelled.",
    )
    c.add_argument("id", metavar="ID", type=row_id, help="the post's id")
    c.set_defaults(func=cancel)


def parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--at {text!r} is not an ISO-8601 time; write e.g. --at {TIME_EXAMPLE}"
        ) from None
    if when.tzinfo is None:
        raise UsageError(
            f"--at {text!r} has no UTC offset; add one, e.g. --at {TIME_EXAMPLE} (or Z for UTC)"
        )
    return when.astimezone(UTC)


def schedule(ctx: Context) -> int:
    from bot.cli.cmd_outbox import open_outbox
    from bot.core.composing import make_draft
    from bot.core.events import SUPPORTED_LANGUAGES
    from bot.core.outbox import OutboxPost, needs_approval, scheduled_key
    from bot.core.threads import UnsplittableError
    from bot.posting.planner import posting_of

    when = parse_time(ctx.args.at)
    lang = ctx.args.lang.strip().lower()
    if lang not in SUPPORTED_LANGUAGES:
        raise UsageError(
            f"--lang {ctx.args.lang!r} is not a language the bot posts in; use one of "
            f"{', '.join(SUPPORTED_LANGUAGES)}"
        )
    path = Path(ctx.args.text_file)
    text = read_text_file(path, option="--text-file").strip()
    if not text:
        raise UsageError(f"--text-file {path} is empty; write the post's text in it")
    now = ctx.clock.now()
    if when < now:
        raise UsageError(f"--at {iso_z(when)} is in the past (now {iso_z(now)}); give a later time")
    try:
        draft = make_draft("scheduled", lang, text)
    except UnsplittableError as exc:
        raise UsageError(f"--text-file {path}: {exc}") from None
    posting = posting_of(ctx.config())
    post = OutboxPost(
        key=scheduled_key(when, text, lang),
        kind="scheduled",
        lang=lang,
        parts=draft.parts,
        due_at=when,
        needs_approval=needs_approval("scheduled", posting.approval),
    )
    with open_outbox(ctx, write=True) as outbox:
        added = outbox.add([post], now=now)
        entry = outbox.get(post.key)
    assert entry is not None
    lengths = ", ".join(str(n) for n in draft.lengths)
    verb = "scheduled" if added else "already scheduled"
    ctx.out.write(
        f"{verb}: post {entry.post.id} at {iso_z(when)} ({lang}), {len(draft.parts)} part(s) "
        f"of {lengths}/280 weighted characters, est. ${entry.cost}\n"
    )
    return 0


def list_posts(ctx: Context) -> int:
    from bot.cli.cmd_outbox import open_outbox, write_entries

    with open_outbox(ctx) as outbox:
        entries = outbox.entries(kinds=("scheduled",))
    return write_entries(
        ctx, entries, empty="no scheduled posts; add one with `contestbot post schedule`"
    )


def cancel(ctx: Context) -> int:
    from bot.cli.cmd_outbox import open_outbox
    from bot.store.outbox import OutboxError

    with open_outbox(ctx, write=True) as outbox:
        try:
            entry = outbox.cancel(ctx.args.id, now=ctx.clock.now())
        except OutboxError as exc:
            raise UsageError(str(exc)) from None
    ctx.out.write(f"cancelled post {entry.post.id} ({entry.post.key})\n")
    return 0
