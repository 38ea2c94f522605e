"""The filter-stage report (report.html), its signal histograms, `curate inspect` and `--compare`."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from filters.gopher import GopherQuality, GopherRepetitionConfig
from pipeline.cli import main
from pipeline.core.stage import Signal
from pipeline.core.stats import Histogram, StageStats, merge_shard_stats
from pipeline.report import samples
from pipeline.report.html import build_report, report_data, sample_html
from tests.conftest import REPO, SAMPLE_WARC

ARTIFACTS = REPO / "tests" / "artifacts"


def _run(out: Path, *extra: str) -> Path:
    argv = ["run", "--no-progress", "--recipe", "fineweb", "--input", str(SAMPLE_WARC), "--output", str(out)]
    assert main([*argv, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def run_a(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("report") / "a")


@pytest.fixture(scope="module")
def run_b(tmp_path_factory) -> Path:
    """The same input with a stricter Gopher word count and language threshold (for --compare)."""
    out = tmp_path_factory.mktemp("report") / "b"
    return _run(out, "--set", "gopher_quality.min_doc_words=150", "--set", "language.threshold=0.9")


def _stats(out: Path) -> dict[str, Any]:
    return json.loads((out / "stats.json").read_text())


# -- histograms -------------------------------------------------------------------------------------
def test_histogram_bins_edges_and_outside_values() -> None:
    h = Histogram("x", 0, 1, 4)
    for v in (0.0, 0.1, 0.25, 0.5, 0.99, 1.0, -0.1, 1.5, math.nan):
        h.add(v)
    assert h.to_dict()["counts"] == [2, 1, 1, 2]  # 1.0 falls in the last (closed) bin
    assert (h.to_dict()["under"], h.to_dict()["over"], h.total) == (1, 1, 8)
    assert h.edges() == [0, 0.25, 0.5, 0.75, 1.0]
    log = Histogram("w", 1, 1000, 3, log=True)
    for v in (0, 1, 5, 10, 999, 1000, 5000):
        log.add(v)
    assert log.counts == [1, 2, 1, 2, 1]
    assert log.edges() == pytest.approx([1, 10, 100, 1000])


def test_batch_and_single_observations_agree_and_merge_exactly() -> None:
    values = np.random.default_rng(0).uniform(-0.2, 1.2, 5000)
    one, many = Histogram("x", 0, 1, 50), Histogram("x", 0, 1, 50)
    for v in values:
        one.add(float(v))
    many.add_many(values)
    assert one.counts == many.counts
    a, b = Histogram("x", 0, 1, 50), Histogram("x", 0, 1, 50)
    a.add_many(values[:1234])
    b.add_many(values[1234:])
    a.merge(b)
    assert a.counts == one.counts
    assert Histogram.from_dict("x", one.to_dict()).counts == one.counts
    with pytest.raises(ValueError, match="different bins"):
        a.merge(Histogram("x", 0, 2, 50))


def test_stage_stats_merge_histograms_across_input_files() -> None:
    shards = []
    for values in ([10, 60, 200], [45, 3000]):
        hist = Histogram("word_count", 1, 1e6, 60, log=True, thresholds=[50.0])
        for v in values:
            hist.add(v)
        stats = StageStats(
            "gopher_quality", docs_in=len(values), docs_out=len(values), histograms={"word_count": hist}
        )
        shards.append(
            {"stages": [stats.to_dict()], "records": {"read": 0, "documents": 0}, "final_documents": 0}
        )
    merged = merge_shard_stats([shards], ["gopher_quality"])["stages"][0]["histograms"]["word_count"]
    whole = Histogram("word_count", 1, 1e6, 60, log=True, thresholds=[50.0])
    for v in (10, 60, 200, 45, 3000):
        whole.add(v)
    assert merged == whole.to_dict()
    assert merged["n"] == 5 and merged["thresholds"] == [50.0]


def test_signal_thresholds_come_from_the_config() -> None:
    config = GopherRepetitionConfig(dup_line_frac=None, dup_line_char_frac=0)
    assert Signal("s", 0, 1, thresholds=("dup_para_frac", 0.5)).histogram(config).thresholds == [0.3, 0.5]
    off = Signal("s", 0, 1, thresholds=("dup_line_frac", "dup_line_char_frac")).histogram(config)
    assert off.thresholds == []  # rules turned off draw no line
    assert Signal("s", 0, 1, thresholds=("top_n_grams[2]",)).histogram(config).thresholds == [0.2]
    assert Signal("s", 0, 1, thresholds=("top_n_grams[7]", "missing")).histogram(config).thresholds == []


def test_filters_observe_every_document_they_judge(run_a) -> None:
    stages = {s["name"]: s for s in _stats(run_a)["stages"]}
    assert stages["language"]["histograms"]["language_score"]["n"] == stages["language"]["in"]
    assert stages["language"]["histograms"]["language_score"]["thresholds"] == [0.65]
    quality = stages["gopher_quality"]["histograms"]
    assert quality["word_count"]["n"] == stages["gopher_quality"]["in"]
    assert quality["word_count"]["thresholds"] == [50, 100_000]
    assert quality["avg_word_length"]["thresholds"] == [3, 10]
    assert (
        stages["gopher_repetition"]["histograms"]["dup_line_frac"]["n"] == stages["gopher_repetition"]["in"]
    )
    fineweb = stages["fineweb_quality"]
    assert set(fineweb["histograms"]) == {
        "line_punct_frac",
        "short_line_frac",
        "dup_line_char_frac",
        "newline_word_ratio",
    }
    assert all(h["n"] == fineweb["in"] for h in fineweb["histograms"].values())
    c4 = stages["c4_quality"]
    page_rules = sum(n for r, n in c4["dropped"].items() if r.endswith(("lorem_ipsum", "curly_bracket")))
    assert c4["histograms"]["sentences"]["n"] == c4["in"] - page_rules


def test_observing_does_not_change_decisions() -> None:
    stage = GopherQuality()
    from pipeline.core.stage import Document

    short = Document("1", None, "the cat and the dog", "en", 0.9)
    assert stage.filter(short).reason == "gopher_quality:word_count"
    assert stage.histograms["word_count"].total == 1
    assert stage.histograms["stop_words"].total == 1  # observed past the rule that rejected it


# -- the report -------------------------------------------------------------------------------------
class _Page(HTMLParser):
    """Collects data-* attributes by element and the JSON data block."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.data_json = ""
        self._in_data = False
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if "id" in values:
            self.ids.add(values["id"])
        self._in_data = tag == "script" and values.get("id") == "curate-data"

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_json += data

    def with_attr(self, name: str) -> list[dict[str, str]]:
        return [attrs for _, attrs in self.elements if name in attrs]


