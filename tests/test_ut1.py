"""The UT1 lists by default: found where `make setup` puts them (or $CURATE_UT1_LISTS, or datatrove's
package), installed from datatrove's wheel, and named in stats, summary and report; without them the
demo list runs and says so, or the run refuses to start (`missing_ut1: error`)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from filters import ut1
from filters.url import URLFilter, URLFilterConfig
from pipeline.core.config import ConfigError, build_config
from pipeline.report.summary import format_summary
from tests.conftest import SHARED_DATA

UT1_TARBALL = SHARED_DATA / "blocklists" / "ut1-domains-urls.tar.gz"
# Registered domains listed in UT1's adult `domains` (datatrove 0.10.1's tarball); none is in the demo list.
PLANTED_UT1 = [
    "pornhub.com",
    "xvideos.com",
    "xhamster.com",
    "youporn.com",
    "redtube.com",
    "tube8.com",
    "spankbang.com",
    "chaturbate.com",
]


def ut1_tarball(path: Path, domains: list[str], urls: list[str]) -> Path:
    """A UT1-style tarball (flat `domains` and `urls`, as datatrove ships it)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, lines in (("domains", domains), ("urls", urls)):
            data = "".join(f"{line}\n" for line in lines).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def no_ut1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where the UT1 lists were never installed."""
    monkeypatch.delenv(ut1.ENV, raising=False)
    monkeypatch.setattr(ut1, "INSTALLED", str(tmp_path / "not-installed" / "ut1.tar.gz"))
    monkeypatch.setattr(ut1, "_datatrove_asset", lambda: None)


def reason(stage: URLFilter, url: str) -> str | None:
    verdict = stage.check_url(url)
    return verdict.reason if verdict else None


def test_default_is_ut1_found_through_the_environment(tmp_path, monkeypatch):
    lists = ut1_tarball(tmp_path / "lists.tar.gz", ["listed-adult-site.com", "9.9.9.9"], ["site.org/x"])
    monkeypatch.setenv(ut1.ENV, str(lists))
    stage = URLFilter(build_config(URLFilterConfig, {"cache_dir": str(tmp_path / "c")}, "url_filter"))
    facts = stage.prepare(str(tmp_path / "work"))["blocklist"]
    assert facts["list"] == "UT1" and facts["path"] == str(lists) and facts["found_by"] == f"${ut1.ENV}"
    assert (facts["domains"], facts["urls"]) == (2, 1) and "warning" not in facts
    assert reason(stage, "https://www.listed-adult-site.com/") == "url:domain"
    assert reason(stage, "http://blocked-demo-domain.com/") is None  # the demo list is not loaded
    assert "UT1 lists" in format_summary(_stats(facts))


def test_without_ut1_the_demo_list_runs_and_says_so(tmp_path, no_ut1):
    stage = URLFilter(build_config(URLFilterConfig, {"cache_dir": str(tmp_path / "c")}, "url_filter"))
    facts = stage.prepare(str(tmp_path / "work"))["blocklist"]
    assert facts["list"] == "demo" and facts["domains"] == 6
    assert "DEMO list" in facts["warning"] and "make setup" in facts["warning"]
    summary = format_summary(_stats(facts))
    assert (
        "DEMO list (not FineWeb's)" in summary
        and "warning: url_filter: the UT1 lists are not installed" in summary
    )
    assert reason(stage, "http://blocked-demo-domain.com/") == "url:domain"
    with pytest.raises(ConfigError, match=r"UT1 lists are not installed: run `make setup`"):
        build_config(URLFilterConfig, {"missing_ut1": "error"}, "url_filter")


def test_a_worker_that_finds_other_lists_than_the_driver_stops(tmp_path, monkeypatch, no_ut1):
    lists = ut1_tarball(tmp_path / "lists.tar.gz", ["a.example"], [])
    monkeypatch.setenv(ut1.ENV, str(lists))
    stage = URLFilter(URLFilterConfig(cache_dir=str(tmp_path / "c")))
    stage.prepare(str(tmp_path / "work"))
    monkeypatch.delenv(ut1.ENV)  # this "worker" has no lists
    import pickle

    worker = pickle.loads(pickle.dumps(stage))
    with pytest.raises(RuntimeError, match="driver chose the UT1 list but this worker finds the demo list"):
        worker.ensure_setup()


def test_install_from_a_wheel_checks_the_asset(tmp_path, monkeypatch, no_ut1):
    asset = ut1_tarball(tmp_path / "asset.tar.gz", ["from-wheel.example"], [])
    wheel = tmp_path / "datatrove-0.10.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(asset, ut1.ASSET)
    digest = hashlib.sha256(asset.read_bytes()).hexdigest()
    target = tmp_path / "data" / "ut1.tar.gz"
    with pytest.raises(ValueError, match="has sha256"):
        ut1.install_from_wheel(wheel, target)  # not datatrove 0.10.1's bytes
    assert not target.exists() and not list(target.parent.glob(".*tmp"))
    assert ut1.install_from_wheel(wheel, target, expected_sha256=digest) == target
    monkeypatch.setattr(ut1, "INSTALLED", str(target))
    found = ut1.find_ut1()
    assert found is not None and found.path == target and "make setup" in found.origin
    with pytest.raises(ValueError, match="no datatrove/assets"):
        empty = tmp_path / "other.whl"
        zipfile.ZipFile(empty, "w").close()
        ut1.install_from_wheel(empty, target)


def test_a_missing_environment_path_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ut1.ENV, str(tmp_path / "nope.tar.gz"))
    with pytest.raises(ConfigError, match=r"CURATE_UT1_LISTS names .*nope.tar.gz"):
        build_config(URLFilterConfig, {}, "url_filter")


@pytest.mark.shared_data
def test_planted_ut1_domains_are_all_dropped_by_default_and_kept_by_the_demo(tmp_path, monkeypatch):
    if not UT1_TARBALL.is_file():
        pytest.skip(f"the UT1 tarball is not at {UT1_TARBALL} (../shared/data is absent)")
    monkeypatch.setenv(ut1.ENV, str(UT1_TARBALL))
    default = URLFilter(URLFilterConfig(cache_dir=str(tmp_path / "c")))
    demo = URLFilter(URLFilterConfig(blocklist_dir="demo", cache_dir=str(tmp_path / "c")))
    urls = [f"https://www.{domain}/page" for domain in PLANTED_UT1]
    assert [reason(default, u) for u in urls] == ["url:domain"] * len(urls)
    kept_by_demo = [u for u in urls if demo.check_url(u) is None]
    assert len(kept_by_demo) == 5  # the demo's sub-word rule catches 3, its domains none
    facts = default.prepare(str(tmp_path / "w"))["blocklist"]
    assert facts["list"] == "UT1" and facts["domains"] > 4_500_000 and facts["urls"] > 19_000


def _stats(facts: dict) -> dict:
    return {
        "records": {"read": 1, "documents": 1, "skipped": {}},
        "stages": [
            {
                "name": "url_filter",
                "in": 1,
                "out": 1,
                "dropped": {},
                "seconds": 0.1,
                "prepare": {"blocklist": facts},
            }
        ],
        "final_documents": 1,
    }
