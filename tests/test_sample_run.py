"""The fineweb recipe on the bundled sample: every planted page ends where it should."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from devdata import sample
from devdata import spec as planted_spec
from pipeline.cli import main
from tests.conftest import SAMPLE_WARC
from tests.helpers.runs import check_layout_and_accounting


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    # the demo list, whose invented domains the sample plants (UT1, the default, may be installed)
    args = ["--recipe", "fineweb", "--input", str(SAMPLE_WARC), "--set", "url_filter.blocklist_dir=demo"]
    assert main(["run", "--no-progress", *args, "--output", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def pages() -> list[planted_spec.PageSpec]:
    return list(sample.sample_pages(sample.DEFAULT_PAGES, planted_spec.DEFAULT_SEED))


def _where(out: Path) -> dict[str, tuple[str, str]]:
    """url -> (stage or 'documents', reason)"""
    found = {row["url"]: ("documents", "") for row in pq.read_table(out / "documents").to_pylist()}
    for stage_dir in (out / "rejected").iterdir():
        for row in pq.read_table(stage_dir).to_pylist():
            found[row["url"]] = (row["stage"], row["reason"])
    return found


def _urls(pages: list[planted_spec.PageSpec], kind: str) -> list[str]:
    urls = [p.url for p in pages if p.kind == kind]
    assert urls, f"the sample has no {kind} page"
    return urls


def test_accounting_and_skips(demo):
    stats = check_layout_and_accounting(demo)
    assert stats["records"]["skipped"] == {"http_status": 2, "non_html": 4, "too_large": 1}
    assert stats["records"]["info"]["truncated_payload"] == 1
    assert (demo / "report.html").is_file()
    assert json.loads((demo / "run.json").read_text())["recipe"] == "fineweb"
    lists = stats["stages"][0]["prepare"]["blocklist"]
    assert (lists["list"], lists["domains"], lists["urls"]) == ("demo", 6, 2)
    assert 'data-blocklist="demo"' in (demo / "report.html").read_text()


@pytest.mark.parametrize(
    ("kind", "stage", "reason_prefix"),
    [
        (planted_spec.KIND_BLOCKED_DOMAIN, "url_filter", "url:domain"),
        (planted_spec.KIND_EMPTY_BODY, "extract", "empty"),
        (planted_spec.KIND_FRENCH, "language", "language:"),
        (planted_spec.KIND_GERMAN, "language", "language:"),
        (planted_spec.KIND_SPANISH, "language", "language:"),
        (planted_spec.KIND_REPEATED_LINES, "gopher_repetition", "gopher_repetition:"),
        (planted_spec.KIND_TOO_FEW_WORDS, "gopher_quality", "gopher_quality:word_count"),
        (planted_spec.KIND_SYMBOLS, "gopher_quality", "gopher_quality:"),
        (planted_spec.KIND_LOREM_IPSUM, "c4_quality", "c4_quality:lorem_ipsum"),
        (planted_spec.KIND_JAVASCRIPT, "c4_quality", "c4_quality:"),
        (planted_spec.KIND_SHORT_LINES, "fineweb_quality", "fineweb_quality:short_line_frac"),
    ],
)
def test_planted_bad_pages_are_rejected_by_their_stage(demo, pages, kind, stage, reason_prefix):
    where = _where(demo)
    for url in _urls(pages, kind):
        assert where[url][0] == stage, (kind, url, where[url])
        assert where[url][1].startswith(reason_prefix), (kind, where[url])


@pytest.mark.parametrize(
    "kind",
    [
        planted_spec.KIND_ARTICLE,
        planted_spec.KIND_BOILERPLATE_HEAVY,
        planted_spec.KIND_PII,
        planted_spec.KIND_CHARSET_CP1252,
        planted_spec.KIND_CHARSET_META,
        planted_spec.KIND_INVALID_UTF8,
        planted_spec.KIND_BANNED_URL_WORDS,  # FineWeb's URL word lists hold neither casino nor poker
    ],
)
def test_good_pages_are_kept(demo, pages, kind):
    where = _where(demo)
    for url in _urls(pages, kind):
        assert where[url] == ("documents", ""), (kind, url, where[url])


def test_kept_text_is_the_article_with_planted_strings(demo, pages):
    documents = {row["url"]: row for row in pq.read_table(demo / "documents").to_pylist()}
    for spec in pages:
        if spec.kind in (planted_spec.KIND_CHARSET_CP1252, planted_spec.KIND_CHARSET_META):
            text = documents[spec.url]["text"]
            for planted in spec.planted:
                assert planted in text, (spec.kind, planted)


def test_pii_is_scrubbed_from_kept_documents(demo, pages):
    documents = {row["url"]: row for row in pq.read_table(demo / "documents").to_pylist()}
    pii_pages = [spec for spec in pages if spec.kind == planted_spec.KIND_PII]
    texts = " ".join(documents[spec.url]["text"] for spec in pii_pages)
    for value in ("93.184.216.34", "ops-team@example.org", "jane.doe@example.com", "(415) 555-0132"):
        assert value in " ".join(p for spec in pii_pages for p in spec.planted)  # the sample still plants it
        assert value not in texts, value
    assert "192.168.1.1" in texts  # private addresses stay, as in FineWeb
    assert "email@example.com" in texts and "22.214.171.124" in texts
    english = [row for row in documents.values()]
    assert all(row["language"] == "en" and row["language_score"] > 0.65 for row in english)
