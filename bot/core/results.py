"""Frozen results: the deadline snapshot, its canonical serialisation, digest, verification,
certificate and the pre-announcement re-check (issue 4 items 5 and 6).

A `FrozenResult` keeps everything the standings follow from: the rules (a canonical dict of the
competition), the per-entry inputs (`EntryFacts`: ids, metric values, snapshot times, statuses,
repliers, derived flags), jury picks, disqualifications, and the standings computed at the freeze.
`canonical_json` serialises it as documented in docs/RESULTS.md; `digest` is the hex SHA-256 of
that; `recompute` and `verify` rebuild the standings from the stored inputs and rules alone.
The JSON shape lives in `bot.core.resultjson`; `load_result` reads it back. Pure: times are
parameters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from bot.core.eligibility import EntryFacts, facts_of, organiser_ids
from bot.core.models import Competition, Entry, EntryStatus, Metrics, Standings
from bot.core.resultjson import (
    LEGACY_SCHEMA,
    RESULT_SCHEMA,
    SCHEMAS,
    Json,
    canonical_bytes,
    committed_document,
    competition_from_rules,
    facts_document,
    facts_from_document,
    parse_time,
    pick_document,
    pick_from_document,
    plain_json,
    rules_of,
    standings_document,
    standings_from_document,
)
from bot.core.scoring import JuryPick, key_order, standings_from_facts

CERTIFICATE_SCHEMA = "contestbot.certificate/1"
# A final snapshot this close to the deadline was taken on time: the daemon wakes at the end, and
# a lookup of a few hundred entries takes seconds. Later means the bot missed the deadline.
ON_TIME_TOLERANCE = timedelta(seconds=60)
DelayReason = Literal["on-time", "bot-not-running"]
DELAY_REASONS: tuple[DelayReason, ...] = ("on-time", "bot-not-running")
CANONICALISATION = (
    "UTF-8 JSON of the 'result' object: object keys sorted by code point, no whitespace "
    "(separators ',' and ':'), non-ASCII characters written as is (no \\u escapes), datetimes as "
    "ISO-8601 UTC 'YYYY-MM-DDTHH:MM:SSZ', integral numbers as integers, other numbers as the "
    "shortest round-trip decimal (Python repr); lists in the order docs/RESULTS.md defines. "
    "digest = lowercase hex SHA-256 of those bytes."
)


@dataclass(frozen=True)
class FrozenResult:
    """A competition's standings frozen at the deadline, with everything needed to recompute them.

    `rules` is `rules_of(competition, bot_username)` (a canonical JSON-ready dict); `inputs` holds
    one `EntryFacts` per entry, in key order. `frozen_at` is the time of the final snapshot whose
    metrics every entry carries (`metrics_at`); an entry found only by the final poll, after that
    snapshot, carries its first snapshot (a later `metrics_at`: late-indexed).
    `freeze_delay_seconds` is `frozen_at - deadline` and `freeze_delay_reason` says why: "on-time"
    within `ON_TIME_TOLERANCE`, else "bot-not-running" (the snapshot at its first chance)."""

    competition_id: str
    frozen_at: datetime
    deadline: datetime
    freeze_delay_seconds: int
    rules: Mapping[str, Any]
    inputs: tuple[EntryFacts, ...]
    jury_picks: tuple[JuryPick, ...]
    disqualified: tuple[tuple[str, str], ...]  # (key, reason), key order
    requalified: tuple[str, ...]
    standings: Standings
    freeze_delay_reason: DelayReason = "on-time"
    # Parts of the window X's search could no longer reach when the bot first searched (the
    # 7-day recent-search horizon): (from, until) spans, oldest first. Posts there were never seen.
    uncollected: tuple[tuple[datetime, datetime], ...] = ()
    schema: str = RESULT_SCHEMA  # the document version it was frozen as (resultjson.SCHEMAS)

    def is_late_indexed(self, facts: EntryFacts) -> bool:
        """Whether the entry's metrics were read after the final snapshot (found by the final
        poll for late-indexed posts): they may include a little engagement after the deadline."""
        return facts.metrics_at is not None and facts.metrics_at > self.frozen_at


@dataclass(frozen=True)
class FinalSnapshot:
    """Phase one of the freeze: when the final snapshot of a competition's entries was taken
    (whole seconds), how late after the deadline, why, and how many entries it read."""

    competition_id: str
    taken_at: datetime
    deadline: datetime
    delay_seconds: int
    reason: DelayReason
    entries: int


def delay_reason(
    deadline: datetime, taken_at: datetime, *, tolerance: timedelta = ON_TIME_TOLERANCE
) -> DelayReason:
    """ "on-time" when the final snapshot was taken within `tolerance` of the deadline."""
    return "on-time" if taken_at - deadline <= tolerance else "bot-not-running"


def describe_delay(seconds: int, reason: str) -> str:
    """How results print the freeze delay: plain about what happened, never alarming when the
    snapshot simply took a few seconds."""
    if reason == "on-time":
        return "on time" if seconds == 0 else f"on time ({seconds} s after the deadline)"
    return (
        f"{_duration(seconds)} after the deadline: the bot was not running at the deadline, so it "
        "took the final snapshot at its first chance (likes in between are counted)"
    )


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s"]
    text = " ".join(p for p in parts if p)
    return text if not text.endswith(" 0 s") else text[: -len(" 0 s")]


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `verify`: `ok` when the digest (if one was recorded) and the recomputed
    standings both match. `problems` names each difference ("rules", "inputs", a category...)."""

    ok: bool
    digest: str
    recorded_digest: str | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Replacement:
    """A change of winner made by the pre-announcement re-check."""

    category_id: str
    removed_key: str
    removed_username: str
    replacement_key: str | None
    replacement_username: str | None
    reason: str


