"""The JSON shape of frozen results and its canonical bytes (docs/RESULTS.md is the reference).

Converts rules (`Competition`), inputs (`EntryFacts`), jury picks and `Standings` to plain JSON
documents and back, and writes the canonical serialisation the digest is taken over: sorted keys,
no whitespace, UTF-8, datetimes as ISO-8601 UTC seconds with Z, integral numbers as integers.
Lists have a defined order: categories and weights as declared, handle lists sorted, entries and
exclusions by key. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.audience import audience_of
from bot.core.eligibility import EntryFacts, replier_rules, reply_order
from bot.core.models import (
    Category,
    CategoryStanding,
    Competition,
    Eligibility,
    Exclusion,
    Metrics,
    Ranked,
    ReplierRules,
    Reply,
    Standings,
    post_url,
)
from bot.core.scoring import JuryPick, seed_commitment
from bot.core.timefmt import iso

Json = Any
RESULT_SCHEMA = "contestbot.result/3"
"""What results are frozen as now. Version 3 (issue 11) has the document of version 2, and commits
to the entries' texts by hash: the digest is taken over the *committed form* (`committed_document`:
each entry's `text` replaced by `text_sha256`), so a public page can carry a verifiable result
without republishing what the entrants wrote."""
V2_SCHEMA = "contestbot.result/2"
"""Version 2 (issue 10) added per category the minimum score and the replier rules, per entry the
direct replies with their repliers' facts and `bot_command`, per category standing
`below_minimum`, and the result's `uncollected` spans; its digest covers the texts themselves."""
LEGACY_SCHEMA = "contestbot.result/1"
"""Results frozen before version 2 stay readable and verifiable as they were frozen: their rules
read back with no minimum score and no replier rules, their repliers as bare usernames."""
SCHEMAS = (RESULT_SCHEMA, V2_SCHEMA, LEGACY_SCHEMA)
TEXT_COMMITTED = frozenset({RESULT_SCHEMA})
"""The result versions whose digest commits to entry texts by their SHA-256."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a legacy replier's reply time (not recorded then)


def parse_time(text: str) -> datetime:
    """The inverse of `iso`: 'YYYY-MM-DDTHH:MM:SSZ' -> aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _opt_time(when: datetime | None) -> str | None:
    return None if when is None else iso(when)


