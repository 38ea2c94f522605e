"""`robots_optout`: drop pages whose publishers opted out of AI training, before extraction.

Two kinds of opt-out, as Apple's AFM report describes honouring them:
1. robots.txt at crawl time: the page's host had, in the same crawl, a robots.txt that disallowed the
   page's path for one of the configured AI-training crawlers (RFC 9309, parsed with protego;
   `filters.robots_rules`).
   The robots.txt captures come from CommonCrawl's robots.txt WARCs of that crawl (`--robots
   PATH...`); the host -> rules index is built once into a cache and memory-mapped by every worker
   (`filters.robots_build`, `filters.robots_index`).
2. page-level signals: `noai` in the `X-Robots-Tag` header or a robots `<meta>` tag (`filters.noai`).

Reasons (every dropped page is a rejected row):
- `robots:<agent>`   the agent's own group disallows the path (the first such agent in the configured
                     order; `value` = how many configured agents are disallowed; `optout_agents` lists them);
- `robots:*`         no own group, and the `*` group disallows the path (only with `respect_wildcard`);
- `robots:unreachable` the robots.txt answered 5xx at crawl time: RFC 9309 2.3.1.4 says complete
                     disallow (`on_unreachable: allow` keeps these pages);
- `robots:noai`      the page says `noai` (header or meta); `drop_signals: [noai, noimageai]` also
                     drops `noimageai` pages as `robots:noimageai`. The robots.txt reasons come first.
Kept and counted: pages of hosts without a captured robots.txt (`no_robots`), with a 4xx robots.txt
(`robots_unavailable`: everything allowed), with rules that allow them. Counters per agent
(`disallowed:<agent>`, every disallowing agent of a page) feed the report's opt-out section.

Memory per worker: the index is memory-mapped (shared through the page cache); at most
`parser_cache` parsed robots.txt files are held (LRU), a few KB each for typical AI-agent rules.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from filters.noai import SIGNALS, header_signals, meta_signals
from filters.robots_build import BuildSettings, build_index, source_files
from filters.robots_index import (
    INDEX_FILES,
    META_FILE,
    RobotsIndex,
    host_hash,
    host_key,
    iso_date,
    parse_date,
)
from filters.robots_rules import (
    KIND_NAMES,
    MAX_ROBOTS_BYTES,
    NO_RULES,
    RULES,
    UNAVAILABLE,
    UNREACHABLE,
    RulesCache,
    robots_parser,
)
from pipeline.core.config import ConfigError
from pipeline.core.registry import register
from pipeline.core.stage import Rejection, Stage, StageOutput, split_batch
from pipeline.io.storage import Location

# AI-training crawlers with published opt-out tokens (their operators' crawler documentation).
DEFAULT_AGENTS = [
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "anthropic-ai",
    "ClaudeBot",
    "Applebot-Extended",
    "Bytespider",
    "Meta-ExternalAgent",
    "PerplexityBot",
    "cohere-ai",
    "Amazonbot",
]
X_ROBOTS_TAG = "x_robots_tag"
# A dropped page: its rejection, the agents it concerns (None for a page signal) and where it came from.
Optout = tuple[Rejection, str | None, str]


@dataclass
class RobotsOptoutConfig:
    # robots.txt WARCs of the crawl: files, folders, globs, robotstxt.paths(.gz) listings, URIs.
    # None: not given (an error at the start of a run); []: page-level signals only.
    robots: list[str] | None = None
    paths_prefix: str | None = None  # joined to the entries of a robotstxt.paths listing
    # AI-training user agents whose robots.txt groups are honoured (product tokens, any case)
    agents: list[str] = field(default_factory=lambda: list(DEFAULT_AGENTS))
    respect_wildcard: bool = False  # also drop what `User-agent: *` disallows (for agents without a group)
    on_unreachable: str = "disallow"  # a 5xx robots.txt: `disallow` (RFC 9309) or `allow`
    drop_signals: list[str] = field(default_factory=lambda: ["noai"])  # page signals that drop a page
    parser_cache: int = 4096  # parsed robots.txt files kept per worker
    max_robots_bytes: int = MAX_ROBOTS_BYTES  # RFC 9309: at least 500 KiB must be parsed
    build_workers: int = 0  # processes reading robots.txt WARCs when the index is built (0: all cores)
    cache_dir: str | None = None  # default: $CURATE_CACHE_DIR/robots or ~/.cache/curate/robots

    def __post_init__(self) -> None:
        bad = [a for a in self.agents if not a or not all(c.isalpha() or c in "-_" for c in a)]
        if bad:
            raise ValueError(f"agents: {bad[0]!r} is not a product token (letters, '-' and '_' only)")
        if not self.agents:
            raise ValueError("agents: the list is empty")
        if self.on_unreachable not in ("disallow", "allow"):
            raise ValueError(f"on_unreachable: 'disallow' or 'allow', got {self.on_unreachable!r}")
        unknown = [s for s in self.drop_signals if s not in SIGNALS]
        if unknown:
            raise ValueError(f"drop_signals: unknown signal {unknown[0]!r} (known: {', '.join(SIGNALS)})")
        if self.parser_cache < 1 or self.max_robots_bytes < 1:
            raise ValueError("parser_cache and max_robots_bytes must be at least 1")

    def settings(self) -> BuildSettings:
        return BuildSettings(tuple(self.agents), self.respect_wildcard, self.max_robots_bytes)


@register
class RobotsOptout(Stage):
    name = "robots_optout"
    Config = RobotsOptoutConfig
    needs = "html"
    # the first configured agent whose group disallows the page; `*` only with respect_wildcard;
    # a 5xx robots.txt; a page-level signal listed in drop_signals
    reasons = ("robots:{agents}", "robots:*", "robots:unreachable", "robots:{drop_signals}")
    _unpicklable = ("_index", "_rules")

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.workdir: str | None = None  # where prepare() put the index (set on the driver)

    # -- on the driver, once ----------------------------------------------------------------------
    def check_sources(self) -> list[str]:
        """The robots.txt files (listings read, local paths checked); an error when none were given."""
        if self.config.robots is None:
            raise ConfigError(
                "robots_optout: no robots.txt sources: give --robots PATH... (the crawl's robots.txt "
                "WARCs, a folder or robotstxt.paths.gz), or --set robots_optout.robots=[] for "
                "page-level signals only"
            )
        if not self.config.robots:
            return []
        robots_parser()  # the parser must be installed: say so now, not in every worker
        return source_files(self.config.robots, self.config.paths_prefix)

    def prepare(self, workdir: str) -> dict[str, Any]:
        """Build (or find in the cache) the index, then place it in the run's DIR/_work for the workers."""
        c: RobotsOptoutConfig = self.config
        files = self.check_sources()
        workers = c.build_workers or os.cpu_count() or 1
        cache = Path(c.cache_dir) if c.cache_dir else None
        index_dir, stats = build_index(files, c.settings(), cache, workers)
        publish(index_dir, Location(workdir))
        self.workdir = workdir
        return {"sources": len(files), **stats}

    # -- in every worker --------------------------------------------------------------------------
    def setup(self) -> None:
        if self.workdir is None:
            raise RuntimeError("robots_optout: the index was not prepared (the runner calls prepare)")
        self._index = RobotsIndex.open(self.workdir)
        self._rules = RulesCache(self.config.parser_cache, self.config.agents)

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        self.ensure_setup()
        urls = batch.column("url").to_pylist()
        dates = batch.column("warc_date").to_pylist()
        headers = _column(batch, X_ROBOTS_TAG)
        pages = _column(batch, "html")
        keys = [host_key(u) if u else None for u in urls]
        missing = sum(1 for u in urls if not u)
        if missing:
            self.counters["missing_url"] += missing  # kept: page-level signals are still checked
        hashes = np.fromiter((host_hash(k) if k else 0 for k in keys), dtype=np.uint64, count=len(keys))
        seconds = np.fromiter((_seconds(d) for d in dates), dtype=np.int64, count=len(dates))
        match = self._index.find(hashes, seconds)
        verdicts: list[Rejection | None] = []
        agents: list[str | None] = []
        sources: list[str | None] = []
        for i, url in enumerate(urls):
            capture = int(match.capture[i]) if keys[i] else -1
            verdict = self._robots_verdict(url or "", capture, bool(match.after_page[i]))
            if verdict is None:
                verdict = self._signal_verdict(headers[i], pages[i])
            else:
                self._signal_verdict(headers[i], pages[i])  # counted even when robots.txt decided
            verdicts.append(verdict[0] if verdict else None)
            if verdict:
                agents.append(verdict[1])
                sources.append(verdict[2])
        out = split_batch(batch, verdicts)
        rejected = out.rejected.append_column("optout_agents", pa.array(agents, pa.string()))
        rejected = rejected.append_column("optout_source", pa.array(sources, pa.string()))
        return StageOutput(kept=out.kept, rejected=rejected)

    def rejected_fields(self) -> list[pa.Field]:
        return [pa.field("optout_agents", pa.string()), pa.field("optout_source", pa.string())]

    # -- the decisions ----------------------------------------------------------------------------
    def _robots_verdict(self, url: str, capture: int, after_page: bool) -> Optout | None:
        if capture < 0:
            self.counters["no_robots"] += 1
            return None
        if after_page:
            self.counters["capture_after_page"] += 1  # the host's robots.txt was fetched after the page
        kind = int(self._index.kinds[capture])
        self.counters[f"robots_{KIND_NAMES[kind]}"] += 1
        source = f"robots.txt captured {iso_date(int(self._index.dates[capture]))}"
        if kind in (NO_RULES, UNAVAILABLE):
            return None
        if kind == UNREACHABLE:
            if self.config.on_unreachable == "allow":
                return None
            return Rejection("robots:unreachable"), "*", f"{source} (5xx: unreachable)"
        assert kind == RULES
        blob = int(self._index.blobs[capture])
        rules = self._rules.get(blob, _text_of(self._index, blob))
        verdict = rules.verdict(url, self.config.respect_wildcard)
        for agent in verdict.agents:
            self.counters[f"disallowed:{agent}"] += 1
        if verdict.wildcard:
            self.counters["disallowed:*"] += 1
        if verdict.agents:
            count = len(verdict.agents) + (len(self.config.agents) - len(rules.own)) * verdict.wildcard
            listed = ",".join(verdict.agents + (["*"] if verdict.wildcard else []))
            return Rejection(f"robots:{verdict.agents[0]}", float(count)), listed, source
        if verdict.wildcard:
            return Rejection("robots:*", float(len(self.config.agents) - len(rules.own))), "*", source
        return None

    def _signal_verdict(self, header: str | None, page: str | None) -> Optout | None:
        agents = self.config.agents
        found: dict[str, str] = {}
        for signal in sorted(header_signals(header, agents)):
            found.setdefault(signal, f"X-Robots-Tag: {signal}")
            self.counters[f"signal:{signal}:x-robots-tag"] += 1
        for name, signals in sorted(meta_signals(page, agents).items()):
            for signal in sorted(signals):
                found.setdefault(signal, f'<meta name="{name}">: {signal}')
                self.counters[f"signal:{signal}:meta"] += 1
        for signal in self.config.drop_signals:
            if signal in found:
                return Rejection(f"robots:{signal}"), None, found[signal]
        return None