def _whole_seconds(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(microsecond=0)


def freeze(
    competition: Competition,
    entries: Sequence[Entry],
    *,
    frozen_at: datetime,
    deadline: datetime | None = None,
    disqualified: Mapping[str, str] | None = None,
    requalified: Collection[str] = (),
    jury_picks: Sequence[JuryPick] = (),
    bot_username: str | None = None,
    reason: DelayReason | None = None,
    uncollected: Sequence[tuple[datetime, datetime]] = (),
) -> FrozenResult:
    """Freeze the standings over `entries` (their metrics those of the final snapshot taken at
    `frozen_at`). `deadline` defaults to the competition's end; the delay after it is recorded
    with `reason` (by default judged with `ON_TIME_TOLERANCE`)."""
    deadline = _whole_seconds(deadline or competition.end)
    frozen_at = _whole_seconds(frozen_at)
    org_ids = organiser_ids(competition, entries)
    facts = [facts_of(competition, e, org_ids=org_ids, bot_username=bot_username) for e in entries]
    rules = rules_of(competition, bot_username)
    base = FrozenResult(
        competition_id=competition.id,
        frozen_at=frozen_at,
        deadline=deadline,
        freeze_delay_seconds=max(0, int((frozen_at - deadline).total_seconds())),
        freeze_delay_reason=reason or delay_reason(deadline, frozen_at),
        rules=rules,
        inputs=tuple(f for f in sorted(_latest(facts), key=lambda f: key_order(f.key))),
        jury_picks=tuple(sorted(jury_picks, key=_pick_order)),
        disqualified=tuple(sorted((disqualified or {}).items(), key=lambda kv: key_order(kv[0]))),
        requalified=tuple(sorted(set(requalified), key=key_order)),
        standings=Standings(competition.id, frozen_at, ()),
        uncollected=tuple(
            sorted((_whole_seconds(a), _whole_seconds(b)) for a, b in uncollected if a < b)
        ),
    )
    return replace(base, standings=recompute(base))


def as_of_snapshots(
    entries: Sequence[Entry], snapshots: Mapping[str, tuple[Metrics, datetime]]
) -> list[Entry]:
    """`entries` with the metrics of their snapshot in `snapshots` (key -> (metrics, taken_at)):
    what the freeze scores, whatever the store has read since. Entries without one keep theirs."""
    out: list[Entry] = []
    for e in entries:
        snap = snapshots.get(e.key)
        if snap is None:
            out.append(e)
        else:
            metrics, taken_at = snap
            out.append(replace(e, post=replace(e.post, metrics=metrics), metrics_at=taken_at))
    return out


def _latest(facts: Sequence[EntryFacts]) -> list[EntryFacts]:
    by_key: dict[str, EntryFacts] = {}
    for f in facts:
        cur = by_key.get(f.key)
        if cur is None or _fresh(f) > _fresh(cur):
            by_key[f.key] = f
    return list(by_key.values())


def _fresh(f: EntryFacts) -> tuple[object, ...]:
    return (f.metrics_at is not None, f.metrics_at or f.created_at, key_order(f.post_id))


def _pick_order(p: JuryPick) -> tuple[object, ...]:
    return (p.category_id, p.picked_at, p.judge, key_order(p.key), p.rank)


def competition_of(result: FrozenResult) -> Competition:
    return competition_from_rules(result.rules)


def recompute(result: FrozenResult) -> Standings:
    """The standings that follow from the result's stored inputs and rules alone."""
    return standings_from_facts(
        competition_of(result),
        result.inputs,
        now=result.frozen_at,
        disqualified=dict(result.disqualified),
        requalified=result.requalified,
        jury_picks=result.jury_picks,
        bot_username=result.rules.get("bot_username"),
    )


def canonical_json(result: FrozenResult) -> bytes:
    """The canonical serialisation of `result` (docs/RESULTS.md), texts included: what the store
    keeps and `load_result` reads back."""
    return canonical_bytes(result_document(result))


def committed_json(result: FrozenResult) -> bytes:
    """The canonical serialisation of the result's committed form (`committed_document`: from
    version 3 on, entry texts replaced by their SHA-256): what `digest` hashes, and what a public
    results page embeds for its readers to hash."""
    return canonical_bytes(committed_document(result_document(result)))


def digest(result: FrozenResult) -> str:
    """Hex SHA-256 of `committed_json(result)`: covers rules, inputs (texts by their hash),
    picks, disqualifications and the standings."""
    return hashlib.sha256(committed_json(result)).hexdigest()


def verify(result: FrozenResult, *, recorded_digest: str | None = None) -> VerifyReport:
    """Recompute the standings from the stored inputs and rules and compare them with the stored
    standings (and the digest with `recorded_digest`, when the caller kept one at the freeze)."""
    problems: list[str] = []
    now = digest(result)
    if recorded_digest is not None and recorded_digest != now:
        problems.append(
            f"digest: recorded {recorded_digest} but the stored result hashes to {now}; "
            "rules, inputs or standings were changed after the freeze"
        )
    try:
        fresh = standings_document(recompute(result), schema=result.schema)
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"rules: the stored rules cannot be recomputed ({exc})")
        return VerifyReport(False, now, recorded_digest, tuple(problems))
    stored = standings_document(result.standings, schema=result.schema)
    problems.extend(_diff_standings(stored, fresh))
    return VerifyReport(not problems, now, recorded_digest, tuple(problems))