def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text())
    return parser


def test_report_numbers_equal_stats(run_a) -> None:
    stats = _stats(run_a)
    page = _parse(run_a / "report.html")
    data = json.loads(page.data_json)
    assert data == json.loads(json.dumps(report_data(stats)))
    assert data["final_documents"] == stats["final_documents"]
    sections = {a["data-stage"]: a for a in page.with_attr("data-stage") if "data-in" in a}
    assert list(sections) == [s["name"] for s in stats["stages"]]
    for stage in stats["stages"]:
        section = sections[stage["name"]]
        assert int(section["data-in"]) == stage["in"]
        assert int(section["data-out"]) == stage["out"]
        assert int(section["data-dropped"]) == sum(stage["dropped"].values())
        assert int(section["data-bytes-out"]) == stage["bytes_out"]
        assert [d["name"] for d in data["stages"]] == [s["name"] for s in stats["stages"]]
    reasons = {
        a["data-reason"]: int(a["data-count"]) for a in page.with_attr("data-reason") if "data-count" in a
    }
    expected = {r: n for s in stats["stages"] for r, n in s["dropped"].items()}
    assert reasons == expected
    steps = {a["data-step"]: int(a["data-count"]) for a in page.with_attr("data-step")}
    assert steps["records read"] == stats["records"]["read"]
    assert steps["documents"] == stats["records"]["documents"]
    assert steps[f"after {stats['stages'][-1]['name']}"] == stats["final_documents"]
    signals = {a["data-signal"] for a in page.with_attr("data-signal")}
    assert {"language_score", "word_count", "avg_word_length", "line_punct_frac", "sentences"} <= signals
    assert {"funnel", "timings", "languages", "domains"} <= page.ids