def _opt_parse(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


def plain_json(value: Json) -> Json:
    """Datetimes to strings, integral floats to ints, tuples to lists, recursively."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot serialise the number {value!r} in a result")
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__} {value!r} in a result")


def canonical_bytes(document: Json) -> bytes:
    """The canonical serialisation of a JSON document (see the module docstring)."""
    text = json.dumps(
        plain_json(document),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def text_sha256(text: str) -> str:
    """How a version 3 result commits to an entry's text: lowercase hex SHA-256 of its UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def committed_document(document: Mapping[str, Json]) -> dict[str, Json]:
    """The form of a result document its digest is taken over. Version 3: each entry's `text`
    replaced by `text_sha256` (everything else as is); earlier versions: the document itself.
    Idempotent: a committed document is its own committed form."""
    doc = dict(document)
    if doc.get("schema") not in TEXT_COMMITTED:
        return doc
    inputs = dict(doc.get("inputs") or {})
    entries = []
    for entry in inputs.get("entries") or []:
        e = dict(entry)
        if "text" in e:
            e["text_sha256"] = text_sha256(str(e.pop("text")))
        entries.append(e)
    inputs["entries"] = entries
    doc["inputs"] = inputs
    return doc


# ---------------------------------------------------------------------------------------- rules


def rules_of(competition: Competition, bot_username: str | None = None) -> dict[str, Json]:
    """The competition's rules as a canonical JSON-ready dict (handle lists sorted), with each
    category's effective minimum score and replier rules (defaults resolved, so the document
    alone says what applied)."""
    c, e = competition, competition.eligibility
    rules: dict[str, Json] = plain_json(
        {
            "competition_id": c.id,
            "title": c.title,
            "start": c.start,
            "end": c.end,
            "timezone": c.timezone,
            "hashtags": sorted(c.hashtags),
            "accounts": sorted(c.accounts),
            "excluded_accounts": sorted(c.excluded_accounts),
            "organisers": sorted(c.organisers),
            "community": sorted(c.community),
            "bot_username": bot_username,
            "tie_rule": c.tie_rule,
            "tie_seed": c.tie_seed,
            "tie_seed_commitment": seed_commitment(c.tie_seed) if c.tie_seed else None,
            "leaderboard_top": c.leaderboard_top,
            "eligibility": {
                "allow_replies": e.allow_replies,
                "allow_quotes": e.allow_quotes,
                "min_account_age_days": e.min_account_age_days,
                "min_followers": e.min_followers,
                "languages": sorted(e.languages),
                "one_entry_per_author": e.one_entry_per_author,
                "one_prize_per_author": e.one_prize_per_author,
            },
            "categories": [
                {
                    "id": k.id,
                    "kind": k.kind,
                    "title": k.title,
                    "winners": k.winners,
                    "replies_mode": k.replies_mode,
                    "weights": [[name, float(w)] for name, w in k.weights],
                    "audience": k.audience,
                    "questions_only": k.questions_only,
                    "replies_to_organisers_only": k.replies_to_organisers_only,
                    "shortlist": k.shortlist,
                    "min_score": float(k.minimum),
                    "repliers": {
                        "min_account_age_days": replier_rules(c, k).min_account_age_days,
                        "min_followers": replier_rules(c, k).min_followers,
                    },
                }
                for k in c.categories
            ],
        }
    )
    return rules


def competition_from_rules(rules: Mapping[str, Json]) -> Competition:
    """Rebuild the `Competition` a rules dict describes (the inverse of `rules_of`)."""
    e = rules["eligibility"]
    return Competition(
        id=rules["competition_id"],
        title=rules["title"],
        hashtags=tuple(rules["hashtags"]),
        start=parse_time(rules["start"]),
        end=parse_time(rules["end"]),
        timezone=rules["timezone"],
        categories=tuple(
            Category(
                id=k["id"],
                kind=k["kind"],
                title=k["title"],
                winners=int(k["winners"]),
                replies_mode=k["replies_mode"],
                weights=tuple((str(n), float(w)) for n, w in k["weights"]),
                audience=k["audience"],
                questions_only=bool(k["questions_only"]),
                replies_to_organisers_only=bool(k["replies_to_organisers_only"]),
                shortlist=int(k["shortlist"]),
                # Legacy (version 1) rules had neither: no minimum, no replier rules.
                min_score=float(k.get("min_score", 0.0)),
                repliers=ReplierRules(
                    min_account_age_days=int(k.get("repliers", {}).get("min_account_age_days", 0)),
                    min_followers=int(k.get("repliers", {}).get("min_followers", 0)),
                ),
            )
            for k in rules["categories"]
        ),
        accounts=tuple(rules["accounts"]),
        excluded_accounts=tuple(rules["excluded_accounts"]),
        organisers=tuple(rules["organisers"]),
        community=tuple(rules["community"]),
        eligibility=Eligibility(
            allow_replies=bool(e["allow_replies"]),
            allow_quotes=bool(e["allow_quotes"]),
            min_account_age_days=int(e["min_account_age_days"]),
            min_followers=int(e["min_followers"]),
            languages=tuple(e["languages"]),
            one_entry_per_author=bool(e["one_entry_per_author"]),
            one_prize_per_author=bool(e["one_prize_per_author"]),
        ),
        tie_rule=rules["tie_rule"],
        tie_seed=rules["tie_seed"],
        leaderboard_top=int(rules["leaderboard_top"]),
    )


# --------------------------------------------------------------------------------------- inputs

_METRICS = ("likes", "replies", "reposts", "quotes", "bookmarks", "impressions")


def reply_document(r: Reply) -> dict[str, Json]:
    return {
        "reply_id": r.reply_id,
        "author_id": r.author_id,
        "username": r.username,
        "created_at": iso(r.created_at),
        "author_created_at": _opt_time(r.author_created_at),
        "followers": r.followers,
        "protected": r.protected,
    }


def reply_from_document(d: Mapping[str, Json]) -> Reply:
    return Reply(
        reply_id=d["reply_id"],
        author_id=d["author_id"],
        username=d["username"],
        created_at=parse_time(d["created_at"]),
        author_created_at=_opt_parse(d["author_created_at"]),
        followers=int(d["followers"]),
        protected=bool(d["protected"]),
    )


def facts_document(
    f: EntryFacts,
    competition: Competition,
    frozen_at: datetime | None = None,
    *,
    schema: str = RESULT_SCHEMA,
) -> dict[str, Json]:
    """One entry record. `late_indexed` (derived: `metrics_at` after `frozen_at`) marks an entry
    found by the final poll after the final snapshot, whose metrics were read later."""
    late = frozen_at is not None and f.metrics_at is not None and f.metrics_at > frozen_at
    if schema == LEGACY_SCHEMA:
        extra: dict[str, Json] = {"repliers": sorted({r.username for r in f.repliers})}
    else:
        extra = {
            "repliers": [reply_document(r) for r in sorted(f.repliers, key=reply_order)],
            "bot_command": f.bot_command,
        }
    return {
        "key": f.key,
        "tweet_id": f.post_id,
        "author_id": f.author_id,
        "username": f.username,
        "created_at": iso(f.created_at),
        "status": f.status,
        "is_retweet": f.is_repost,
        "is_reply": f.is_reply,
        "is_quote": f.is_quote,
        "hashtags": list(f.hashtags),
        "mentions": list(f.mentions),
        "lang": f.lang,
        "author_created_at": _opt_time(f.author_created_at),
        "followers": f.followers,
        "author_protected": f.author_protected,
        "metrics": {m: getattr(f.metrics, m) for m in _METRICS},
        "metrics_at": _opt_time(f.metrics_at),
        "late_indexed": late,
        **extra,
        "question": f.question,
        "reply_to_organiser": f.reply_to_organiser,
        "text": f.text,
        "audience": audience_of(competition, f.username),
    }


def _replies_from_document(items: Json) -> tuple[Reply, ...]:
    """Version 2 reply records, or version 1's bare usernames (no ids, times or replier facts)."""
    out: list[Reply] = []
    for item in items:
        if isinstance(item, str):
            out.append(Reply(reply_id="", author_id="", username=item, created_at=_EPOCH))
        else:
            out.append(reply_from_document(item))
    return tuple(out)


def facts_from_document(d: Mapping[str, Json]) -> EntryFacts:
    return EntryFacts(
        key=d["key"],
        post_id=d["tweet_id"],
        author_id=d["author_id"],
        username=d["username"],
        created_at=parse_time(d["created_at"]),
        status=d["status"],
        is_repost=bool(d["is_retweet"]),
        is_reply=bool(d["is_reply"]),
        is_quote=bool(d["is_quote"]),
        hashtags=tuple(d["hashtags"]),
        mentions=tuple(d["mentions"]),
        lang=d["lang"],
        author_created_at=_opt_parse(d["author_created_at"]),
        followers=int(d["followers"]),
        author_protected=bool(d["author_protected"]),
        metrics=Metrics(**{m: int(d["metrics"][m]) for m in _METRICS}),
        metrics_at=_opt_parse(d["metrics_at"]),
        repliers=_replies_from_document(d["repliers"]),
        question=bool(d["question"]),
        reply_to_organiser=bool(d["reply_to_organiser"]),
        text=d["text"],
        bot_command=bool(d.get("bot_command", False)),
    )


def pick_document(p: JuryPick) -> dict[str, Json]:
    return {
        "category_id": p.category_id,
        "key": p.key,
        "rank": p.rank,
        "judge": p.judge,
        "picked_at": iso(p.picked_at),
        "reason": p.reason,
    }


def pick_from_document(d: Mapping[str, Json]) -> JuryPick:
    return JuryPick(
        d["category_id"],
        d["key"],
        int(d["rank"]),
        d["judge"],
        parse_time(d["picked_at"]),
        d["reason"],
    )


# ------------------------------------------------------------------------------------ standings


def _ranked_document(r: Ranked) -> dict[str, Json]:
    return {
        "rank": r.rank,
        "key": r.key,
        "tweet_id": r.post_id,
        "author_id": r.author_id,
        "username": r.username,
        "score": plain_json(r.score),
        "created_at": iso(r.created_at),
        "audience": r.audience,
        "audience_rank": r.audience_rank,
        "jury_rank": r.jury_rank,
        "tie": r.tie,
    }


def _exclusion_document(x: Exclusion) -> dict[str, Json]:
    return {
        "key": x.key,
        "tweet_id": x.post_id,
        "username": x.username,
        "rule": x.rule,
        "reason": x.reason,
        "category": x.category,
    }


def standings_document(s: Standings, *, schema: str = RESULT_SCHEMA) -> dict[str, Json]:
    """Standings as JSON (computed_at is the result's frozen_at, not repeated)."""
    legacy = schema == LEGACY_SCHEMA
    return {
        "categories": [
            {
                "id": c.category.id,
                "winners": list(c.winners),
                "awaiting_jury": c.awaiting_jury,
                "ranked": [_ranked_document(r) for r in c.entries],
                **({} if legacy else {"below_minimum": c.below_minimum}),
            }
            for c in s.categories
        ],
        "exclusions": [_exclusion_document(x) for x in s.exclusions],
    }


def standings_from_document(
    d: Mapping[str, Json], competition: Competition, computed_at: datetime
) -> Standings:
    cats = {k.id: k for k in competition.categories}
    return Standings(
        competition.id,
        computed_at,
        tuple(
            CategoryStanding(
                cats[c["id"]],
                tuple(
                    Ranked(
                        rank=int(r["rank"]),
                        key=r["key"],
                        post_id=r["tweet_id"],
                        author_id=r["author_id"],
                        username=r["username"],
                        score=float(r["score"]),
                        created_at=parse_time(r["created_at"]),
                        url=post_url(r["username"], r["tweet_id"]),
                        audience=r["audience"],
                        audience_rank=r["audience_rank"],
                        jury_rank=r["jury_rank"],
                        tie=r["tie"],
                    )
                    for r in c["ranked"]
                ),
                tuple(c["winners"]),
                bool(c["awaiting_jury"]),
                int(c.get("below_minimum", 0)),
            )
            for c in d["categories"]
        ),
        tuple(
            Exclusion(x["key"], x["tweet_id"], x["username"], x["rule"], x["reason"], x["category"])
            for x in d["exclusions"]
        ),
    )
