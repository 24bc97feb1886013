"""The generated pages in a real headless Chromium (Debian's `chromium`, tests/browser.py): they
render with no console error and no network, the figures shown equal the JSON, the public page's
own digest check says match for the real result and mismatch for a tampered one, and neither
page overflows a phone's width."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.report.render import embed
from tests.browser import LoadedPage
from tests.cli.conftest import Cli
from tests.report.kit import build

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(cli: Cli, sandbox: Any, clock: ManualClock) -> Path:
    build(cli, sandbox, clock)
    out = cli.tmp_path / "out"
    code, _, err = cli("report", "spring", "-o", str(out))
    assert code == 0, err
    return out / "spring"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def verdict(page: LoadedPage) -> str:
    page.page.wait_for_selector("#verify-box[data-result]", timeout=5_000)
    return str(page.page.get_attribute("#verify-box", "data-result"))


def test_the_public_page_verifies_its_own_digest(
    browser_page: LoadedPage, folder: Path, tmp_path: Path
) -> None:
    public = load(folder / "results.json")
    page = browser_page.load(folder / "results.html")
    assert verdict(page) == "match"
    status = page.page.text_content("#verify-status") or ""
    assert status.startswith("Match")
    assert page.page.text_content("#computed") == public["result"]["digest"]
    assert page.page.text_content("#digest") == public["result"]["digest"]
    canonical = json.loads(page.page.text_content("#canonical") or "")
    assert canonical["competition_id"] == "spring"
    page.assert_no_errors()
    assert page.blocked == []
    # what the page shows is what the JSON says
    winners = page.page.eval_on_selector_all(
        "[data-winner]", "els => els.map(e => [e.dataset.winner, e.querySelector('a').textContent])"
    )
    assert winners == [[w["category"], "@" + w["username"]] for w in public["winners"]]
    for cat in public["standings"]:
        shown = page.page.eval_on_selector_all(
            f'table[data-category="{cat["id"]}"] td[data-score]',
            "els => els.map(e => e.textContent)",
        )
        assert shown == [str(r["score"]) for r in cat["entries"]]
    assert "Europe/Paris" in (page.page.text_content("footer") or "")
    assert page.horizontal_overflow() == 0
    page.screenshot(tmp_path / "public-phone.png")


def _retamper(html: str, change: Any) -> str:
    """The page with its embedded result decoded, changed by `change`, and packed again."""
    match = re.search(r'data-encoding="gzip\+base64">([^<]+)<', html)
    assert match is not None
    raw = gzip.decompress(base64.b64decode(match.group(1)))
    return html.replace(match.group(1), embed(change(raw)))


def test_a_tampered_result_shows_mismatch(
    browser_page: LoadedPage, folder: Path, tmp_path: Path
) -> None:
    html = (folder / "results.html").read_text(encoding="utf-8")
    # a score in the embedded result changed: likes 9 -> 99
    tampered = tmp_path / "tampered.html"
    tampered.write_text(
        _retamper(html, lambda raw: raw.replace(b'"likes":9,', b'"likes":99,', 1)),
        encoding="utf-8",
    )
    assert tampered.read_text(encoding="utf-8") != html
    page = browser_page.load(tampered)
    assert verdict(page) == "mismatch"
    assert (page.page.text_content("#verify-status") or "").startswith("MISMATCH")
    page.assert_no_errors()


def test_a_garbled_embedded_result_shows_mismatch_without_an_uncaught_error(
    browser_page: LoadedPage, folder: Path, tmp_path: Path
) -> None:
    html = (folder / "results.html").read_text(encoding="utf-8")
    match = re.search(r'data-encoding="gzip\+base64">([^<]+)<', html)
    assert match is not None
    garbled = tmp_path / "garbled.html"
    garbled.write_text(html.replace(match.group(1), "AAAA" + match.group(1)[4:]), "utf-8")
    page = browser_page.load(garbled)
    assert verdict(page) == "mismatch"
    assert "cannot be read" in (page.page.text_content("#verify-status") or "")
    page.assert_no_errors()


def test_a_digest_changed_in_the_page_shows_mismatch(
    browser_page: LoadedPage, folder: Path, tmp_path: Path
) -> None:
    public = load(folder / "results.json")
    digest = public["result"]["digest"]
    other = ("0" if digest[0] != "0" else "1") + digest[1:]
    html = (folder / "results.html").read_text(encoding="utf-8")
    changed = tmp_path / "other-digest.html"
    changed.write_text(html.replace(f'data-digest="{digest}"', f'data-digest="{other}"'), "utf-8")
    assert verdict(browser_page.load(changed)) == "mismatch"


def test_the_organiser_page_shows_the_json_figures_and_fits_a_phone(
    browser_page: LoadedPage, folder: Path, tmp_path: Path
) -> None:
    doc = load(folder / "report.json")
    page = browser_page.load(folder / "report.html")
    page.assert_no_errors()
    assert page.blocked == []
    shown = page.page.eval_on_selector_all(
        "li[data-figure][data-value]", "els => els.map(e => [e.dataset.figure, e.dataset.value])"
    )
    expected = {f["key"]: f["value"] for s in doc["analysis"]["sections"] for f in s["figures"]}
    assert {k: json.loads(v) for k, v in shown} == expected
    texts = page.page.eval_on_selector_all(
        "li[data-figure][data-value] .value", "els => els.map(e => e.textContent)"
    )
    for (key, _), text in zip(shown, texts, strict=True):
        value = expected[key]
        assert text.startswith("–" if value is None else str(value)), (key, text)
    for cat in doc["standings"]["categories"]:
        scores = page.page.eval_on_selector_all(
            f'table[data-category="{cat["id"]}"] td[data-score]',
            "els => els.map(e => e.textContent)",
        )
        assert scores == [str(r["score"]) for r in cat["entries"]]
    # each chart has its table beside it
    charts = page.page.eval_on_selector_all(
        "figure[data-table]",
        "els => els.map(e => [!!e.querySelector('svg'), !!e.querySelector('table')])",
    )
    assert charts and all(has_table for _, has_table in charts)
    assert sum(1 for has_svg, _ in charts if has_svg) >= 6
    assert "Europe/Paris" in (page.page.text_content("footer") or "")
    assert page.horizontal_overflow() == 0
    page.screenshot(tmp_path / "organiser-phone.png")
    pdf = page.page.pdf()
    assert pdf.startswith(b"%PDF")