def test_report_has_samples_clusters_and_tables(run_a) -> None:
    text = (run_a / "report.html").read_text()
    page = _parse(run_a / "report.html")
    rejected = [a for tag, a in page.elements if tag == "details" and "rejected" in a.get("class", "")]
    assert {a["data-reason"] for a in rejected} >= {"gopher_quality:word_count", "language:other"}
    assert "kept-tag" in text and "value 29" in text  # the too-short page's word count
    assert 'data-language="en"' in text and 'data-host="www.example-travels.com"' in text
    assert "Duplicate clusters" in text and "Sample clusters" in text
    assert "PII replaced, per type" in text  # the pii stage's replaced:* counters


def test_sample_headings_count_documents_not_samples(run_a) -> None:
    """A heading says how many of the stage's documents its samples show ("2 of 3 shown")."""
    text = (run_a / "report.html").read_text()
    for stage in _stats(run_a)["stages"]:
        section = text.split(f'<section id="stage-{stage["name"]}"', 1)[1].split("</section>", 1)[0]
        dropped = sum(stage["dropped"].values())
        shown = section.count("<details class='sample rejected'")
        kept = section.count("<details class='sample kept'")
        assert f"<h4>rejected: {shown} of {dropped:,} shown</h4>" in section, stage["name"]
        assert f"<h4>kept: {kept} of {stage['out']:,} shown</h4>" in section, stage["name"]
    language = next(s for s in _stats(run_a)["stages"] if s["name"] == "language")
    assert language["dropped"] == {"language:other": 3}  # 2 samples per reason: 2 of 3 shown
    assert "<h4>rejected: 2 of 3 shown</h4>" in text


def test_report_is_self_contained_and_deterministic(run_a) -> None:
    path = run_a / "report.html"
    first = path.read_bytes()
    page = _parse(path)
    for tag, attrs in page.elements:
        assert tag not in ("link", "img", "iframe"), tag
        assert "src" not in attrs, (tag, attrs)  # no external script, image or frame
        assert attrs.get("href", "#").startswith("#"), attrs  # links stay in the page (SVG too)
        assert attrs.get("xlink:href", "#").startswith("#"), attrs
    text = first.decode()
    assert "@import" not in text and not re.findall(r"url\((?!#)", text)  # only in-page url(#clip)
    build_report(run_a)
    assert path.read_bytes() == first


def test_samples_in_the_report_carry_no_pii(monkeypatch) -> None:
    row = {
        "id": "x",
        "url": "https://example.org/contact?mail=jane.roe@example-mail.com",
        "text": "Write to jane.roe@example-mail.com or call (212) 234-5678 from 8.8.8.8 today.",
        "reason": "gopher_quality:word_count",
        "value": 12.0,
    }
    for scrubber in (None, "pii"):
        if scrubber is None:
            monkeypatch.setattr(samples, "_scrubber", [None])  # as if filters.pii were missing
        else:
            monkeypatch.setattr(samples, "_scrubber", [])
        shown = sample_html(row, kept=False)
        assert "jane.roe" not in shown and "234-5678" not in shown and "8.8.8.8" not in shown, shown
        assert "gopher_quality:word_count" in shown and "value 12" in shown


