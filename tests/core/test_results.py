"""Frozen results: the freeze, canonical bytes and digest, verify, the certificate and its
independent reader (scripts/verify_certificate.py, run as a subprocess), the pre-announcement
check."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.core.models import Category, Competition, Eligibility, Entry, Metrics
from bot.core.resultjson import canonical_bytes, committed_document
from bot.core.results import (
    CERTIFICATE_SCHEMA,
    FrozenResult,
    as_of_snapshots,
    canonical_json,
    certificate,
    committed_json,
    describe_delay,
    digest,
    freeze,
    load_result,
    recheck_winners,
    recompute,
    result_from_document,
    verify,
)
from bot.core.scoring import JuryPick, seed_commitment
from tests.core.rulesdata import END, competition, population

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_certificate.py"


def rules() -> Competition:
    return competition(
        Category("most-liked", "likes", winners=2),
        Category("most-replied", "replies", replies_mode="distinct", audience="both"),
        Category(
            "reach", "weighted", weights=(("likes", 1.0), ("replies", 1.5)), audience="outside"
        ),
        Category("best-question", "jury", questions_only=True),
        tie_rule="random",
        tie_seed="fall-2026-seed",
        eligibility=Eligibility(min_followers=3, one_prize_per_author=True),
    )


def crowd() -> list[Entry]:
    return population(120, seed=11)


def frozen(entries: list[Entry] | None = None, **kw: object) -> FrozenResult:
    """Freeze the crowd (or `entries`) with a jury pick and a disqualification chosen by key order,
    so the same entries in another order are frozen with the same picks."""
    es = sorted(crowd() if entries is None else entries, key=lambda e: (len(e.key), e.key))
    question = next(e for e in es if "?" in e.post.text and e.author.username.startswith("user"))
    picks = [JuryPick("best-question", question.key, 1, "orga", END, "asks what matters")]
    args: dict[str, object] = {
        "frozen_at": END,
        "jury_picks": picks,
        "bot_username": "contestbot",
        "disqualified": {es[3].key: "bought likes"},
    }
    args.update(kw)
    return freeze(rules(), es, **args)  # type: ignore[arg-type]


def tamper_likes(result: FrozenResult, key: str, likes: int) -> FrozenResult:
    inputs = tuple(
        replace(f, metrics=replace(f.metrics, likes=likes)) if f.key == key else f
        for f in result.inputs
    )
    return replace(result, inputs=inputs)


def test_the_freeze_records_its_time_the_delay_and_the_standings_it_computed() -> None:
    on_time = frozen()
    assert on_time.frozen_at == END and on_time.freeze_delay_seconds == 0
    late = frozen(frozen_at=END + timedelta(minutes=17, seconds=3, microseconds=500))
    assert late.freeze_delay_seconds == 17 * 60 + 3
    assert late.frozen_at.microsecond == 0
    assert (on_time.freeze_delay_reason, late.freeze_delay_reason) == ("on-time", "bot-not-running")
    seconds = frozen(frozen_at=END + timedelta(seconds=60))
    assert (seconds.freeze_delay_seconds, seconds.freeze_delay_reason) == (60, "on-time")
    assert describe_delay(0, "on-time") == "on time"
    assert describe_delay(60, "on-time") == "on time (60 s after the deadline)"
    assert describe_delay(17 * 60 + 3, "bot-not-running").startswith(
        "17 min 3 s after the deadline: the bot was not running at the deadline"
    )
    assert describe_delay(7200, "bot-not-running").startswith("2 h after the deadline")
    assert load_result(canonical_json(late)) == late  # the reason survives the round trip
    assert on_time.standings == recompute(on_time)
    assert on_time.rules["tie_seed_commitment"] == seed_commitment("fall-2026-seed")


def test_the_freeze_scores_the_final_snapshot_not_what_was_read_later() -> None:
    es = crowd()
    later = [replace(e, post=replace(e.post, metrics=Metrics(likes=1000))) for e in es]
    snap = {e.key: (e.post.metrics, END) for e in es[1:]}
    entries = as_of_snapshots(later, snap)
    assert [e.post.metrics for e in entries[1:]] == [e.post.metrics for e in es[1:]]
    assert entries[0].post.metrics.likes == 1000  # no snapshot row: late-indexed, kept as read
    assert {e.metrics_at for e in entries[1:]} == {END}
    late_at = END + timedelta(minutes=2)
    entries[0] = replace(entries[0], metrics_at=late_at)
    result = frozen(entries)
    late = [f.key for f in result.inputs if result.is_late_indexed(f)]
    assert late == [es[0].key]
    assert canonical_json(result).count(b'"late_indexed":true') == 1


def test_likes_arriving_after_the_freeze_do_not_change_the_frozen_result() -> None:
    es = crowd()
    result = frozen(es)
    winner = result.standings.categories[0].entries[-1].key  # the last one gets a late rush
    later = [
        replace(e, post=replace(e.post, metrics=Metrics(likes=10_000))) if e.key == winner else e
        for e in es
    ]
    assert frozen(later).standings != result.standings  # a fresh freeze would see the rush
    assert recompute(result) == result.standings  # the frozen one keeps its snapshot
    assert verify(result, recorded_digest=digest(result)).ok


def test_freeze_and_digest_do_not_depend_on_input_order() -> None:
    es = crowd()
    shuffled = list(es)
    random.Random(3).shuffle(shuffled)
    assert frozen(es) == frozen(shuffled)
    assert digest(frozen(es)) == digest(frozen(shuffled))


def test_canonical_json_is_sorted_compact_utf8_with_z_times_and_integers() -> None:
    result = frozen()
    raw = canonical_json(result)
    text = raw.decode("utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert doc["frozen_at"] == "2026-11-08T10:00:00Z"
    scores = [r["score"] for c in doc["standings"]["categories"] for r in c["ranked"]]
    assert any(isinstance(x, float) for x in scores)  # 1.5 x replies
    assert all(isinstance(x, int) or not x.is_integer() for x in scores)
    assert doc["rules"]["categories"][2]["weights"] == [["likes", 1], ["replies", 1.5]]
    assert load_result(raw) == result
    # Version 3: the digest is over the committed form, each text by its SHA-256.
    committed = json.loads(committed_json(result))
    assert digest(result) == hashlib.sha256(committed_json(result)).hexdigest()
    assert committed_json(result) == canonical_bytes(committed_document(doc))
    for full, kept in zip(doc["inputs"]["entries"], committed["inputs"]["entries"], strict=True):
        assert "text" not in kept
        assert kept["text_sha256"] == hashlib.sha256(full["text"].encode()).hexdigest()
        assert {k: v for k, v in full.items() if k != "text"} == {
            k: v for k, v in kept.items() if k != "text_sha256"
        }
    assert committed_document(committed) == committed  # idempotent


def test_a_changed_text_changes_the_digest_of_a_version_3_result(tmp_path: Path) -> None:
    result = frozen()
    cert = certificate(result)
    cert["result"]["inputs"]["entries"][0]["text"] += " (edited after the freeze)"
    assert run_verifier(write_certificate(tmp_path, cert)).returncode == 1
    # A certificate carrying only the texts' hashes (as a public results page does) verifies.
    cert = certificate(result)
    cert["result"] = json.loads(committed_json(result))
    done = run_verifier(write_certificate(tmp_path, cert))
    assert done.returncode == 0, done.stdout + done.stderr


def test_verify_matches_an_untouched_result_and_detects_a_tampered_metric_row() -> None:
    result = frozen()
    recorded = digest(result)
    assert verify(result, recorded_digest=recorded).ok
    top = result.standings.categories[0].entries[-1]
    tampered = tamper_likes(result, top.key, 9_999)
    report = verify(tampered, recorded_digest=recorded)
    assert not report.ok
    assert report.problems[0].startswith("digest: recorded")
    assert any(p.startswith("category most-liked:") for p in report.problems)
    # Even without a recorded digest, the stored standings no longer follow from the inputs.
    assert not verify(tampered).ok


def test_verify_detects_tampered_standings() -> None:
    result = frozen()
    cats = result.standings.categories
    first = replace(cats[0], winners=(cats[0].entries[-1].key,))
    forged = replace(result, standings=replace(result.standings, categories=(first, *cats[1:])))
    report = verify(forged)
    assert not report.ok and "winners stored" in report.problems[0]


def test_recheck_replaces_a_winner_deleted_since_the_freeze_with_the_next_entry() -> None:
    result = frozen()
    liked = result.standings.categories[0]
    first, second, third = (r.key for r in liked.entries[:3])
    standings, replacements = recheck_winners(result, {first: "deleted"})
    new = standings.categories[0]
    assert new.winners == (second, third)
    mine = [r for r in replacements if r.category_id == "most-liked"]
    assert len(mine) == 1
    assert (mine[0].removed_key, mine[0].replacement_key) == (first, third)
    assert "deleted since the freeze" in mine[0].reason
    unchanged, none = recheck_winners(result, {first: "active"})
    assert unchanged == result.standings and none == []


def write_certificate(tmp_path: Path, cert: dict[str, object]) -> Path:
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(cert, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run_verifier(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True, timeout=60
    )


def test_the_independent_reader_verifies_an_exported_certificate(tmp_path: Path) -> None:
    result = frozen()
    cert = certificate(result)
    assert cert["schema"] == CERTIFICATE_SCHEMA and cert["digest"] == digest(result)
    done = run_verifier(write_certificate(tmp_path, cert))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(
        f"VERIFIED fall-2026 frozen 2026-11-08T10:00:00Z digest {digest(result)}"
    )
    assert "best-question: winners" in done.stdout


def test_the_independent_reader_fails_a_tampered_certificate(tmp_path: Path) -> None:
    cert = certificate(frozen())
    doc = cert["result"]
    assert isinstance(doc, dict)
    top = doc["standings"]["categories"][0]["ranked"][0]["key"]
    row = next(e for e in doc["inputs"]["entries"] if e["key"] == top)
    row["metrics"]["likes"] = 0
    done = run_verifier(write_certificate(tmp_path, cert))
    assert done.returncode == 1
    assert "MISMATCH" in done.stdout and "digest:" in done.stdout
    # A forger who also rewrites the digest is caught by the recomputation.
    cert["digest"] = hashlib.sha256(canonical_bytes(committed_document(doc))).hexdigest()
    done = run_verifier(write_certificate(tmp_path, cert))
    assert done.returncode == 1
    assert "digest:" not in done.stdout and "category most-liked: line 1" in done.stdout


def test_the_independent_reader_refuses_a_file_that_is_not_a_certificate(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"schema": "something/else"}', encoding="utf-8")
    done = run_verifier(path)
    assert done.returncode == 2 and "not a readable contestbot certificate" in done.stderr


def test_the_independent_reader_agrees_on_every_tie_rule_and_rule_set(tmp_path: Path) -> None:
    es = population(150, seed=5)
    for tie in ("earliest", "shared", "random"):
        for per_author in (True, False):
            c = replace(
                rules(),
                tie_rule=tie,
                eligibility=Eligibility(
                    allow_replies=per_author,
                    min_account_age_days=7 if per_author else 0,
                    languages=("en", "de") if per_author else (),
                    one_entry_per_author=per_author,
                    one_prize_per_author=not per_author,
                ),
            )
            result = freeze(
                c, es, frozen_at=END, bot_username="contestbot", requalified=[es[0].key]
            )
            done = run_verifier(write_certificate(tmp_path, certificate(result)))
            assert done.returncode == 0, (tie, per_author, done.stdout)


# ---------------------------------------------------------------------- results frozen before

LEGACY = Path(__file__).parents[1] / "data" / "legacy_result_v1.json"


def test_a_result_frozen_before_the_counting_fixes_still_verifies_as_it_was(
    tmp_path: Path,
) -> None:
    """A contestbot.result/1 certificate (zero scores ranked, repliers as usernames) reads back,
    re-serialises to the very bytes it was hashed from, and verifies under its own rules, in the
    bot and in the independent reader: the new rules never rewrite an old result."""
    cert = json.loads(LEGACY.read_text(encoding="utf-8"))
    result = result_from_document(cert["result"])
    assert result.schema == "contestbot.result/1"
    assert digest(result) == cert["digest"]
    assert verify(result, recorded_digest=cert["digest"]).ok
    zero = [r for c in result.standings.categories for r in c.entries if r.score == 0]
    assert zero  # what version 1 ranked; version 2 would exclude them (below-minimum)
    done = run_verifier(write_certificate(tmp_path, cert))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("VERIFIED fall-2026")
    # Tampering is still caught in a version 1 result.
    doc = cert["result"]
    runner_up = doc["standings"]["categories"][1]["ranked"][-1]["key"]  # most-discussed, last
    row = next(e for e in doc["inputs"]["entries"] if e["key"] == runner_up)
    row["repliers"] = ["mallory", "trudy", "eve"]
    cert["digest"] = hashlib.sha256(canonical_bytes(committed_document(doc))).hexdigest()
    assert run_verifier(write_certificate(tmp_path, cert)).returncode == 1
    assert not verify(result_from_document(doc)).ok


def test_a_new_result_is_version_3_and_carries_the_reply_records(tmp_path: Path) -> None:
    result = frozen()
    doc = certificate(result)["result"]
    assert doc["schema"] == "contestbot.result/3"
    assert all("min_score" in c and "repliers" in c for c in doc["rules"]["categories"])
    assert all(isinstance(r, dict) for e in doc["inputs"]["entries"] for r in e["repliers"])
    assert all("below_minimum" in c for c in doc["standings"]["categories"])
    assert load_result(canonical_json(result)) == result


def test_a_version_2_result_keeps_its_digest_over_the_texts(tmp_path: Path) -> None:
    from bot.core.resultjson import V2_SCHEMA

    result = replace(frozen(), schema=V2_SCHEMA)
    assert digest(result) == hashlib.sha256(canonical_json(result)).hexdigest()
    assert committed_json(result) == canonical_json(result)
    assert load_result(canonical_json(result)) == result
    assert verify(result, recorded_digest=digest(result)).ok
    done = run_verifier(write_certificate(tmp_path, certificate(result)))
    assert done.returncode == 0, done.stdout + done.stderr