def _diff_standings(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    out: list[str] = []
    cats_s = {c["id"]: c for c in stored["categories"]}
    cats_f = {c["id"]: c for c in fresh["categories"]}
    for cid in sorted(cats_s.keys() | cats_f.keys()):
        s, f = cats_s.get(cid), cats_f.get(cid)
        if s is None or f is None:
            out.append(
                f"category {cid}: present only in the {'stored' if s else 'recomputed'} result"
            )
            continue
        if s["winners"] != f["winners"]:
            out.append(
                f"category {cid}: winners stored {s['winners']} but recomputed {f['winners']}"
            )
        for i, (rs, rf) in enumerate(zip(s["ranked"], f["ranked"], strict=False), start=1):
            if rs != rf:
                out.append(
                    f"category {cid}: line {i} stored {rs['key']} (rank {rs['rank']}, score "
                    f"{rs['score']}) but recomputed {rf['key']} (rank {rf['rank']}, score "
                    f"{rf['score']})"
                )
                break
        if len(s["ranked"]) != len(f["ranked"]):
            out.append(
                f"category {cid}: {len(s['ranked'])} ranked entries stored but "
                f"{len(f['ranked'])} recomputed"
            )
        if s["awaiting_jury"] != f["awaiting_jury"]:
            out.append(f"category {cid}: awaiting_jury differs")
    if stored["exclusions"] != fresh["exclusions"]:
        out.append(_diff_exclusions(stored["exclusions"], fresh["exclusions"]))
    return out


def _diff_exclusions(stored: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> str:
    """The first exclusion that differs, named with both versions."""

    def show(x: dict[str, Any] | None) -> str:
        if x is None:
            return "nothing"
        where = x["category"] or "every category"
        return f"{x['key']} @{x['username']} {x['rule']} in {where}: {x['reason']!r}"

    count = f"{len(stored)} stored, {len(fresh)} recomputed"
    for i in range(max(len(stored), len(fresh))):
        s = stored[i] if i < len(stored) else None
        f = fresh[i] if i < len(fresh) else None
        if s != f:
            return f"exclusions ({count}): item {i + 1} stored {show(s)} but recomputed {show(f)}"
    return f"exclusions ({count}) differ"


def certificate(result: FrozenResult) -> dict[str, Any]:
    """A self-contained results certificate: the canonical result document, how it is serialised,
    and its digest. scripts/verify_certificate.py checks one with the standard library only."""
    return {
        "schema": CERTIFICATE_SCHEMA,
        "canonicalisation": CANONICALISATION,
        "digest_algorithm": "sha256",
        "digest": digest(result),
        "result": result_document(result),
    }


def with_statuses(result: FrozenResult, current: Mapping[str, EntryStatus]) -> FrozenResult:
    """The result with entry statuses updated from `current` (key -> status; keys not given keep
    their frozen status) and its standings recomputed. Metrics stay frozen."""
    inputs = tuple(replace(f, status=current.get(f.key, f.status)) for f in result.inputs)
    base = replace(result, inputs=inputs)
    return replace(base, standings=recompute(base))


def recheck_winners(
    result: FrozenResult, current: Mapping[str, EntryStatus]
) -> tuple[Standings, list[Replacement]]:
    """The pre-announcement check: with the statuses seen just before announcing (`current`), a
    winner deleted or protected since the freeze gives way to the next eligible entry (frozen
    metrics; a knock-on change under one-prize-per-author is recorded too)."""
    updated = with_statuses(result, current)
    by_key = {f.key: f for f in result.inputs}
    replacements: list[Replacement] = []
    new_cats = {c.category.id: c for c in updated.standings.categories}
    for old in result.standings.categories:
        new = new_cats[old.category.id]
        lost = [k for k in old.winners if k not in new.winners]
        gained = [k for k in new.winners if k not in old.winners]
        for i, key in enumerate(lost):
            gone = by_key[key]
            status = current.get(key, gone.status)
            if status in ("deleted", "protected"):
                why = f"@{gone.username}'s winning post is {status} since the freeze"
            else:
                why = (
                    f"@{gone.username} moved: a change in an earlier category "
                    "(one prize per author)"
                )
            rep = gained[i] if i < len(gained) else None
            replacements.append(
                Replacement(
                    old.category.id,
                    key,
                    gone.username,
                    rep,
                    by_key[rep].username if rep else None,
                    why,
                )
            )
    return updated.standings, replacements


def result_from_document(document: Mapping[str, Any]) -> FrozenResult:
    """Read back a result document (`certificate(r)["result"]`, or a parsed `canonical_json`)."""
    schema = document.get("schema")
    if schema not in SCHEMAS:
        raise ValueError(
            f"not a contestbot result: schema {schema!r}, expected one of {', '.join(SCHEMAS)}"
        )
    competition = competition_from_rules(document["rules"])
    frozen_at = parse_time(document["frozen_at"])
    inputs = document["inputs"]
    return FrozenResult(
        competition_id=document["competition_id"],
        frozen_at=frozen_at,
        deadline=parse_time(document["deadline"]),
        freeze_delay_seconds=int(document["freeze_delay_seconds"]),
        freeze_delay_reason=_reason(document["freeze_delay_reason"]),
        rules=document["rules"],
        inputs=tuple(facts_from_document(d) for d in inputs["entries"]),
        jury_picks=tuple(pick_from_document(d) for d in inputs["jury_picks"]),
        disqualified=tuple((d["key"], d["reason"]) for d in inputs["disqualified"]),
        requalified=tuple(inputs["requalified"]),
        standings=standings_from_document(document["standings"], competition, frozen_at),
        uncollected=tuple(
            (parse_time(span["from"]), parse_time(span["until"]))
            for span in document.get("uncollected", ())
        ),
        schema=str(schema),
    )


def _reason(value: Any) -> DelayReason:
    for known in DELAY_REASONS:
        if value == known:
            return known
    raise ValueError(f"freeze_delay_reason {value!r} is not one of {', '.join(DELAY_REASONS)}")


def load_result(data: bytes | str) -> FrozenResult:
    """Parse `canonical_json(result)` (as the store keeps it) back into a `FrozenResult`."""
    return result_from_document(json.loads(data))


def result_document(result: FrozenResult) -> dict[str, Json]:
    """The whole frozen result as the JSON document the digest is taken over."""
    competition = competition_from_rules(result.rules)
    schema = result.schema
    extra: dict[str, Json] = {}
    if schema != LEGACY_SCHEMA:
        extra["uncollected"] = [{"from": a, "until": b} for a, b in result.uncollected]
    return cast(
        dict[str, Json],
        plain_json(
            {
                **extra,
                "schema": schema,
                "competition_id": result.competition_id,
                "frozen_at": result.frozen_at,
                "deadline": result.deadline,
                "freeze_delay_seconds": result.freeze_delay_seconds,
                "freeze_delay_reason": result.freeze_delay_reason,
                "rules": result.rules,
                "inputs": {
                    "entries": [
                        facts_document(f, competition, result.frozen_at, schema=schema)
                        for f in result.inputs
                    ],
                    "jury_picks": [pick_document(p) for p in result.jury_picks],
                    "disqualified": [{"key": k, "reason": r} for k, r in result.disqualified],
                    "requalified": list(result.requalified),
                },
                "standings": standings_document(result.standings, schema=schema),
            }
        ),
    )