def test_regex_scrub_keeps_dates_and_numbers() -> None:
    assert (
        samples.regex_scrub("on 2024-01-01, 1,200 people; 10.1.2.3")
        == "on 2024-01-01, 1,200 people; <IP_ADDRESS>"
    )


# -- Chromium ---------------------------------------------------------------------------------------
def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (apt-get install chromium): headless report check skipped")


def _browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)


def test_report_renders_in_headless_chromium(run_a, tmp_path) -> None:
    binary = _chromium()
    url = (run_a / "report.html").resolve().as_uri()
    stages = len(_stats(run_a)["stages"])
    dom = _browser(binary, tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-ready="{stages}"' in dom.stdout  # the inline script ran to its end
    assert "Uncaught" not in dom.stderr, dom.stderr[-2000:]
    assert 'id="funnel"' in dom.stdout and 'class="samples"' in dom.stdout
    assert dom.stdout.count("<svg") >= stages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    result = _browser(binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,4000", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


# -- curate inspect ---------------------------------------------------------------------------------
def test_inspect_prints_rejected_samples_with_reason_value_and_text(run_a, capsys) -> None:
    assert main(["inspect", str(run_a), "--stage", "gopher_quality"]) == 0
    out = capsys.readouterr().out
    assert "gopher_quality:word_count" in out and "gopher_quality:hash_ratio" in out
    assert "value 29" in out and "The charity run in pictures" in out
    assert "\033[" not in out  # not a terminal: no colours


def test_inspect_reason_filter_and_n(run_a, capsys) -> None:
    assert (
        main(["inspect", str(run_a), "--stage", "gopher_quality", "--reason", "word_count", "--n", "1"]) == 0
    )
    out = capsys.readouterr().out
    assert "gopher_quality:word_count" in out and "hash_ratio" not in out
    assert out.count("── sample ") == 1


def test_inspect_kept(run_a, capsys) -> None:
    stats = _stats(run_a)
    assert main(["inspect", str(run_a), "--stage", "language", "--kept", "--n", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("── sample ") == min(3, stats["stages"][2]["out"])
    assert "kept" in out and "reason" not in out and "language en" in out


def test_inspect_errors_name_the_choices(run_a, capsys) -> None:
    assert main(["inspect", str(run_a), "--stage", "gopher_qualty"]) == 2
    err = capsys.readouterr().err
    assert "unknown stage 'gopher_qualty'" in err and "gopher_quality" in err and "url_filter" in err
    assert main(["inspect", str(run_a), "--stage", "gopher_quality", "--reason", "nope"]) == 2
    assert "gopher_quality:word_count" in capsys.readouterr().err
    assert main(["inspect", str(run_a / "missing"), "--stage", "x"]) == 2
    assert "stats.json" in capsys.readouterr().err


def test_inspect_colours_on_a_terminal(run_a) -> None:
    from pipeline.report.inspection import inspect_text

    text = inspect_text(run_a, "gopher_quality", reason="word_count", n=1, color=True)
    assert "\033[1m\033[31mgopher_quality:word_count\033[0m" in text


# -- --compare --------------------------------------------------------------------------------------
def test_compare_two_runs(run_a, run_b, capsys) -> None:
    assert main(["report", str(run_a), "--compare", str(run_b)]) == 0
    out = capsys.readouterr().out
    a, b = _stats(run_a), _stats(run_b)
    final = re.search(r"^final\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    assert final is not None, out
    assert final.groups() == (
        f"{a['final_documents']:,}",
        f"{b['final_documents']:,}",
        f"{b['final_documents'] - a['final_documents']:+,}",
    )
    assert "gopher_quality:word_count" in out and "language:score<0.9" in out
    page = _parse(run_a / "compare.html")
    data = json.loads(page.data_json)
    by_name = {s["name"]: s for s in b["stages"]}
    for row in data["stages"]:
        assert row["b_out"] == by_name[row["stage"]]["out"]
    settings = {a["data-setting"] for a in page.with_attr("data-setting")}
    assert settings == {"gopher_quality.min_doc_words", "language.threshold"}
    reasons = Counter(
        {(a["data-stage"], a["data-reason"]): int(a["data-b"]) for a in page.with_attr("data-b")}
    )
    assert (
        reasons[("gopher_quality", "gopher_quality:word_count")]
        == by_name["gopher_quality"]["dropped"]["gopher_quality:word_count"]
    )


def test_report_from_stats_alone(tmp_path) -> None:
    """Counters of the pii and decontamination stages, a global stage's timing and out-of-range
    signal values, with no parts on disk (e.g. everything was rejected before writing)."""
    hist = Histogram("dup_line_char_frac", 1e-4, 1, 40, log=True, thresholds=[0.01])
    for v in (0, 0, 0.005, 0.5, 3):
        hist.add(v)
    stages = [
        {
            "name": "fineweb_quality",
            "in": 5,
            "out": 4,
            "dropped": {"fineweb_quality:dup_line_char_frac": 1},
            "seconds": 0.5,
            "bytes_out": 400,
            "histograms": {hist.name: hist.to_dict()},
        },
        {
            "name": "minhash_dedup",
            "in": 4,
            "out": 4,
            "dropped": {},
            "seconds": 0.25,
            "bytes_out": 400,
            "analysis": {
                "documents": 4,
                "duplicates": 0,
                "clusters": 0,
                "cluster_sizes": {},
                "seconds": 1.75,
            },
        },
        {
            "name": "pii",
            "in": 4,
            "out": 4,
            "dropped": {},
            "seconds": 0.1,
            "bytes_out": 390,
            "counters": {"replaced:EMAIL_ADDRESS": 3, "replaced:PHONE_NUMBER": 1},
        },
        {
            "name": "decontamination",
            "in": 4,
            "out": 3,
            "dropped": {"decontamination:humaneval": 1},
            "seconds": 0.1,
            "bytes_out": 300,
            "counters": {"hits:humaneval": 1},
            "prepare": {"benchmarks": {"humaneval": 292}, "ngrams": 11803, "seconds": 0.03},
        },
    ]
    stats = {
        "recipe": "x",
        "records": {"read": 6, "documents": 5, "skipped": {"non_html": 1}},
        "stages": stages,
        "final_documents": 3,
        "accounting_ok": True,
    }
    (tmp_path / "stats.json").write_text(json.dumps(stats))
    text = build_report(tmp_path).read_text()
    assert "PII replaced, per type" in text and "Contaminated documents, per benchmark" in text
    assert 'data-stage="minhash_dedup" data-seconds="2.0"' in text  # analysis + apply
    assert "2 below 0.0001" in text and "1 above 1" in text
    data = json.loads(_parse(tmp_path / "report.html").data_json)
    assert data["stages"][3]["counters"] == {"hits:humaneval": 1}


def test_language_and_domain_counts_respect_the_row_budget(tmp_path, monkeypatch) -> None:
    from devdata.warcs import Page, article, write_warc
    from pipeline.io.storage import Location

    extra = write_warc(
        tmp_path / "extra.warc.gz", [Page(f"http://x.example/{i}", article(i)) for i in range(3)]
    )
    out = tmp_path / "run"
    argv = ["run", "--no-progress", "--recipe", "fineweb", "--output", str(out), "--input", str(SAMPLE_WARC)]
    assert main([*argv, str(extra)]) == 0
    part = samples.parts(Location(out) / "documents")[-1]
    full = samples.column_counts([part, part], "language")
    assert full.complete and sum(full.values()) > 10
    capped = samples.column_counts([part, part], "language", max_rows=1)
    assert not capped.complete and sum(capped.values()) == sum(full.values()) // 2  # the second unread
    assert "row budget" not in build_report(out).as_path().read_text()
    monkeypatch.setattr(samples, "MAX_COUNTED_ROWS", 1)
    assert "Counted over the first 1 rows of each folder" in build_report(out).as_path().read_text()