def _text_of(index: RobotsIndex, blob: int) -> Callable[[], str]:
    return lambda: index.text(blob)


def _column(batch: pa.RecordBatch, name: str) -> list[Any]:
    index = batch.schema.get_field_index(name)
    return batch.column(index).to_pylist() if index >= 0 else [None] * batch.num_rows


def _seconds(date: str | None) -> int:
    seconds = parse_date(date)
    return -1 if seconds is None else seconds


def publish(index_dir: Path, workdir: Location) -> None:
    """Put the index files in DIR/_work/robots_optout: hard links when DIR is local (no copy), else
    an upload that every executor downloads once per machine (`Location.local_copy`)."""
    workdir.mkdir()
    for name in INDEX_FILES:
        source, target = index_dir / name, workdir / name
        if workdir.is_local:
            path = target.as_path()
            path.unlink(missing_ok=True)
            try:
                os.link(source, path)
            except OSError:  # another filesystem
                shutil.copyfile(source, path)
        elif name != META_FILE:
            with open(source, "rb") as data, target.atomic_output() as sink:
                shutil.copyfileobj(data, sink, 1 << 20)
    if not workdir.is_local:  # last: its presence says the upload is whole
        (workdir / META_FILE).write_bytes((index_dir / META_FILE).read_bytes())
