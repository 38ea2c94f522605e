"""`url_filter`: FineWeb's URL blocklist filter, run on the raw records before extraction.

Rules, in the order of datatrove's `URLFilter` (src/datatrove/pipeline/filters/url_filter.py, the
version with `registered_domain`/`fqdn` checks that FineWeb ran), first match wins:
- `url:domain`            the registered domain (tldextract, e.g. `bbc.co.uk` for `news.bbc.co.uk`) or the
                          full host is in the `domains` list;
- `url:url`               the URL is in the `urls` list;
- `url:banned_word`       a hard-banned word is a token of the URL (split on runs of non-[a-zA-Z0-9]);
- `url:soft_banned_words` at least `soft_word_threshold` (2) distinct soft-banned words are tokens
                          (the rejection's `value` is their count);
- `url:banned_subword`    a banned sub-word is a substring of the normalised URL (every non-[a-zA-Z0-9]
                          character removed, then lower-cased, scheme and `www` included).
Word lists are normalised like the URL (non-alphanumerics removed, lower-cased); `#` lines are comments.

The lists: by default (`blocklist_dir: ut1`) UT1's, as FineWeb used them (filters/ut1.py finds them;
`make setup` installs them). Without them the stage runs on the shipped demo list (`missing_ut1:
demo`) and says so: `prepare` (on the driver) records which list was loaded, from where and its
sizes in stats.json (`stages[].prepare.blocklist`), which the summary and the report show; with
`missing_ut1: error` the run refuses to start instead.

Where we differ from datatrove, on purpose:
- URL tokens keep their case, as in datatrove (so `/PORN/` is not the hard word `porn`; the sub-word rule
  is case-blind). Set `lowercase_url_words: true` to lower-case tokens first.
- Hosts are lower-cased before the lookup (host names are case-insensitive; the UT1 list is lower-case).
- The full host is the host itself also when tldextract finds no public suffix (an IP address, `localhost`):
  datatrove's `fqdn` is empty there, so UT1's 6,390 IP entries could never match.
- `urls`: datatrove compares the raw URL, but UT1 lists URLs without a scheme (`host/path`), so that rule
  never fired on crawled URLs. We compare both sides without scheme and leading `www.`, host lower-cased
  (`blocklist.url_key`), so `https://www.Host.net/a` matches the listed `host.net/a`; paths stay exact.
- A row without a URL (null or empty) is kept: there is nothing to judge (counted as `missing_url`).
  Malformed URLs never raise: tldextract parses any string, and the word rules apply to the raw text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from filters.blocklist import Blocklist, BlocklistSource, domain_key, is_tarball, url_key
from filters.ut1 import ASSET_SHA256, HOW_TO_GET, find_ut1, sha256_of
from pipeline.core.registry import register
from pipeline.core.stage import Rejection, Stage, StageOutput, split_batch
from pipeline.io.resources import shipped

DEMO_LISTS = "data/blocklists/demo"
UT1 = "ut1"
UT1_SIZE = 18_172_875  # bytes of datatrove 0.10.1's UT1 tarball: only a file of this size is hashed

# datatrove's normaliser: runs of anything but ASCII letters and digits.
_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+")
WORD_FILES = ("banned_words_file", "soft_banned_words_file", "banned_subwords_file")


def resolve_path(value: str) -> Path:
    """A path as given if it exists (or is absolute), else a file shipped with curate (demo lists)."""
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path
    bundled = shipped(value)
    return bundled if bundled.exists() else path


def normalize_word(text: str) -> str:
    return _NON_ALNUM.sub("", text).lower()


def load_words(path: Path | None) -> frozenset[str]:
    """A word list as datatrove reads it: `#` lines skipped, each word normalised; empty words dropped."""
    if path is None:
        return frozenset()
    with open(path, encoding="utf-8") as lines:
        words = {normalize_word(line) for line in lines if not line.startswith("#")}
    words.discard("")  # an empty word would match every URL
    return frozenset(words)


@dataclass(frozen=True)
class ListChoice:
    """The domain/URL list a url_filter uses: its path, its kind and how it was found."""

    path: Path | None
    kind: str  # "UT1", "demo" or "custom" ("none" without a list)
    origin: str  # how it was chosen, for stats.json, the summary and the report
    warning: str | None = None  # set when the demo list stands in for the UT1 lists


def _kind_of(path: Path) -> str:
    if path.resolve() == shipped(DEMO_LISTS).resolve():
        return "demo"
    if path.is_file() and path.stat().st_size == UT1_SIZE and sha256_of(path) == ASSET_SHA256:
        return "UT1"  # the very tarball FineWeb used, given by path
    return "custom"


@dataclass
class URLFilterConfig:
    # `ut1`: UT1's lists as FineWeb used them (filters/ut1.py says where they are looked for); `demo`:
    # the small demo list shipped in data/blocklists/demo; or a UT1-style directory (`domains`/`urls`,
    # or `<category>/domains`...) or its .tar.gz; null: no domain/URL list (word rules only).
    blocklist_dir: str | None = UT1
    # When `blocklist_dir: ut1` and the UT1 lists are not installed: `demo` runs on the demo list, said
    # loudly in stats.json, the summary and the report; `error` refuses to start.
    missing_ut1: str = "demo"
    # Categories read from the UT1 category layout (FineWeb used `adult`); null reads every category.
    blocklist_categories: list[str] | None = field(default_factory=lambda: ["adult"])
    extra_domains: str | None = None  # a file of more domains to block, one a line
    extra_urls: str | None = None  # a file of more URLs to block, one a line
    # FineWeb's word lists (datatrove 0.10.1's assets, shipped beside the demo list): one of these as
    # a URL token drops it
    banned_words_file: str | None = f"{DEMO_LISTS}/banned_words.txt"
    # words of which `soft_word_threshold` or more as URL tokens drop the page
    soft_banned_words_file: str | None = f"{DEMO_LISTS}/soft_banned_words.txt"
    # sub-words that drop a page when found anywhere in its normalised URL
    banned_subwords_file: str | None = f"{DEMO_LISTS}/banned_subwords.txt"
    soft_word_threshold: int = 2  # how many soft-banned URL tokens drop a page
    lowercase_url_words: bool = False  # lower-case the URL before splitting it into tokens
    # where the hashed domain list is cached; default: $CURATE_CACHE_DIR/blocklists or ~/.cache/curate/blocklists
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.soft_word_threshold < 1:
            raise ValueError(f"soft_word_threshold: must be at least 1, got {self.soft_word_threshold}")
        if self.missing_ut1 not in ("demo", "error"):
            raise ValueError(f"missing_ut1: must be demo or error, got {self.missing_ut1!r}")
        choice = self.lists()
        if choice.path is not None:
            path = choice.path
            if not (path.is_dir() or is_tarball(path)):
                raise ValueError(
                    f"blocklist_dir: {self.blocklist_dir!r} is neither a directory nor a .tar.gz/.tar file"
                )
            if path.is_dir() and not self.source().files("domains"):
                raise ValueError(
                    f"blocklist_dir: no `domains` list in {self.blocklist_dir!r} "
                    f"(read: top level and categories {self.blocklist_categories or 'all'})"
                )
        for key in ("extra_domains", "extra_urls", *WORD_FILES):
            value = getattr(self, key)
            if value is not None and not resolve_path(value).is_file():
                raise ValueError(f"{key}: no such file: {value!r}")

    def lists(self) -> ListChoice:
        """Which domain/URL list this configuration means on this machine."""
        value = self.blocklist_dir
        if value is None:
            return ListChoice(None, "none", "blocklist_dir: null")
        if value == "demo":
            return ListChoice(shipped(DEMO_LISTS), "demo", "blocklist_dir: demo")
        if value != UT1:
            path = resolve_path(value)
            return ListChoice(path, _kind_of(path) if path.exists() else "custom", "blocklist_dir")
        try:
            found = find_ut1()
        except FileNotFoundError as err:
            raise ValueError(f"blocklist_dir: {err}") from None
        if found is not None:
            return ListChoice(found.path, "UT1", found.origin)
        if self.missing_ut1 == "error":
            raise ValueError(f"blocklist_dir: the UT1 lists are not installed: {HOW_TO_GET}")
        return ListChoice(
            shipped(DEMO_LISTS),
            "demo",
            "fallback (missing_ut1: demo)",
            f"the UT1 lists are not installed, so the DEMO list ran instead (not FineWeb's): {HOW_TO_GET}",
        )

    def source(self) -> BlocklistSource:
        extra = {
            kind: resolve_path(value)
            for kind, value in (("domains", self.extra_domains), ("urls", self.extra_urls))
            if value is not None
        }
        cats = tuple(self.blocklist_categories) if self.blocklist_categories is not None else None
        return BlocklistSource(self.lists().path, cats, extra)


def _path_or_none(value: str | None) -> Path | None:
    return resolve_path(value) if value is not None else None


@register
class URLFilter(Stage):
    name = "url_filter"
    Config = URLFilterConfig
    needs = "html"
    reasons = ("url:domain", "url:url", "url:banned_word", "url:soft_banned_words", "url:banned_subword")
    _unpicklable = ("blocklist", "_extract", "_banned", "_soft", "_subwords")

    # The list kind the driver chose in `prepare` (travels with the stage to workers and executors).
    expected_lists: str | None = None

    def setup(self) -> None:
        from tldextract import TLDExtract

        c: URLFilterConfig = self.config
        kind = c.lists().kind
        if self.expected_lists is not None and kind != self.expected_lists:
            raise RuntimeError(
                f"url_filter: the driver chose the {self.expected_lists} list but this worker finds the "
                f"{kind} list; install the same lists on every machine ({HOW_TO_GET})"
            )
        self.blocklist = Blocklist.load(c.source(), Path(c.cache_dir) if c.cache_dir else None)
        # No suffix-list download and no disk cache: the snapshot bundled with tldextract is used offline.
        self._extract = TLDExtract(suffix_list_urls=(), cache_dir=None)
        self._banned = load_words(_path_or_none(c.banned_words_file))
        self._soft = load_words(_path_or_none(c.soft_banned_words_file))
        self._subwords = tuple(sorted(load_words(_path_or_none(c.banned_subwords_file))))

    def prepare(self, workdir: str) -> dict[str, Any]:
        """On the driver, once: load (or build the cache of) the lists; say which ones, for stats.json."""
        choice = self.config.lists()
        self.expected_lists = choice.kind
        self.ensure_setup()
        return {"blocklist": self.list_facts(choice)}

    def list_facts(self, choice: ListChoice) -> dict[str, Any]:
        c: URLFilterConfig = self.config
        facts: dict[str, Any] = {
            "list": choice.kind,
            "path": str(choice.path) if choice.path else None,
            "found_by": choice.origin,
            "categories": c.blocklist_categories,
            "domains": len(self.blocklist.domains),
            "urls": len(self.blocklist.urls),
            "banned_words": len(self._banned),
            "soft_banned_words": len(self._soft),
            "banned_subwords": len(self._subwords),
        }
        if choice.warning:
            facts["warning"] = choice.warning
        return facts

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        self.ensure_setup()
        return split_batch(batch, self.check_urls(batch.column("url").to_pylist()))

    # -- the rules -------------------------------------------------------------------------------
    def hosts(self, url: str) -> tuple[str, str]:
        """(registered domain, full host), lower-cased; empty strings when there is none."""
        try:
            parts = self._extract(url)
        except Exception:  # tldextract parses nearly anything; never let one odd URL stop a batch
            self.counters["unparsed_url"] += 1
            return "", ""
        registered = f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else ""
        host = ".".join(p for p in (parts.subdomain, parts.domain, parts.suffix) if p)
        return registered.lower(), host.lower()

    def check_urls(self, urls: Sequence[str | None]) -> list[Rejection | None]:
        self.ensure_setup()
        present = [i for i, url in enumerate(urls) if url]
        self.counters["missing_url"] += len(urls) - len(present)
        verdicts: list[Rejection | None] = [None] * len(urls)
        if not present:
            return verdicts
        texts = [urls[i] or "" for i in present]
        domain_hit = self._domain_hits(texts)
        url_hit = self._url_hits(texts)
        for j, i in enumerate(present):
            if domain_hit[j]:
                verdicts[i] = Rejection("url:domain")
            elif url_hit[j]:
                verdicts[i] = Rejection("url:url")
            else:
                verdicts[i] = self.check_words(texts[j])
        return verdicts

    def _domain_hits(self, urls: list[str]) -> np.ndarray:
        # One vectorised lookup per batch: [registered domains..., full hosts...].
        pairs = [self.hosts(url) for url in urls]
        keys = [domain_key(r) for r, _ in pairs] + [domain_key(h) for _, h in pairs]
        hits = self.blocklist.domains.contains_many(keys)
        return hits[: len(urls)] | hits[len(urls) :]

    def _url_hits(self, urls: list[str]) -> np.ndarray:
        return self.blocklist.urls.contains_many([url_key(url) for url in urls])

    def check_words(self, url: str) -> Rejection | None:
        c: URLFilterConfig = self.config
        tokens = set(_NON_ALNUM.split(url.lower() if c.lowercase_url_words else url))
        if not tokens.isdisjoint(self._banned):
            return Rejection("url:banned_word")
        soft = len(tokens & self._soft)
        if soft >= c.soft_word_threshold:
            return Rejection("url:soft_banned_words", float(soft))
        normalized = normalize_word(url)
        if any(word in normalized for word in self._subwords):
            return Rejection("url:banned_subword")
        return None

    def check_url(self, url: str | None) -> Rejection | None:
        """The verdict for one URL (None = keep)."""
        return self.check_urls([url])[0]
