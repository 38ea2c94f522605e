"""url_filter: FineWeb's URL rules on the demo list, and on the real UT1 list when ../shared/data has it."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pyarrow as pa
import pytest

from filters.url import URLFilter, URLFilterConfig
from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.schema import RECORD_SCHEMA

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "blocklists"
UT1_TARBALL = SHARED / "ut1-domains-urls.tar.gz"


def make_batch(urls: list[str | None]) -> pa.RecordBatch:
    rows = [{"id": str(i), "url": url, "text": None, "html": b"<html></html>"} for i, url in enumerate(urls)]
    return pa.RecordBatch.from_pylist(rows, schema=RECORD_SCHEMA)


@pytest.fixture
def stage(tmp_path: Path) -> URLFilter:
    return URLFilter(URLFilterConfig(blocklist_dir="demo", cache_dir=str(tmp_path / "cache")))


def reason(stage: URLFilter, url: str | None) -> str | None:
    verdict = stage.check_url(url)
    return verdict.reason if verdict else None


def test_registered_and_runs_before_extraction() -> None:
    assert stage_class("url_filter") is URLFilter
    assert URLFilter.needs == "html"


def test_listed_domain(stage: URLFilter) -> None:
    assert reason(stage, "http://blocked-demo-domain.com/index.html") == "url:domain"
    assert reason(stage, "https://BLOCKED-demo-domain.com") == "url:domain"


def test_subdomain_of_listed_domain(stage: URLFilter) -> None:
    # caught through the registered domain (tldextract), also under a two-part public suffix
    assert reason(stage, "https://shop.blocked-demo-domain.com/cart?id=3") == "url:domain"
    assert reason(stage, "http://a.b.blocked-demo-shop.co.uk/") == "url:domain"


def test_full_host_listing(stage: URLFilter) -> None:
    # `ads.host-listed-demo.org` is listed, not its registered domain: only that host is caught
    assert reason(stage, "http://ads.host-listed-demo.org/banner") == "url:domain"
    assert reason(stage, "http://www.host-listed-demo.org/banner") is None


def test_listed_url(stage: URLFilter) -> None:
    # listed as UT1 does (`host/path`): matched with any scheme, with or without `www.`
    assert reason(stage, "https://listed-demo-site.net/blocked/page.html") == "url:url"
    assert reason(stage, "http://www.listed-demo-site.net/blocked/page.html") == "url:url"
    assert reason(stage, "http://listed-demo-site.net/another/blocked-page") == "url:url"
    # another page of that site is not listed
    assert reason(stage, "https://listed-demo-site.net/blocked/page.htm") is None


def test_hard_banned_word(stage: URLFilter) -> None:
    assert reason(stage, "http://example.com/videos/porn/page1") == "url:banned_word"
    assert reason(stage, "http://xxx.example.com/") == "url:banned_word"


def test_soft_banned_words(stage: URLFilter) -> None:
    out = stage.check_url("http://example.com/anus-asshole")
    assert out is not None and out.reason == "url:soft_banned_words" and out.value == 2.0
    # one soft word alone is kept
    assert reason(stage, "http://example.com/anus-facts") is None


def test_banned_subword(stage: URLFilter) -> None:
    # not a token (the words are split by dashes) but a substring of the normalised URL
    assert reason(stage, "http://example.com/2-girls-1-cup.html") == "url:banned_subword"
    assert reason(stage, "https://WWW.PORNHUBFAN.example.org/") == "url:banned_subword"


def test_tokens_keep_case_as_the_reference(tmp_path: Path) -> None:
    url = "http://example.com/Watch/PORN/Now"
    plain = URLFilter(URLFilterConfig(blocklist_dir="demo", cache_dir=str(tmp_path)))
    lowered = URLFilter(
        URLFilterConfig(blocklist_dir="demo", cache_dir=str(tmp_path), lowercase_url_words=True)
    )
    assert reason(plain, url) is None  # datatrove splits without lower-casing
    assert reason(lowered, url) == "url:banned_word"


def test_ordinary_urls_kept(stage: URLFilter) -> None:
    for url in [
        "https://en.wikipedia.org/wiki/Aragonese_language",
        "https://www.bbc.co.uk/news/world-12345678",
        "https://github.com/huggingface/datatrove/blob/main/README.md",
        "http://0pointer.de/photos/?gallery=Australia&photo=496",
        "https://example.com/essex-county/sussex",  # 'sex' inside words is neither a token nor a sub-word
    ]:
        assert reason(stage, url) is None, url


def test_missing_and_malformed_urls_do_not_crash(stage: URLFilter) -> None:
    urls = [
        None,
        "",
        "http://[bad-ipv6/",
        "not a url at all",
        "http://exa mple.com/x",
        "://",
        "http://192.0.2.1/",
    ]
    verdicts = stage.check_urls(urls)
    assert verdicts == [None] * len(urls)
    assert stage.counters["missing_url"] == 2
    # the word rules still apply to a malformed URL
    assert reason(stage, "http://[bad/porn") == "url:banned_word"


def test_ip_host_is_matched(tmp_path: Path) -> None:
    extra = tmp_path / "extra_domains"
    extra.write_text("192.0.2.7\n")
    stage = URLFilter(
        URLFilterConfig(blocklist_dir="demo", cache_dir=str(tmp_path / "c"), extra_domains=str(extra))
    )
    assert reason(stage, "http://192.0.2.7/page") == "url:domain"
    assert reason(stage, "http://192.0.2.8/page") is None


def test_extra_lists_add_to_the_main_list(tmp_path: Path) -> None:
    domains, urls = tmp_path / "d", tmp_path / "u"
    domains.write_text("my-extra-blocked.org\n")
    urls.write_text("https://good-site.org/one/bad/page\n")
    cfg = URLFilterConfig(
        blocklist_dir="demo", cache_dir=str(tmp_path / "c"), extra_domains=str(domains), extra_urls=str(urls)
    )
    stage = URLFilter(cfg)
    assert reason(stage, "https://news.my-extra-blocked.org/") == "url:domain"
    assert reason(stage, "http://good-site.org/one/bad/page") == "url:url"
    assert reason(stage, "http://good-site.org/one/good/page") is None
    assert reason(stage, "http://blocked-demo-domain.com/") == "url:domain"  # the demo list still applies


def test_process_splits_batch(stage: URLFilter) -> None:
    urls = ["https://en.wikipedia.org/wiki/X", "http://blocked-demo-domain.com/", None, "http://e.com/porn"]
    out = stage.process(make_batch(urls))
    assert out.kept.column("url").to_pylist() == ["https://en.wikipedia.org/wiki/X", None]
    assert out.rejected.column("reason").to_pylist() == ["url:domain", "url:banned_word"]
    assert out.rejected.schema.names[-2:] == ["reason", "value"]
    assert out.kept.num_rows + out.rejected.num_rows == len(urls)


def test_pickle_leaves_the_lists_behind(stage: URLFilter) -> None:
    stage.ensure_setup()
    copy = pickle.loads(pickle.dumps(stage))
    assert not hasattr(copy, "blocklist")
    assert reason(copy, "http://blocked-demo-domain.com/") == "url:domain"


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="blocklist_dir"):
        build_config(URLFilterConfig, {"blocklist_dir": str(tmp_path / "nope")}, "url_filter")
    with pytest.raises(ConfigError, match="banned_words_file"):
        build_config(URLFilterConfig, {"banned_words_file": "missing.txt"}, "url_filter")
    with pytest.raises(ConfigError, match="soft_word_threshold"):
        build_config(URLFilterConfig, {"soft_word_threshold": 0}, "url_filter")
    with pytest.raises(ConfigError, match=r"url_filter\.soft_word_threshold"):
        build_config(URLFilterConfig, {"soft_word_threshold": "two"}, "url_filter")
    with pytest.raises(ConfigError, match="blocklist_dirs"):
        build_config(URLFilterConfig, {"blocklist_dirs": "x"}, "url_filter")


def test_demo_defaults_resolve_from_any_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = {"blocklist_dir": "data/blocklists/demo", "cache_dir": str(tmp_path / "c")}
    stage = URLFilter(build_config(URLFilterConfig, config, "url_filter"))
    assert reason(stage, "http://blocked-demo-domain.com/") == "url:domain"


@pytest.mark.shared_data
def test_real_ut1_list(tmp_path: Path) -> None:
    if not UT1_TARBALL.is_file():
        pytest.skip(f"the UT1 blocklist is not at {UT1_TARBALL} (../shared/data is absent)")
    config = {"blocklist_dir": str(UT1_TARBALL), "cache_dir": str(tmp_path / "cache")}
    first = URLFilter(build_config(URLFilterConfig, config, "url_filter"))
    first.ensure_setup()
    assert first.blocklist.built
    assert len(first.blocklist.domains) > 4_500_000 and len(first.blocklist.urls) > 19_000

    caught = {
        "https://www.pornhub.com/view_video.php": "url:domain",
        "http://xvideos.com/": "url:domain",
        "https://bestvideoporn4u.blogspot.sn/2019/": "url:domain",  # a full-host listing
        "https://www.tumblr.com/mggnlzgkwvyns": "url:url",  # a listed URL on a site that is not listed
    }
    for url, why in caught.items():
        assert reason(first, url) == why, url
    for url in [
        "https://en.wikipedia.org/wiki/Main_Page",
        "https://www.bbc.co.uk/news",
        "https://github.com/",
        "https://www.tumblr.com/",
        "https://other.blogspot.sn/",
    ]:
        assert reason(first, url) is None, url

    # A second stage (as in another worker) opens the cache instead of rebuilding it.
    start = time.perf_counter()
    second = URLFilter(build_config(URLFilterConfig, config, "url_filter"))
    second.ensure_setup()
    assert not second.blocklist.built
    assert second.blocklist.cache_files == first.blocklist.cache_files
    assert time.perf_counter() - start < 2.0
    assert reason(second, "http://xvideos.com/") == "url:domain"


def test_blocklist_dir_without_a_domains_list(tmp_path: Path) -> None:
    (tmp_path / "gambling").mkdir()
    (tmp_path / "gambling" / "domains").write_text("bet.com\n")
    with pytest.raises(ConfigError, match="blocklist_dir"):
        build_config(URLFilterConfig, {"blocklist_dir": str(tmp_path)}, "url_filter")  # only `adult` is read
    every = {"blocklist_dir": str(tmp_path), "blocklist_categories": None, "cache_dir": str(tmp_path / "c")}
    assert (
        reason(URLFilter(build_config(URLFilterConfig, every, "url_filter")), "http://www.bet.com/")
        == "url:domain"
    )


def test_empty_batch(stage: URLFilter) -> None:
    out = stage.process(make_batch([]))
    assert out.kept.num_rows == 0 and out.rejected.num_rows == 0
