"""The compact blocklist store: layouts, hashing, and the shared, atomically written cache."""

from __future__ import annotations

import multiprocessing
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

import filters.blocklist as blocklist
from filters.blocklist import Blocklist, BlocklistSource, HashedSet, domain_key, url_key


def write_lists(root: Path, domains: list[str], urls: list[str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "domains").write_text("".join(f"{d}\n" for d in domains))
    (root / "urls").write_text("".join(f"{u}\n" for u in urls or []))
    return root


def load(source: BlocklistSource, cache: Path) -> Blocklist:
    return Blocklist.load(source, cache)


def test_hashed_set_membership() -> None:
    keys = [b"a.com", b"b.org", b"c.net"]
    hashes = np.sort(np.array([blocklist.hash_key(k) for k in keys], dtype=np.uint64))
    listed = HashedSet(hashes)
    assert b"b.org" in listed and b"d.io" not in listed
    assert list(listed.contains_many([b"c.net", b"x", b"", b"a.com"])) == [True, False, False, True]
    # beyond both ends of the sorted array
    assert not HashedSet(np.zeros(0, dtype=np.uint64)).contains_many([b"a.com"]).any()
    assert list(HashedSet(hashes[:1]).contains_many([b"zzz", b"000"])) == [False, False]


def test_flat_layout_comments_case_and_urls(tmp_path: Path) -> None:
    src = write_lists(tmp_path / "ut1", ["# a comment", "", "  Spaced.COM  ", "plain.org"], ["host.net/a/B"])
    lists = load(BlocklistSource(src), tmp_path / "cache")
    assert domain_key("spaced.com") in lists.domains and domain_key("plain.org") in lists.domains
    assert domain_key("# a comment") not in lists.domains
    assert len(lists.domains) == 2
    assert url_key("https://WWW.Host.net/a/B") in lists.urls
    assert url_key("https://host.net/a/b") not in lists.urls  # paths are case-sensitive


def test_category_layout(tmp_path: Path) -> None:
    root = tmp_path / "blacklists"
    write_lists(root / "adult", ["adult-one.com"])
    write_lists(root / "gambling", ["bet-two.com"])
    adult = load(BlocklistSource(root, ("adult",)), tmp_path / "c1")
    assert domain_key("adult-one.com") in adult.domains
    assert domain_key("bet-two.com") not in adult.domains
    every = load(BlocklistSource(root, None), tmp_path / "c2")
    assert domain_key("bet-two.com") in every.domains and domain_key("adult-one.com") in every.domains


def test_tarball_read_directly(tmp_path: Path) -> None:
    src = write_lists(tmp_path / "src" / "adult", ["tar-listed.com"], ["tar-listed.com/page"])
    tarball = tmp_path / "blacklists.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname="blacklists/adult")
    lists = load(BlocklistSource(tarball, ("adult",)), tmp_path / "cache")
    assert lists.built
    assert (
        domain_key("tar-listed.com") in lists.domains and url_key("http://tar-listed.com/page") in lists.urls
    )
    assert domain_key("other.com") not in lists.domains


def test_second_load_uses_the_cache(tmp_path: Path) -> None:
    src = BlocklistSource(write_lists(tmp_path / "ut1", ["a.com", "b.com"]))
    first = load(src, tmp_path / "cache")
    second = load(src, tmp_path / "cache")
    assert first.built and not second.built
    assert isinstance(second.domains.hashes, np.memmap)  # shared through the page cache, not copied
    assert np.array_equal(first.domains.hashes, second.domains.hashes)


def test_rebuilt_when_the_source_changes(tmp_path: Path) -> None:
    root = write_lists(tmp_path / "ut1", ["a.com"])
    cache = tmp_path / "cache"
    before = load(BlocklistSource(root), cache)
    assert domain_key("new.com") not in before.domains
    with open(root / "domains", "a") as out:
        out.write("new.com\n")
    after = load(BlocklistSource(root), cache)
    assert after.built and domain_key("new.com") in after.domains
    assert after.cache_files["domains"] != before.cache_files["domains"]
    assert not before.cache_files["domains"].exists()  # the stale cache was removed
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in after.cache_files.values())


def test_cache_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = BlocklistSource(write_lists(tmp_path / "ut1", ["a.com"]))
    cache = tmp_path / "cache"

    def crash(out, array, allow_pickle=False):  # a writer killed halfway through the file
        out.write(b"\x93NUMPY half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(blocklist.np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        load(src, cache)
    assert list(cache.iterdir()) == []  # neither a half cache nor a temp file is left
    monkeypatch.undo()
    lists = load(src, cache)
    assert lists.built and domain_key("a.com") in lists.domains


def _load_in_child(args: tuple[str, str]) -> tuple[int, bool]:
    root, cache = args
    lists = Blocklist.load(BlocklistSource(Path(root)), Path(cache))
    return len(lists.domains), domain_key("d500.com") in lists.domains


def test_concurrent_builders_agree(tmp_path: Path) -> None:
    root = write_lists(tmp_path / "ut1", [f"d{i}.com" for i in range(20_000)])
    cache = tmp_path / "cache"
    with multiprocessing.get_context("fork").Pool(3) as pool:
        results = pool.map(_load_in_child, [(str(root), str(cache))] * 3)
    assert results == [(20_000, True)] * 3
    assert not [p for p in cache.iterdir() if p.suffix == ".tmp"]
    assert len(list(cache.glob("*.npy"))) == 2


def test_unwritable_cache_falls_back_to_memory(tmp_path: Path) -> None:
    src = BlocklistSource(write_lists(tmp_path / "ut1", ["a.com"]))
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    lists = load(src, not_a_dir / "cache")
    assert domain_key("a.com") in lists.domains
    assert not isinstance(lists.domains.hashes, np.memmap)


def test_default_cache_dir_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    assert blocklist.default_cache_dir() == tmp_path / "blocklists"
    monkeypatch.delenv("CURATE_CACHE_DIR")
    assert blocklist.default_cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "curate" / "blocklists"


def test_tarball_without_domains_is_an_error(tmp_path: Path) -> None:
    src = write_lists(tmp_path / "src" / "gambling", ["bet.com"])
    tarball = tmp_path / "lists.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname="gambling")
    with pytest.raises(ValueError, match="no `domains` list"):
        load(BlocklistSource(tarball, ("adult",)), tmp_path / "cache")
