"""`contestbot report` and `contestbot chart` as organisers run them, on a campaign the real shell
built (tests/report/kit.py): the files written, the JSON documents' figures against the stored
data, privacy of the public page, the certificate checked by the independent script, the CSV
tables, the chart PNGs, and bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.report.render import embed
from tests.cli.conftest import Cli
from tests.report.kit import Campaign, build

ROOT = Path(__file__).parents[2]
VERIFIER = ROOT / "scripts" / "verify_certificate.py"


@pytest.fixture
def campaign(cli: Cli, sandbox: Any, clock: ManualClock) -> Campaign:
    return build(cli, sandbox, clock)


def report(cli: Cli, *argv: str) -> Path:
    out = cli.tmp_path / "out"
    code, _, err = cli("report", *argv, "-o", str(out))
    assert code == 0, err
    return out


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def figures(doc: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for s in doc["analysis"]["sections"] for f in s["figures"]}


def table(doc: dict[str, Any], key: str) -> list[list[Any]]:
    for s in doc["analysis"]["sections"]:
        for t in s["tables"]:
            if t["key"] == key:
                return t["rows"]
    raise KeyError(key)


def test_report_writes_both_pages_json_and_csv_and_prints_the_paths(
    cli: Cli, campaign: Campaign
) -> None:
    out = cli.tmp_path / "out"
    code, stdout, err = cli("report", "spring", "-o", str(out))
    assert code == 0, err
    folder = out / "spring"
    assert f"organiser report {folder / 'report.html'}" in stdout
    assert f"public results page {folder / 'results.html'}" in stdout
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {
        "report.html",
        "report.json",
        "results.html",
        "results.json",
        "certificate.json",
        "csv/standings.csv",
        "csv/exclusions.csv",
        "csv/outbox.csv",
        "csv/figures.csv",
        "csv/growth.csv",
        "csv/audience.csv",
        "csv/partners.csv",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_the_organiser_document_holds_standings_exclusions_outbox_spend_and_analysis(
    cli: Cli, campaign: Campaign
) -> None:
    doc = load(report(cli, "spring") / "spring" / "report.json")
    assert doc["schema"] == "contestbot.report/1"
    assert doc["competition"]["state"] == "frozen"
    assert doc["competition"]["timezone"] == "Europe/Paris"
    liked = doc["standings"]["categories"][0]
    assert [(r["username"], r["score"], r["winner"]) for r in liked["entries"]] == [
        ("alice", 9, True),
        ("member1", 7, True),
        ("bob", 5, False),
        ("carol", 2, False),
        ("member2", 1, False),
    ]
    assert any(x["username"] == "orga" and x["rule"] for x in doc["exclusions"])
    assert doc["results"][0]["version"] == 1 and doc["results"][0]["intact"]
    (sent,) = doc["outbox"]
    assert sent["kind"] == "reminder" and sent["state"] == "sent"
    assert sent["posted_ids"] == [campaign.ids["reminder"]]
    assert sent["engagement"]["likes"] == 6  # the tracker's latest snapshot (4, then 6)
    assert doc["spend"]["month_requests"] >= 0 and "method" in doc["spend"]

    f = figures(doc)
    assert f["entries"] == 5  # orga's post is excluded competition-wide
    assert f["unique_authors"] == 5
    assert f["total_likes"] == 9 + 5 + 7 + 1 + 2
    assert f["total_replies"] == 2
    assert f["returning_authors"] == 2  # alice and member1 entered winter
    assert f["new_authors"] == 3
    assert f["community_authors"] == 2 and f["outside_authors"] == 3
    # engagement: alice 9, bob 5+2, carol 2 outside; member1 7, member2 1 community
    assert f["outside_engagement_share"] == round(100 * 18 / 26, 1)
    assert f["reach_estimate"] == 120 + 40 + 300 + 10 + 5
    assert f["bot_posts"] == 1 and f["organiser_posts"] >= 1
    assert f["previous_competition"] == "winter"
    langs = {r[0]: r[1] for r in table(doc, "languages")}
    assert langs == {"en": 3, "fr": 1, "de": 1}
    tags = {r[0]: r[1] for r in table(doc, "hashtags")}
    assert tags == {"#Spring": 4, "#IGF": 2}
    assert table(doc, "partners") == [["@partnerorg", 1, 20.0, 7]]
    change = {r[0]: r for r in table(doc, "change")}
    assert change["entries"] == ["entries", 5, 2, 150.0]
    per_hour = dict(table(doc, "entries_per_hour"))
    # posted from 01:00 UTC after the start; Paris is UTC+1 in September
    assert sum(per_hour.values()) == 5


def test_the_public_document_has_no_texts_and_its_embedded_result_hashes_to_the_digest(
    cli: Cli, campaign: Campaign
) -> None:
    folder = report(cli, "spring") / "spring"
    public = load(folder / "results.json")
    assert public["schema"] == "contestbot.public-results/1"
    assert public["final"] and public["privacy"] == {"public_texts": False}
    assert [(w["category"], w["username"]) for w in public["winners"]] == [
        ("most-liked", "alice"),
        ("most-liked", "member1"),
        ("most-comments", "bob"),
    ]
    html = (folder / "results.html").read_text(encoding="utf-8")
    for text in ("tulips", "jonquilles", "alert(1)", "Join our webinar"):
        assert text not in html and text not in json.dumps(public)
    assert "outbox" not in public and "spend" not in public
    digest = public["result"]["digest"]
    assert public["result"]["committed_sha256"] == digest
    # the page carries exactly the committed bytes
    organiser = load(folder / "report.json")
    assert digest == organiser["results"][0]["digest"]
    _, out, _ = cli("results", "spring", "--format", "json")
    assert json.loads(out)["digest"] == digest
    cert = load(folder / "certificate.json")
    assert all("text" not in e for e in cert["result"]["inputs"]["entries"])
    committed = json.dumps(
        cert["result"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert hashlib.sha256(committed).hexdigest() == digest
    assert embed(committed) in html
    run = subprocess.run(
        [sys.executable, str(VERIFIER), str(folder / "certificate.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED spring" in run.stdout


def test_public_texts_when_the_config_says_so(cli: Cli, sandbox: Any, clock: ManualClock) -> None:
    build(cli, sandbox, clock, public_texts=True)
    folder = report(cli, "spring") / "spring"
    public = load(folder / "results.json")
    assert public["privacy"] == {"public_texts": True}
    texts = {r["username"]: r["text"] for r in public["standings"][0]["entries"]}
    assert texts["alice"] == "tulips #Spring"
    html = (folder / "results.html").read_text(encoding="utf-8")
    assert "tulips #Spring" in html
    assert "<script>alert(1)</script>" not in html  # escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_titles_and_texts_are_escaped_in_the_organiser_page(cli: Cli, campaign: Campaign) -> None:
    html = (report(cli, "spring") / "spring" / "report.html").read_text(encoding="utf-8")
    assert "Spring &amp; &lt;b&gt;photo&lt;/b&gt; contest" in html
    assert "<b>photo</b>" not in html
    assert "<script>alert" not in html


def test_report_all_and_the_default_folder_under_the_data_dir(cli: Cli, campaign: Campaign) -> None:
    code, stdout, err = cli("report", "--all")
    assert code == 0, err
    data = Path(cli.env["CONTESTBOT_DATA_DIR"])
    for cid in ("winter", "spring"):
        assert (data / "reports" / cid / "report.html").is_file()
        assert f"{cid}: organiser report" in stdout
    winter = load(data / "reports" / "winter" / "report.json")
    assert figures(winter)["previous_competition"] is None


def test_the_csv_tables_equal_the_json(cli: Cli, campaign: Campaign) -> None:
    folder = report(cli, "spring") / "spring"
    doc = load(folder / "report.json")
    rows = list(csv.DictReader(io.StringIO((folder / "csv" / "standings.csv").read_text())))
    ranked = [r for c in doc["standings"]["categories"] for r in c["entries"]]
    assert [(r["username"], r["score"]) for r in rows] == [
        (r["username"], str(r["score"])) for r in ranked
    ]
    growth = list(csv.reader(io.StringIO((folder / "csv" / "growth.csv").read_text())))
    assert growth[0] == ["at", "entries", "likes", "replies", "reposts", "quotes"]
    assert [str(v) for v in table(doc, "growth")[-1]] == growth[-1]
    figs = list(csv.DictReader(io.StringIO((folder / "csv" / "figures.csv").read_text())))
    assert {r["figure"] for r in figs} == set(figures(doc))
    assert all(r["method"] for r in figs)


def test_chart_writes_png_files(cli: Cli, campaign: Campaign) -> None:
    for which in ("standings", "growth", "entries_per_hour", "audience"):
        path = cli.tmp_path / f"{which}.png"
        code, out, err = cli("chart", "spring", "--chart", which, "-o", str(path))
        assert code == 0, err
        assert out.strip() == str(path)
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("report",), "name a COMPETITION"),
        (("report", "nope"), 'no competition "nope"'),
        (("report", "spring", "--all"), "not both"),
        (("chart", "spring", "-o", "chart.jpg"), "does not end in .png"),
        (("chart", "nope", "-o", "c.png"), 'no competition "nope"'),
        (("chart", "spring", "--top", "0", "-o", "c.png"), "below 1"),
    ],
)
def test_bad_arguments_get_one_clear_error(
    cli: Cli, campaign: Campaign, argv: tuple[str, ...], message: str
) -> None:
    code, _, err = cli(*argv)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_report_into_a_file_path_is_refused(cli: Cli, campaign: Campaign) -> None:
    blocker = cli.tmp_path / "afile"
    blocker.write_text("x")
    code, _, err = cli("report", "spring", "-o", str(blocker / "sub"))
    assert code == 2 and "is a file, not a folder" in err
