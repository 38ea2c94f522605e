"""robots_optout: RFC 9309 decisions, the robots.txt index, page-level noai signals, the CLI, both engines."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devdata.robots import CAPTURES, NOAI, PAGES, write_pages_warc, write_robots_warcs
from devdata.robots_rfc import RFC_CASES, longest_match, rfc_allowed
from devdata.warcs import Page, write_warc
from filters.noai import header_signals, meta_signals
from filters.robots_build import BuildSettings, build_index, source_files
from filters.robots_index import ARRAYS, RobotsIndex, host_key, parse_date
from filters.robots_optout import DEFAULT_AGENTS, RobotsOptout, RobotsOptoutConfig, publish
from filters.robots_rules import RobotsRules, reduce_robots
from pipeline.io.warc import WarcReader
from tests.conftest import REPO
from tests.helpers.runs import check_layout_and_accounting, curate

pytest.importorskip("protego", reason="robots_optout needs protego (pip install protego)")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("robots")
    write_robots_warcs(root / "robots")
    write_pages_warc(root / "pages.warc.gz")
    return root


def stage_for(data: Path, workdir: str, **options) -> RobotsOptout:
    config = RobotsOptoutConfig(robots=[str(data / "robots")], cache_dir=str(data / "cache"), **options)
    stage = RobotsOptout(config)
    stage.prepare(str(data / workdir))
    return stage


def run_pages(stage: RobotsOptout, data: Path) -> dict[str, dict]:
    """url -> the rejected row (absent: kept), over the test pages read by the real WARC reader."""
    batch = next(WarcReader(str(data / "pages.warc.gz")).batches())
    assert batch.num_rows == len(PAGES)
    out = stage.process(batch)
    assert out.kept.num_rows + out.rejected.num_rows == len(PAGES)
    return {row["url"]: row for row in out.rejected.to_pylist()}


# -- RFC 9309 ---------------------------------------------------------------------------------------
def allowed(robots: str, agent: str, path: str, wildcard: bool = True) -> bool:
    rules = RobotsRules(reduce_robots(robots, [agent], wildcard), [agent])
    verdict = rules.verdict("https://example.com" + path, respect_wildcard=wildcard)
    return not verdict.agents and not verdict.wildcard


# Where protego follows Google rather than the RFC (documented in filters/robots_rules.py).
PARSER_DEVIATIONS = {"2.2.2 (allow of a file is not its folder): a /dir/"}


@pytest.mark.parametrize("case", RFC_CASES, ids=[c.name for c in RFC_CASES])
def test_rfc_9309_examples(case):
    expected = not case.allowed if case.name in PARSER_DEVIATIONS else case.allowed
    assert allowed(case.robots, case.agent, case.path) is expected


def test_group_of_another_crawler_and_version_tokens():
    # Applebot (search) is not Applebot-Extended; `GPTBot/1.0` names the token GPTBot.
    robots = "User-agent: Applebot\nDisallow: /\n\nUser-agent: GPTBot/1.0\nDisallow: /g/\n"
    assert allowed(robots, "Applebot-Extended", "/x")
    assert not allowed(robots, "GPTBot", "/g/x")
    # a user-agent line that is not a product token does not join the rules to the group before
    noisy = "User-agent: GPTBot\nDisallow: /a\nUser-agent: Some bot (see https://example.com)\nDisallow: /\n"
    assert allowed(noisy, "GPTBot", "/b") and not allowed(noisy, "GPTBot", "/a")


def test_reduction_keeps_only_what_can_disallow_the_agents():
    assert reduce_robots("User-agent: *\nDisallow: /\n", DEFAULT_AGENTS, wildcard=False) == ""
    assert reduce_robots("User-agent: GPTBot\nDisallow:\nSitemap: x\n", DEFAULT_AGENTS, wildcard=True) == ""
    assert reduce_robots("<html>Disallow: /</html>", DEFAULT_AGENTS, wildcard=True) == ""
    reduced = reduce_robots(
        "# c\nUser-agent: Googlebot\nDisallow: /\n\nUser-agent: CCBot # x\nCrawl-delay: 3\nDisallow: /p/ # y\n",
        DEFAULT_AGENTS,
        wildcard=False,
    )
    assert reduced == "user-agent: ccbot\ndisallow: /p/\n"


# robots.txt files from a small grammar: reduction + protego against a literal reading of the RFC.
_TOKENS = ["GPTBot", "gptbot", "CCBot", "ClaudeBot/2.1", "*", "Googlebot", "anthropic-ai", "other-bot"]
_PATTERN = st.text(alphabet="/ab.*?=-", min_size=0, max_size=7).map(lambda p: "/" + p.lstrip("/"))
_RULE = st.tuples(st.sampled_from(["Allow", "Disallow", "disallow", "ALLOW"]), _PATTERN, st.booleans())
_LINE = st.one_of(
    st.sampled_from(_TOKENS).map(lambda t: f"User-agent: {t}"),
    _RULE.map(lambda r: f"{r[0]}: {r[1]}{'$' if r[2] else ''}"),
    st.sampled_from(["", "# comment", "Sitemap: https://e.com/s.xml", "Crawl-delay: 5", "Disallow:"]),
)
_PATH = st.text(alphabet="/ab.?=-", min_size=0, max_size=9).map(lambda p: "/" + p.lstrip("/"))


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=14), st.lists(_PATH, min_size=1, max_size=4))
def test_random_files_decide_as_the_rfc_says(lines, paths):
    text = "\n".join(lines) + "\n"
    agents = ["GPTBot", "CCBot", "ClaudeBot", "anthropic-ai"]
    rules = RobotsRules(reduce_robots(text, agents, wildcard=True) or "\n", agents)
    for path in paths:
        path = re.sub("/+", "/", path)  # `//` would start an authority
        verdict = rules.verdict("https://example.com" + path, respect_wildcard=True)
        for agent in agents:
            ours = agent not in verdict.agents and not (verdict.wildcard and agent not in rules.own)
            assert ours == rfc_allowed(text, agent, path), (text, agent, path)


@settings(max_examples=400, deadline=None)
@given(st.lists(_RULE, min_size=1, max_size=6), _PATH)
def test_longest_match_agrees_with_a_literal_reading_of_the_rfc(rules, path):
    pairs = [
        (kind.lower() == "allow", pattern + ("$" if anchored else "")) for kind, pattern, anchored in rules
    ]
    robots = "User-agent: GPTBot\n" + "".join(f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in pairs)
    path = re.sub("/+", "/", path)  # `//` would start an authority
    assert allowed(robots, "GPTBot", path) is longest_match(pairs, path)


# -- the index and every decision on the test crawl ------------------------------------------------
@pytest.mark.parametrize("wildcard", [False, True])
def test_every_page_decision(data, wildcard):
    stage = stage_for(data, f"work-{wildcard}", respect_wildcard=wildcard)
    rejected = run_pages(stage, data)
    for page in PAGES:
        expected = page.expected_wildcard if wildcard else page.expected
        assert (rejected[page.url]["reason"] if page.url in rejected else None) == expected, page.url
    c = stage.counters
    # hosts without a usable robots.txt: none captured (l, j on port 80) or a redirect to nowhere (i)
    assert c["no_robots"] == sum(
        1 for p in PAGES if host_key(p.url) in {"i.example", "j.example", "l.example"}
    )
    assert c["capture_after_page"] == 1  # h.example/c was fetched before its host's robots.txt
    assert c["robots_unavailable"] == 2  # c.example (404) and m.example (six redirects)
    assert c["robots_unreachable"] == 1
    assert c["signal:noai:x-robots-tag"] == 4 and c["signal:noai:meta"] == 2
    assert c["signal:noimageai:x-robots-tag"] == 2 and c["signal:noimageai:meta"] == 2
    assert c["disallowed:GPTBot"] == sum(
        1 for r in rejected.values() if "GPTBot" in (r["optout_agents"] or "")
    )
    both = rejected["https://a.example/news/1"]
    assert both["optout_agents"] == "GPTBot" and both["value"] == 1
    assert both["optout_source"] == "robots.txt captured 2024-02-20T10:00:00Z"
    assert rejected["https://l.example/m2"]["optout_source"] == '<meta name="ccbot">: noai'
    if wildcard:  # b.example disallows everything for `*`: all eleven agents lack a group there
        assert rejected["http://b.example/page"]["value"] == len(DEFAULT_AGENTS)


def test_options_unreachable_and_signals(data):
    stage = stage_for(data, "work-options", on_unreachable="allow", drop_signals=["noai", "noimageai"])
    rejected = run_pages(stage, data)
    assert "https://d.example/x" not in rejected
    assert rejected["https://l.example/h2"]["reason"] == "robots:noimageai"
    assert rejected["https://l.example/m5"]["reason"] == "robots:noimageai"
    assert rejected["https://l.example/h1"]["reason"] == "robots:noai"


def test_page_signals_only(data, tmp_path):
    stage = RobotsOptout(RobotsOptoutConfig(robots=[], cache_dir=str(tmp_path / "cache")))
    assert stage.prepare(str(tmp_path / "work"))["captures"] == 0
    rejected = run_pages(stage, data)
    # the noai pages, and a.example/news/2, whose robots.txt no longer decides first
    noai = {p.url for p in PAGES if p.expected == "robots:noai" or p.headers == NOAI}
    assert {url: row["reason"] for url, row in rejected.items()} == dict.fromkeys(noai, "robots:noai")
    assert stage.counters["no_robots"] == len(PAGES)


def test_index_is_cached_and_independent_of_file_order(data, tmp_path):
    files = source_files([str(data / "robots")], None)
    assert len(files) == 2
    options = BuildSettings(tuple(DEFAULT_AGENTS), wildcard=True)
    first, stats = build_index(files, options, tmp_path / "a")
    again, cached = build_index(files, options, tmp_path / "a")
    assert again == first and stats["built"] is True and cached["built"] is False
    assert cached["hosts"] == stats["hosts"] == 13
    swapped, _ = build_index(files[::-1], options, tmp_path / "b", workers=2)  # two processes
    for name in [*(f"{a}.npy" for a in ARRAYS), "blob_data.bin"]:
        assert (first / name).read_bytes() == (swapped / name).read_bytes(), name
    other, _ = build_index(files, BuildSettings(("GPTBot",), wildcard=False), tmp_path / "a")
    assert other != first  # other agents, another index
    os.utime(files[0], ns=(1, 1))  # a changed source file is rebuilt
    assert build_index(files, options, tmp_path / "a")[1]["built"] is True


def test_warc_dates():
    assert parse_date("2024-02-20T10:00:00Z") == 1708423200
    assert parse_date("2024-02-20T10:00:00.123456789Z") == 1708423200
    assert parse_date("2024-02-20T10:00Z") == 1708423200
    assert parse_date("2024-02-20T11:00:00+01:00") == 1708423200
    assert parse_date("2024-02-20") == 1708387200
    assert parse_date("yesterday") is None and parse_date(None) is None


def test_lookup_picks_the_capture_by_date():
    dates = np.array([100, 200, 300], dtype=np.int64)
    index = RobotsIndex(
        {
            "hosts": np.array([5, 5, 5], dtype=np.uint64),
            "dates": dates,
            "kinds": np.zeros(3, np.uint8),
            "blobs": np.zeros(3, np.uint32),
            "blob_offsets": np.zeros(1, np.uint64),
        },
        np.zeros(0, np.uint8),
        {},
    )
    pages = np.array([50, 100, 250, 900, -1], dtype=np.int64)
    match = index.find(np.full(5, 5, dtype=np.uint64), pages)
    assert match.capture.tolist() == [0, 0, 1, 2, 2]
    assert match.after_page.tolist() == [True, False, False, False, False]
    assert index.find(np.array([6], dtype=np.uint64), np.array([1])).capture.tolist() == [-1]


def test_index_published_to_an_object_store(data, s3_store, tmp_path):
    stage = stage_for(data, "work-local")
    workdir = s3_store.uri("run/_work/robots_optout")
    publish(Path(stage.workdir), _location(workdir))
    stage.workdir = workdir
    rejected = run_pages(stage, data)
    assert {url: row["reason"] for url, row in rejected.items()} == {
        p.url: p.expected for p in PAGES if p.expected
    }


def _location(uri: str):
    from pipeline.io.storage import Location

    return Location(uri)


# -- page-level signals and the reader --------------------------------------------------------------
def test_noai_signals():
    agents = ["GPTBot"]
    assert header_signals("noai, noimageai", agents) == {"noai", "noimageai"}
    assert header_signals("googlebot: noai", agents) == set()
    assert header_signals("gptbot: NOAI", agents) == {"noai"}
    assert header_signals("noindex, unavailable_after: 25 Jun 2030 15:00:00 PST", agents) == set()
    assert header_signals(None, agents) == set()
    page = "<html><head><META NAME='Robots' CONTENT='noindex noai'></head><body>x</body></html>"
    assert meta_signals(page, agents) == {"robots": {"noai"}}
    assert meta_signals("<html><head></head><meta name=robots content=noai></html>", agents) == {}
    assert meta_signals('<meta content="noimageai" name="gptbot">', agents) == {"gptbot": {"noimageai"}}


def test_reader_carries_x_robots_tag(tmp_path):
    path = write_warc(
        tmp_path / "p.warc.gz",
        [
            Page(
                "https://x.example/1",
                b"<html>a</html>",
                extra_headers=(("X-Robots-Tag", "noai"), ("x-robots-tag", "b")),
            ),
            Page("https://x.example/2", b"<html>b</html>"),
        ],
    )
    rows = next(WarcReader(str(path)).batches()).to_pylist()
    assert [r["x_robots_tag"] for r in rows] == ["noai\nb", None]


# -- the CLI and both engines -----------------------------------------------------------------------
def test_cli_errors(data, tmp_path, capsys):
    pages = str(data / "pages.warc.gz")
    assert (
        curate(
            "--recipe",
            "fineweb",
            "--input",
            pages,
            "--robots",
            str(data / "robots"),
            "--output",
            str(tmp_path / "a"),
        )
        == 2
    )
    assert "--robots needs a recipe with the robots_optout stage" in capsys.readouterr().err
    assert curate("--recipe", "fineweb_optout", "--input", pages, "--output", str(tmp_path / "b")) == 2
    assert "no robots.txt sources" in capsys.readouterr().err
    missing = str(tmp_path / "nowhere")
    assert (
        curate(
            "--recipe",
            "fineweb_optout",
            "--input",
            pages,
            "--robots",
            missing,
            "--output",
            str(tmp_path / "c"),
        )
        == 2
    )
    assert missing in capsys.readouterr().err
    assert not any((tmp_path / d).exists() for d in "abc")  # refused before DIR was touched


def _rows(directory: Path) -> list[dict]:
    if not directory.exists():
        return []
    return sorted(ds.dataset(str(directory), format="parquet").to_table().to_pylist(), key=lambda r: r["id"])


@pytest.mark.slow
def test_local_and_spark_engines_agree(data, tmp_path):
    pytest.importorskip("pyspark", reason="the spark extra is not installed (make setup installs it)")
    if shutil.which("java") is None:
        pytest.skip("Java not found: the Spark engine needs it")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    recipe = tmp_path / "optout.yaml"
    recipe.write_text(f"name: optout\nstages:\n  - robots_optout: {{cache_dir: '{data / 'cache'}'}}\n")
    common = [
        "--recipe",
        str(recipe),
        "--input",
        str(data / "pages.warc.gz"),
        "--robots",
        str(data / "robots"),
    ]
    assert curate(*common, "--output", str(tmp_path / "local"), "--workers", "2") == 0
    assert (
        curate(*common, "--output", str(tmp_path / "spark"), "--engine", "spark", "--master", "local[2]") == 0
    )
    stats = check_layout_and_accounting(tmp_path / "spark")
    stage = stats["stages"][0]
    assert stage["dropped"]["robots:GPTBot"] == sum(1 for p in PAGES if p.expected == "robots:GPTBot")
    assert sum(stage["dropped"].values()) == sum(1 for p in PAGES if p.expected)
    # every robots.txt fetch is a capture but i.example's, whose redirect target was not captured
    captures = sum(1 for c in CAPTURES if c.url.endswith("/robots.txt")) - 1
    assert stage["prepare"]["hosts"] == 13 and stage["prepare"]["captures"] == captures
    for folder in ("documents", "rejected/robots_optout"):
        assert _rows(tmp_path / "local" / folder) == _rows(tmp_path / "spark" / folder), folder
        for part in (tmp_path / "local" / folder).glob("part-*.parquet"):  # byte-identical parts
            assert part.read_bytes() == (tmp_path / "spark" / folder / part.name).read_bytes()
    report = (tmp_path / "spark" / "report.html").read_text()
    assert 'data-optout="robots.txt" data-count="17"' in report
    assert 'data-host="e.example" data-rejected="5"' in report
    assert (
        json.loads((tmp_path / "local" / "stats.json").read_text())["stages"][0]["dropped"]
        == stage["dropped"]
    )
