"""Organisers' decisions and the re-issues of a frozen result they cause (issue 4 items 3, 5, 6).

A `Decision` is one line of the disqualification audit log; `decision_state` reduces the log to the
current state (the latest action per entry key wins). A frozen result is written once; what may
legitimately change after the freeze is only what organisers decide (jury picks, disqualifications,
re-qualifications) and the statuses the pre-announcement re-check sees (a winner deleted since).
`revise` re-issues a result with such changes and recomputed standings, keeping the frozen rules,
metrics and snapshot times; `revision_problems` checks that a re-issue changed nothing else, and
`snapshot_problems` that the frozen metrics agree with the snapshot rows kept at the freeze.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from bot.core.models import EntryStatus, Metrics
from bot.core.results import FrozenResult, recompute
from bot.core.scoring import JuryPick, key_order
from bot.core.timefmt import iso

Action = Literal["disqualify", "requalify"]
ACTIONS: tuple[Action, ...] = ("disqualify", "requalify")
# Why a result was (re-)issued: the freeze itself, or what changed after it.
Cause = Literal["freeze", "jury", "decision", "recheck"]


@dataclass(frozen=True)
class Decision:
    """One audit-log line: `by` disqualified or re-qualified entry `key` at `at`, saying why."""

    competition_id: str
    key: str
    action: Action
    reason: str
    by: str
    at: datetime


def decision_state(decisions: Iterable[Decision]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The current state of the log: (disqualified key -> reason, re-qualified keys). The latest
    action per key wins (by `at`; equal times keep log order)."""
    latest: dict[str, Decision] = {}
    for d in sorted(decisions, key=lambda d: d.at):
        latest[d.key] = d
    disqualified = {k: d.reason for k, d in latest.items() if d.action == "disqualify"}
    requalified = tuple(
        sorted((k for k, d in latest.items() if d.action == "requalify"), key=key_order)
    )
    return disqualified, requalified


def is_repeat(decision: Decision, log: Sequence[Decision]) -> bool:
    """True when `decision` only repeats the key's current state (same action, same reason): a
    re-run command then adds nothing to the log. `log` is in log order (time, then insertion)."""
    mine = [d for d in sorted(log, key=lambda d: d.at) if d.key == decision.key]
    return bool(mine) and (mine[-1].action, mine[-1].reason) == (decision.action, decision.reason)


def revise(
    result: FrozenResult,
    *,
    jury_picks: Sequence[JuryPick] | None = None,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] | None = None,
    statuses: Mapping[str, EntryStatus] | None = None,
) -> FrozenResult:
    """`result` re-issued with the organisers' current decisions and/or entry statuses seen since
    the freeze (None keeps what the result has); standings recomputed. Rules, metrics, snapshot
    times and `frozen_at` stay those of the freeze, so later likes never enter a re-issue."""
    changed = result
    if jury_picks is not None:
        ordered = sorted(
            jury_picks,
            key=lambda p: (p.category_id, p.picked_at, p.judge, key_order(p.key), p.rank),
        )
        changed = replace(changed, jury_picks=tuple(ordered))
    if disqualified is not None:
        pairs = sorted(disqualified.items(), key=lambda kv: key_order(kv[0]))
        changed = replace(changed, disqualified=tuple(pairs))
    if requalified is not None:
        changed = replace(changed, requalified=tuple(sorted(set(requalified), key=key_order)))
    if statuses is not None:
        changed = replace(
            changed,
            inputs=tuple(replace(f, status=statuses.get(f.key, f.status)) for f in changed.inputs),
        )
    return replace(changed, standings=recompute(changed))


def revision_problems(frozen: FrozenResult, revised: FrozenResult) -> list[str]:
    """What a re-issue changed beyond what a re-issue may change (empty: a legitimate re-issue).
    Jury picks, disqualifications, re-qualifications and entry statuses may change; the rules,
    the freeze times and every other input fact may not."""
    problems: list[str] = []
    for name in (
        "competition_id",
        "frozen_at",
        "deadline",
        "freeze_delay_seconds",
        "freeze_delay_reason",
    ):
        before, after = getattr(frozen, name), getattr(revised, name)
        if before != after:
            problems.append(f"{name}: frozen {_show(before)} but re-issued with {_show(after)}")
    if dict(frozen.rules) != dict(revised.rules):
        problems.append("rules: the re-issue does not keep the rules of the freeze")
    before = {f.key: replace(f, status="active") for f in frozen.inputs}
    after = {f.key: replace(f, status="active") for f in revised.inputs}
    if before.keys() != after.keys():
        problems.append(
            f"inputs: {len(before)} entries frozen but {len(after)} in the re-issue "
            "(entries may not be added or removed after the freeze)"
        )
    for key in sorted(before.keys() & after.keys(), key=key_order):
        if before[key] != after[key]:
            problems.append(
                f"inputs: entry {key} differs from the freeze in more than its status "
                "(metrics and facts stay frozen)"
            )
    return problems


def snapshot_problems(result: FrozenResult, snapshots: Mapping[str, Metrics]) -> list[str]:
    """Differences between the result's frozen metrics and the snapshot rows the store kept at the
    same time (`snapshots`: key -> metrics of the snapshot taken at the entry's `metrics_at`).
    Entries without such a row are not compared."""
    problems: list[str] = []
    for f in result.inputs:
        row = snapshots.get(f.key)
        if row is not None and row != f.metrics:
            problems.append(
                f"metrics of entry {f.key} (@{f.username}): the result says {_short(f.metrics)} "
                f"but the snapshot taken at {_show(f.metrics_at)} says {_short(row)}"
            )
    return problems


def _show(value: object) -> str:
    """Times as whole-second ISO-8601 with Z, as every command prints them."""
    return iso(value) if isinstance(value, datetime) else str(value)


def _short(m: Metrics) -> str:
    return f"{m.likes} likes, {m.replies} replies, {m.reposts} reposts, {m.quotes} quotes"
