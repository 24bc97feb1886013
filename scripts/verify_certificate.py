#!/usr/bin/env python3
"""Verify a contestbot results certificate with the Python standard library only.

An independent reader: it does not import the bot. It checks that the certificate's digest is the
SHA-256 of the canonical serialisation of its "result" object (docs/RESULTS.md), that the tie seed
matches its published commitment, and recomputes, from the certificate's inputs and rules alone,
every category's ranking (eligibility rules, the repliers' rules of distinct-repliers scores,
minimum scores, tie rule, one entry per author, one prize per author, audiences, jury picks), its
winners and the excluded entries, and compares them with what the certificate publishes. It reads
every result version: contestbot.result/3 (whose digest commits to the entries' texts by their
SHA-256, so a certificate may carry either the texts or only their `text_sha256`), /2 and the
earlier /1 (no minimum scores, no replier rules, repliers as bare usernames).

    python scripts/verify_certificate.py certificate.json

Exit 0: verified. Exit 1: the certificate does not verify (each difference printed). Exit 2: the
file cannot be read as a certificate.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

SCHEMA = "contestbot.certificate/1"
RESULT_SCHEMAS = ("contestbot.result/3", "contestbot.result/2", "contestbot.result/1")
TEXT_COMMITTED = ("contestbot.result/3",)
LIFTABLE = {"disqualified", "account-too-new", "too-few-followers", "language"}
NEUTRAL_LANGS = {"und", "zxx", "qme", "qht", "qam", "qct", "qst"}


def canonical(value: Any) -> Any:
    """Integral numbers as integers (the canonical form), recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def canonical_bytes(value: Any) -> bytes:
    text = json.dumps(
        canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def committed(result: dict[str, Any]) -> dict[str, Any]:
    """What the digest covers: from version 3 on, each entry's text replaced by its SHA-256."""
    if result.get("schema") not in TEXT_COMMITTED:
        return result
    entries = []
    for entry in result.get("inputs", {}).get("entries", []):
        e = dict(entry)
        if "text" in e:
            e["text_sha256"] = hashlib.sha256(str(e.pop("text")).encode("utf-8")).hexdigest()
        entries.append(e)
    return {**result, "inputs": {**result.get("inputs", {}), "entries": entries}}


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def handle(h: str) -> str:
    return unicodedata.normalize("NFKC", h).strip().lstrip("@＠").casefold()


def tag(t: str) -> str:
    return unicodedata.normalize("NFKC", t).strip().lstrip("#").casefold()


def key_order(key: str) -> tuple[int, str]:
    return (len(key), key)


def failed_rules(
    rules: dict[str, Any], e: dict[str, Any], dq: dict[str, str], rq: set[str]
) -> list[str]:
    """Every eligibility rule code entry `e` fails."""
    el = rules["eligibility"]
    out = []
    if not (rules["start"] <= e["created_at"] < rules["end"]):  # same ISO format: string order
        out.append("outside-window")
    tags = {tag(t) for t in rules["hashtags"]}
    accounts = {handle(a) for a in rules["accounts"]}
    if (tags or accounts) and not (tags & set(e["hashtags"]) or accounts & set(e["mentions"])):
        out.append("no-tracked-tag")
    if e["is_retweet"]:
        out.append("retweet")
    if e["is_reply"] and not el["allow_replies"]:
        out.append("reply-not-allowed")
    if e["is_quote"] and not el["allow_quotes"]:
        out.append("quote-not-allowed")
    user = handle(e["username"])
    if user in {handle(a) for a in rules["excluded_accounts"]}:
        out.append("excluded-account")
    if user in {handle(a) for a in rules["organisers"]}:
        out.append("organiser")
    if rules["bot_username"] is not None and user == handle(rules["bot_username"]):
        out.append("bot-account")
    if e.get("bot_command"):
        out.append("bot-command")
    if el["min_account_age_days"] > 0 and (
        e["author_created_at"] is None
        or when(rules["start"]) - when(e["author_created_at"])
        < timedelta(days=el["min_account_age_days"])
    ):
        out.append("account-too-new")
    if e["followers"] < el["min_followers"]:
        out.append("too-few-followers")
    langs = {lang.casefold() for lang in el["languages"]}
    lang = (e["lang"] or "und").casefold()
    if langs and lang not in NEUTRAL_LANGS and lang not in langs:
        out.append("language")
    if e["status"] == "deleted":
        out.append("deleted")
    if e["status"] == "protected" or e["author_protected"]:
        out.append("protected")
    if e["key"] in dq:
        out.append("disqualified")
    if e["key"] in rq:
        out = [code for code in out if code not in LIFTABLE]
    return out


def never_repliers(rules: dict[str, Any], outside_only: bool) -> set[str]:
    """Handles whose replies never count: organisers, excluded accounts, the bot (and, for the
    jury's outside engagement, community members)."""
    skip = {handle(h) for h in rules["organisers"] + rules["excluded_accounts"]}
    if rules["bot_username"] is not None:
        skip.add(handle(rules["bot_username"]))
    if outside_only:
        skip |= {handle(h) for h in rules["community"] + rules["organisers"]}
    return skip


def counts(
    rules: dict[str, Any], cat: dict[str, Any], e: dict[str, Any], r: Any, skip: set[str]
) -> bool:
    """Whether reply `r` to entry `e` counts among the category's distinct repliers (`skip`:
    `never_repliers`)."""
    if isinstance(r, str):  # contestbot.result/1: a bare username
        return handle(r) not in skip and handle(r) != handle(e["username"])
    who = handle(r["username"])
    if r["created_at"] >= rules["end"]:
        return False
    if (r["author_id"] and r["author_id"] == e["author_id"]) or who == handle(e["username"]):
        return False
    if who in skip:
        return False
    need = cat.get("repliers", {"min_account_age_days": 0, "min_followers": 0})
    if need["min_account_age_days"] > 0 and (
        r["author_created_at"] is None
        or when(rules["start"]) - when(r["author_created_at"])
        < timedelta(days=need["min_account_age_days"])
    ):
        return False
    return bool(r["followers"] >= need["min_followers"])


def score(rules: dict[str, Any], cat: dict[str, Any], e: dict[str, Any]) -> float:
    def metric(name: str, outside_only: bool = False) -> int:
        if name == "replies" and cat["replies_mode"] == "distinct":
            who = {}
            skip = never_repliers(rules, outside_only)
            for r in e["repliers"]:
                if counts(rules, cat, e, r, skip):
                    name_of = handle(r if isinstance(r, str) else r["username"])
                    ident = name_of if isinstance(r, str) else (r["author_id"] or name_of)
                    who[ident] = name_of
            return len(set(who.values()))
        return int(e["metrics"][name])

    if cat["kind"] in ("likes", "replies", "quotes", "reposts"):
        return float(metric(cat["kind"]))
    if cat["kind"] == "weighted":
        total = 0.0
        for name, weight in cat["weights"]:
            total += weight * metric(name)
        return total
    if cat["kind"] == "jury":
        return float(metric("likes") + metric("replies", outside_only=True))
    raise ValueError(f"unknown category kind {cat['kind']!r}")


Line = dict[str, Any]
LINE_KEYS = ("rank", "key", "score", "tie", "audience", "audience_rank", "jury_rank")


def rank_category(
    rules: dict[str, Any],
    cat: dict[str, Any],
    eligible: list[dict[str, Any]],
    picks: list[dict[str, Any]],
    won: set[str],
    excluded: set[tuple[str, str | None, str]],
) -> tuple[list[Line], list[str], bool, int]:
    """One category's lines (LINE_KEYS of each published line), winners, awaiting-jury flag and
    how many candidates scored under the minimum; adds the category's exclusions to `excluded`."""
    community = {handle(h) for h in rules["community"] + rules["organisers"]}
    side = {
        e["key"]: "community" if handle(e["username"]) in community else "outside" for e in eligible
    }
    el = rules["eligibility"]
    candidates = []
    for e in eligible:
        jury = cat["kind"] == "jury"
        if cat["audience"] == "outside" and side[e["key"]] == "community":
            excluded.add((e["key"], cat["id"], "community-author"))
        elif jury and cat["questions_only"] and not e["question"]:
            excluded.add((e["key"], cat["id"], "not-a-question"))
        elif jury and cat["replies_to_organisers_only"] and not e["reply_to_organiser"]:
            excluded.add((e["key"], cat["id"], "not-reply-to-organiser"))
        elif el["one_prize_per_author"] and e["author_id"] in won:
            excluded.add((e["key"], cat["id"], "already-won"))
        else:
            candidates.append(e)
    scores = {e["key"]: score(rules, cat, e) for e in candidates}
    latest: dict[str, int] = {}
    if cat["kind"] == "jury":
        for p in sorted(picks, key=lambda p: (p["picked_at"], p["judge"], p["rank"])):
            if p["category_id"] == cat["id"]:
                latest[p["key"]] = p["rank"]
    minimum = float(cat.get("min_score", 0))  # version 1 rules had no minimum
    below = [e for e in candidates if scores[e["key"]] < minimum and e["key"] not in latest]
    excluded.update((e["key"], cat["id"], "below-minimum") for e in below)
    candidates = [e for e in candidates if e not in below]

    def group(e: dict[str, Any]) -> tuple[int, float]:
        k = e["key"]
        return (0, float(latest[k])) if k in latest else (1, -scores[k])

    def order(e: dict[str, Any]) -> tuple[Any, ...]:
        if rules["tie_rule"] == "random":
            text = f"{rules['tie_seed']}:{cat['id']}:{e['key']}"
            tiebreak = hashlib.sha256(text.encode("utf-8")).hexdigest()
        else:
            tiebreak = e["created_at"]
        return (*group(e), tiebreak, *key_order(e["key"]))

    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()
    for e in sorted(candidates, key=order):
        if el["one_entry_per_author"] and e["author_id"] in seen:
            excluded.add((e["key"], cat["id"], "not-authors-best"))
            continue
        seen.add(e["author_id"])
        ordered.append(e)

    def ranks(rows: list[dict[str, Any]]) -> list[tuple[int, bool]]:
        groups = [group(e) for e in rows]
        out: list[tuple[int, bool]] = []
        first = 0
        for i, g in enumerate(groups):
            if i == 0 or g != groups[i - 1]:
                first = i
            tied = (i > 0 and groups[i - 1] == g) or (i + 1 < len(groups) and groups[i + 1] == g)
            out.append((first + 1 if rules["tie_rule"] == "shared" else i + 1, tied))
        return out

    side_rank: dict[str, int] = {}
    if cat["audience"] == "both":
        for part in ("community", "outside"):
            mine = [e for e in ordered if side[e["key"]] == part]
            side_rank.update({e["key"]: r for e, (r, _) in zip(mine, ranks(mine), strict=True)})
    lines = [
        {
            "rank": r,
            "key": e["key"],
            "score": scores[e["key"]],
            "tie": rules["tie_rule"] if tied else None,
            "audience": side[e["key"]],
            "audience_rank": side_rank.get(e["key"]),
            "jury_rank": latest.get(e["key"]),
        }
        for e, (r, tied) in zip(ordered, ranks(ordered), strict=True)
    ]
    jury = cat["kind"] == "jury"
    winners = [
        x["key"]
        for x in lines
        if x["rank"] <= cat["winners"] and (not jury or x["jury_rank"] is not None)
    ]
    awaiting = jury and not any(x["jury_rank"] is not None for x in lines)
    return lines, winners, awaiting, len(below)


def check(cert: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    result = cert["result"]
    computed = hashlib.sha256(canonical_bytes(committed(result))).hexdigest()
    if computed != cert["digest"]:
        problems.append(
            f"digest: the certificate says {cert['digest']} but its result hashes to {computed}"
        )
    if result.get("schema") not in RESULT_SCHEMAS:
        expected = " or ".join(RESULT_SCHEMAS)
        problems.append(f"result schema {result.get('schema')!r}, expected {expected}")
    rules, inputs, published = result["rules"], result["inputs"], result["standings"]
    seed = rules["tie_seed"]
    if (
        seed is not None
        and hashlib.sha256(seed.encode("utf-8")).hexdigest() != rules["tie_seed_commitment"]
    ):
        problems.append("tie seed: its SHA-256 differs from the published commitment")
    if rules["tie_rule"] == "random" and not seed:
        problems.append("tie rule 'random' without a seed")
        return problems
    entries = inputs["entries"]
    if len({e["key"] for e in entries}) != len(entries):
        problems.append("inputs: an entry key appears twice")
    dq = {d["key"]: d["reason"] for d in inputs["disqualified"]}
    rq = set(inputs["requalified"])
    community = {handle(h) for h in rules["community"] + rules["organisers"]}
    excluded: set[tuple[str, str | None, str]] = set()
    eligible: list[dict[str, Any]] = []
    for e in sorted(entries, key=lambda e: key_order(e["key"])):
        side = "community" if handle(e["username"]) in community else "outside"
        if e["audience"] != side:
            problems.append(
                f"entry {e['key']}: audience {e['audience']!r} but the rules make it {side!r}"
            )
        failed = failed_rules(rules, e, dq, rq)
        excluded.update((e["key"], None, code) for code in failed)
        if not failed:
            eligible.append(e)
    pub_cats = {c["id"]: c for c in published["categories"]}
    won: set[str] = set()
    authors = {e["key"]: e["author_id"] for e in entries}
    # One prize per author is resolved at the deadline: a result is frozen at or after it.
    resolved = result["frozen_at"] >= rules["end"]
    for cat in rules["categories"]:
        lines, winners, awaiting, below = rank_category(
            rules, cat, eligible, inputs["jury_picks"], won, excluded
        )
        if resolved:
            won.update(authors[k] for k in winners)
        pub = pub_cats.get(cat["id"])
        if pub is None:
            problems.append(f"category {cat['id']}: not published")
            continue
        got = [{k: float(x[k]) if k == "score" else x[k] for k in LINE_KEYS} for x in pub["ranked"]]
        if got != lines:
            for i, (a, b) in enumerate(zip(got, lines, strict=False), start=1):
                if a != b:
                    problems.append(
                        f"category {cat['id']}: line {i} published {a} but recomputed {b}"
                    )
                    break
            else:
                problems.append(
                    f"category {cat['id']}: {len(got)} lines published, {len(lines)} recomputed"
                )
        if pub["winners"] != winners:
            problems.append(
                f"category {cat['id']}: winners published {pub['winners']} but recomputed {winners}"
            )
        if pub["awaiting_jury"] != awaiting:
            problems.append(f"category {cat['id']}: awaiting_jury published {pub['awaiting_jury']}")
        if pub.get("below_minimum", below) != below:
            problems.append(
                f"category {cat['id']}: below_minimum published {pub['below_minimum']} but "
                f"recomputed {below}"
            )
    pub_x = {(x["key"], x["category"], x["rule"]) for x in published["exclusions"]}
    for k, c, r in sorted(pub_x ^ excluded, key=lambda t: (key_order(t[0]), t[1] or "", t[2])):
        where = "published only" if (k, c, r) in pub_x else "recomputed only"
        problems.append(f"exclusion {r} of {k} in {c or 'every category'}: {where}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as fh:
            cert = json.load(fh)
        if cert.get("schema") != SCHEMA:
            raise ValueError(f"schema {cert.get('schema')!r}, expected {SCHEMA!r}")
        problems = check(cert)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(
            f"{args[0]}: not a readable contestbot certificate ({type(exc).__name__}: {exc})",
            file=sys.stderr,
        )
        return 2
    result = cert["result"]
    if problems:
        print(f"MISMATCH {result['competition_id']} frozen {result['frozen_at']}")
        for p in problems:
            print(f"  {p}")
        return 1
    print(
        f"VERIFIED {result['competition_id']} frozen {result['frozen_at']} digest {cert['digest']}"
    )
    for c in result["standings"]["categories"]:
        state = " (awaiting the jury)" if c["awaiting_jury"] else ""
        if not c["ranked"] and c.get("below_minimum"):
            state = " (no entry reached the minimum score)"
        print(f"  {c['id']}: winners {', '.join(c['winners']) or '-'}{state}")
    for span in result.get("uncollected", []):
        print(f"  not collected (outside X's 7-day search): {span['from']} to {span['until']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
