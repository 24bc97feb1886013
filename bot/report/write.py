"""Shell: write one competition's report files, each atomically (a temporary file in the same
folder, then a rename), so a reader (a web server, an organiser's browser) never sees half a page.

    <dir>/<competition>/report.html      the organiser's report (self-contained)
    <dir>/<competition>/report.json      contestbot.report/1
    <dir>/<competition>/results.html     the public results page (self-contained, verifiable)
    <dir>/<competition>/results.json     contestbot.public-results/1
    <dir>/<competition>/certificate.json the public certificate (once frozen)
    <dir>/<competition>/csv/*.csv        every table: standings, exclusions, outbox, the analysis
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.cli.output import Cell, to_json, write_csv
from bot.report.document import public_certificate, public_document, report_document
from bot.report.gather import ReportData
from bot.report.render import organiser_html, public_html

CERTIFICATE = "certificate.json"
ENGAGEMENT = ("likes", "replies", "reposts", "quotes")


@dataclass(frozen=True)
class Written:
    competition_id: str
    folder: Path
    organiser: Path
    public: Path
    files: tuple[Path, ...]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    write_csv(buffer, headers, rows)
    return buffer.getvalue().encode("utf-8")


def csv_files(doc: dict[str, Any]) -> dict[str, bytes]:
    """File name -> CSV bytes for every table of the organiser document."""
    out: dict[str, bytes] = {}
    cols = ("category", "rank", "username", "score", "winner", "audience", "tie", "jury_rank")
    cols2 = ("tweet_id", "entry_key", "created_at", "url", "text")
    out["standings.csv"] = _csv(
        (*cols, *cols2),
        (
            [cat["id"], *(r[c] for c in cols[1:]), *(r.get(c) for c in cols2)]
            for cat in doc["standings"]["categories"]
            for r in cat["entries"]
        ),
    )
    xcols = ("category", "username", "tweet_id", "entry_key", "rule", "reason")
    out["exclusions.csv"] = _csv(xcols, ([x[c] for c in xcols] for x in doc["exclusions"]))
    pcols = ("category", "entry_key", "rank", "judge", "picked_at", "reason")
    out["jury_picks.csv"] = _csv(pcols, ([p[c] for c in pcols] for p in doc["jury_picks"]))
    ocols = ("id", "kind", "state", "lang", "due_at", "sent_at", "cost_usd", "key")
    out["outbox.csv"] = _csv(
        (*ocols, "posted_ids", "likes", "replies", "reposts", "quotes", "text"),
        (
            [
                *(o[c] for c in ocols),
                " ".join(o["posted_ids"]),
                *((o["engagement"] or {}).get(m) for m in ENGAGEMENT),
                o["text"],
            ]
            for o in doc["outbox"]
        ),
    )
    figures = [
        (s["key"], f["key"], f["label"], f["value"], f["unit"], f["estimate"], f["method"])
        for s in doc["analysis"]["sections"]
        for f in s["figures"]
    ]
    out["figures.csv"] = _csv(
        ("section", "figure", "label", "value", "unit", "estimate", "method"), figures
    )
    for s in doc["analysis"]["sections"]:
        for t in s["tables"]:
            out[f"{t['key']}.csv"] = _csv(t["columns"], t["rows"])
    return out


def write_report(data: ReportData, root: Path) -> Written:
    """Write every file of `data`'s competition under `root/<competition id>/`."""
    folder = root / data.competition.id
    doc = report_document(data)
    public = public_document(data)
    cert = public_certificate(data)
    committed = data.committed
    files: dict[str, bytes] = {
        "report.json": to_json(doc).encode("utf-8"),
        "results.json": to_json(public).encode("utf-8"),
        "report.html": organiser_html(doc, data.analysis).encode("utf-8"),
        "results.html": public_html(
            public, committed=committed, certificate=CERTIFICATE if cert else None
        ).encode("utf-8"),
    }
    if cert is not None:
        # compact: it is for machines, and the largest file (the whole result)
        files[CERTIFICATE] = json.dumps(cert, ensure_ascii=False, separators=(",", ":")).encode()
    for name, body in csv_files(doc).items():
        files[f"csv/{name}"] = body
    for name, body in files.items():
        atomic_write(folder / name, body)
    return Written(
        data.competition.id,
        folder,
        folder / "report.html",
        folder / "results.html",
        tuple(folder / n for n in files),
    )
