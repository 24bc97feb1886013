"""`contestbot outbox`: what the bot has posted, will post, skipped or failed to post, with each
post's text, due time and estimated cost; `outbox approve ID` releases a post held by an approval
gate (e.g. the winners announcement); `outbox preview [ID|--upcoming]` prints the exact text of
posts to come, part by part, with their weighted lengths (twitter-text v3, out of 280).

`--upcoming` also composes what the config will add to the outbox but the bot has not planned yet
(reminders before the first `contestbot run`, the launch post, every leaderboard slot still ahead
and the winners announcement), without storing it. Posts not due yet are composed with the
standings as they are now and say so; before the freeze the winners preview carries a placeholder
digest. Each post shows its due time in UTC and in its event's or competition's zone.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.args import row_id
from bot.cli.context import Context, UsageError
from bot.cli.output import Cell, Listing, add_format_option, emit
from bot.core.outbox import OutboxPost
from bot.core.textlength import MAX_WEIGHTED_LENGTH, weighted_length
from bot.core.timefmt import iso_z
from bot.core.timing import zone

if TYPE_CHECKING:
    from bot.posting.planner import Preview
    from bot.store.outbox import OutboxEntry, OutboxStore

STATES = ("pending", "approved", "sending", "sent", "skipped", "failed", "cancelled")
COLUMNS = ("id", "state", "kind", "lang", "due_at", "parts", "cost_usd", "text", "note", "key")
TEXT_SHOWN = 48


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "outbox",
        help="list the bot's posts (pending, sent, skipped, failed); approve or preview them",
        description="List every post in the outbox with its state, kind, language, due time "
        "(UTC), number of thread parts, estimated pay-per-use cost, text and the last error or "
        "reason it was skipped. Sub-commands approve a gated post or preview texts.",
    )
    p.add_argument("--state", choices=STATES, help="only posts in this state")
    add_format_option(p)
    p.set_defaults(func=list_outbox)
    actions = p.add_subparsers(dest="action", metavar="ACTION", help="what to do with a post")
    a = actions.add_parser(
        "approve",
        help="approve a post that waits for approval (e.g. the winners announcement)",
        description="Approve post ID (from `contestbot outbox`): the bot sends it on its next "
        "cycle (within the grace from now). Only a pending post of a gated kind can be approved.",
    )
    a.add_argument(
        "id", metavar="ID", type=row_id, help="the post's id, as `contestbot outbox` shows"
    )
    a.add_argument("--by", metavar="NAME", help="who approves (default: $USER)")
    a.set_defaults(func=approve)
    v = actions.add_parser(
        "preview",
        help="print the exact text of a post, or of every upcoming post, with weighted lengths",
        description="Print each part of post ID (or of every post still to go out, with "
        "--upcoming, the default) exactly as it will be posted, with its weighted length out of "
        "280, state, due time and estimated cost. Nothing is posted.",
    )
    v.add_argument("id", metavar="ID", type=row_id, nargs="?", help="the post's id (optional)")
    v.add_argument(
        "--upcoming",
        action="store_true",
        help="every post not yet sent, including those the config will plan (the default)",
    )
    add_format_option(v)
    v.set_defaults(func=preview)


@contextmanager
def open_outbox(ctx: Context, *, write: bool = False) -> Iterator[OutboxStore]:
    """The outbox of the bot's database, closed on exit. Writing commands upgrade the schema
    first (as `run` does); reading ones need an existing, current database."""
    from bot.app import existing_store, open_store
    from bot.store.outbox import OutboxStore

    settings = ctx.settings()
    if write:
        store = open_store(settings)
        try:
            store.upgrade()
        except BaseException:
            store.close()
            raise
    else:
        store = existing_store(settings)
    try:
        yield OutboxStore(store)
    finally:
        store.close()


def one_line(text: str, width: int = TEXT_SHOWN) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def entry_document(e: OutboxEntry) -> dict[str, Any]:
    p = e.post
    return {
        "id": p.id,
        "key": p.key,
        "state": p.state,
        "kind": p.kind,
        "lang": p.lang,
        "scope": e.scope,
        "period": e.period,
        "due_at": iso_z(p.due_at),
        "starts_at": iso_z(p.starts_at),
        "parts": list(p.parts),
        "weighted_lengths": [weighted_length(t) for t in p.parts],
        "posted_ids": list(p.posted_ids),
        "reply_to": p.reply_to,
        "cost_usd": str(e.cost),
        "needs_approval": p.needs_approval,
        "approved_at": iso_z(p.approved_at),
        "approved_by": e.approved_by,
        "attempts": p.attempts,
        "next_attempt_at": iso_z(p.not_before),
        "last_error": p.last_error,
        "sent_at": iso_z(e.sent_at),
        "created_at": iso_z(e.created_at),
    }


def _note(p: OutboxPost) -> str | None:
    if p.needs_approval and p.approved_at is None and p.state == "pending":
        return "waits for `outbox approve`"
    return p.last_error


def list_outbox(ctx: Context) -> int:
    with open_outbox(ctx) as outbox:
        entries = outbox.entries(states=[ctx.args.state] if ctx.args.state else [])
    empty = "the outbox is empty" + (f" (state {ctx.args.state})" if ctx.args.state else "")
    return write_entries(ctx, entries, empty=empty)


def write_entries(ctx: Context, entries: Sequence[Any], *, empty: str) -> int:
    """The outbox listing shared by `outbox` and `post list`: a table, CSV, or the
    `contestbot.outbox/1` JSON document; `empty` is what the table form says when there is none."""

    def row(e: Any, text: str) -> list[Cell]:
        p = e.post
        cells: list[Cell] = [p.id, p.state, p.kind, p.lang, iso_z(p.due_at), len(p.parts)]
        return [*cells, str(e.cost), text, _note(p), p.key]

    return emit(
        ctx.out,
        ctx.args.format,
        Listing(
            document=lambda: {
                "schema": "contestbot.outbox/1",
                "posts": [entry_document(e) for e in entries],
            },
            columns=COLUMNS,
            rows=lambda: [row(e, one_line(e.post.parts[0])) for e in entries],
            csv_rows=lambda: [row(e, e.post.parts[0]) for e in entries],  # the whole text
            empty=empty,
        ),
    )


def approve(ctx: Context) -> int:
    from bot.store.outbox import OutboxError

    by = ctx.args.by or ctx.environ.get("USER") or "organiser"
    with open_outbox(ctx, write=True) as outbox:
        try:
            entry = outbox.approve(ctx.args.id, by=by, now=ctx.clock.now())
        except OutboxError as exc:
            raise UsageError(str(exc)) from None
    ctx.out.write(
        f"approved post {entry.post.id} ({entry.post.key}) by {by}; the bot sends it on its "
        "next cycle\n"
    )
    return 0


def local_time(when: datetime, zone_name: str) -> str | None:
    """`when` on the wall clock of `zone_name` ("2026-10-25 15:00 CET"); None for UTC."""
    if zone_name == "UTC":
        return None
    return when.astimezone(zone(zone_name)).strftime("%Y-%m-%d %H:%M %Z")


def preview(ctx: Context) -> int:
    with open_outbox(ctx) as outbox:
        items = _preview_items(ctx, outbox)
    docs = [
        {
            "id": v.post.id,
            "key": v.post.key,
            "kind": v.post.kind,
            "lang": v.post.lang,
            "state": state,
            "due_at": iso_z(v.post.due_at),
            "zone": v.zone,
            "due_local": local_time(v.post.due_at, v.zone),
            "cost_usd": cost,
            "note": v.note,
            "parts": [{"text": t, "weighted_length": weighted_length(t)} for t in v.post.parts],
        }
        for v, cost, state in items
    ]
    rows: list[list[Cell]] = [
        [
            v.post.id,
            v.post.key,
            v.post.kind,
            v.post.lang,
            state,
            iso_z(v.post.due_at),
            v.zone,
            local_time(v.post.due_at, v.zone),
            cost,
            v.note,
            i,
            weighted_length(text),
            text,
        ]
        for v, cost, state in items
        for i, text in enumerate(v.post.parts, 1)
    ]
    return emit(
        ctx.out,
        ctx.args.format,
        Listing(
            document=lambda: {"schema": "contestbot.preview/1", "posts": docs},
            columns=PREVIEW_COLUMNS,
            rows=lambda: rows,
            text=lambda: _preview_text(items),
        ),
    )


PREVIEW_COLUMNS = (
    "id",
    "key",
    "kind",
    "lang",
    "state",
    "due_at",
    "zone",
    "due_local",
    "cost_usd",
    "note",
    "part",
    "weighted_length",
    "text",
)
"""`outbox preview --format csv`: one row per part of each post."""


def _preview_text(items: list[tuple[Preview, str, str]]) -> str:
    if not items:
        return "nothing upcoming\n"
    out: list[str] = []
    for v, cost, state in items:
        p = v.post
        ident = f"#{p.id}" if p.id is not None else "(new)"
        local = local_time(p.due_at, v.zone)
        where = f" ({local}, {v.zone})" if local else ""
        out.append(
            f"{ident} {p.key} [{state}] due {iso_z(p.due_at)}{where} · {p.kind} · {p.lang} · "
            f"est. ${cost}\n"
        )
        if v.note:
            out.append(f"note: {v.note}\n")
        for i, text in enumerate(p.parts, 1):
            out.append(
                f"--- part {i}/{len(p.parts)}: {weighted_length(text)}/{MAX_WEIGHTED_LENGTH}\n"
                f"{text}\n"
            )
        out.append("\n")
    return "".join(out)


def _preview_items(ctx: Context, outbox: OutboxStore) -> list[tuple[Preview, str, str]]:
    """(preview, estimated cost, state) of post ID, or of every upcoming post by due time: those
    in the outbox still to go out, then what the config will plan (read-only: nothing stored)."""
    from bot.posting.planner import Planner, Preview, StoredResults

    config = ctx.config()
    planner = Planner(
        outbox.store,
        config=config,
        results=StoredResults(outbox.store),
        bot_username=config.bot.username,
        read_only=True,
    )
    if ctx.args.id is not None:
        entry = outbox.get(ctx.args.id)
        if entry is None:
            raise UsageError(
                f"no post {ctx.args.id} in the outbox; list them with `contestbot outbox`"
            )
        return [
            (
                Preview(entry.post, planner.zone_of(entry.post.key)),
                str(entry.cost),
                entry.post.state,
            )
        ]
    items = [
        (Preview(e.post, planner.zone_of(e.post.key)), str(e.cost), str(e.post.state))
        for e in outbox.entries(states=("pending", "approved", "sending"))
    ]
    for v in planner.upcoming(ctx.clock.now()):
        items.append((v, str(v.post.cost(planner.posting.prices)), "not planned yet"))
    return sorted(items, key=lambda item: (item[0].post.due_at, item[0].post.key))
