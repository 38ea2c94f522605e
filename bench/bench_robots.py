"""Benchmark `robots_optout` (not a test): the robots.txt parsers, the index build, lookups.

1. Parsers: protego and robotspy (when importable) on RFC 9309's examples and on 20,000 random rule
   sets against a literal reading of the RFC (`devdata.robots_rfc`); parse and query time.
2. Reading robots.txt WARCs: `--read-records` generated fetches (`devdata.robots.bulk_robots`) in 4
   WARCs, read and reduced on one core (records/s), then the whole build (read + merge + write).
3. The index at scale (`--hosts`, default 1 M and 10 M): one capture per host, the shares of kinds
   and distinct reduced texts measured in step 2, host keys `h<i>.example`. Each size runs in a fresh
   process: merge + write time and peak RSS (VmHWM), files on disk, then opening the index, lookups
   per second on one core (`RobotsIndex.find` alone, and the whole stage on pages of known hosts) and
   the worker's private memory (USS) after them.
Writes bench/results/robots.md.

    .venv/bin/python -m bench robots                 # or: python bench/bench_robots.py --hosts 1000000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

import numpy as np
import pyarrow as pa

from bench.common import in_process, peak_rss, smaps_rollup, write_result
from devdata.robots import bulk_robots
from devdata.robots_rfc import RFC_CASES, longest_match, random_rule_sets
from devdata.warcs import Page, write_warc
from filters.robots_build import BuildSettings, Merged, Partial, build_index, merge, read_file, write_index
from filters.robots_index import INDEX_VERSION, host_hash
from filters.robots_optout import DEFAULT_AGENTS, RobotsOptout, RobotsOptoutConfig
from filters.robots_rules import NO_RULES, RULES, UNAVAILABLE, UNREACHABLE, RobotsRules, reduce_robots
from pipeline.core.schema import RECORD_SCHEMA

NAME = "robots"
MB = 1024 * 1024
SETTINGS = BuildSettings(tuple(DEFAULT_AGENTS), wildcard=False)


# -- 1. parsers ----------------------------------------------------------------------------------
def _protego(text: str) -> Any:
    from protego import Protego

    parser = Protego.parse(text)
    return lambda agent, url: parser.can_fetch(url, agent)


def _robotspy(text: str) -> Any:
    from robots import RobotsParser

    parser = RobotsParser.from_string(text)
    return lambda agent, url: parser.can_fetch(agent, url)


def _ours(case: Any) -> bool:
    """A decision the way the stage makes it: our group selection (reduce_robots), then protego."""
    rules = RobotsRules(reduce_robots(case.robots, [case.agent], True), [case.agent])
    verdict = rules.verdict("https://example.com" + case.path, respect_wildcard=True)
    return not verdict.agents and not verdict.wildcard


def parsers() -> dict[str, Any]:
    found = {"protego": _protego}
    try:
        import robots  # noqa: F401

        found["robotspy"] = _robotspy
    except ImportError:
        pass
    return found


def compare_parsers(texts: list[str]) -> list[dict[str, Any]]:
    rows = []
    rule_sets = random_rule_sets(20_000, seed=0)
    queries = [(t, a) for t in texts for a in ("GPTBot", "CCBot", "ClaudeBot")]
    ours = [c.name for c in RFC_CASES if _ours(c) != c.allowed]
    for name, make in parsers().items():
        failed = [
            c.name for c in RFC_CASES if make(c.robots)(c.agent, "https://example.com" + c.path) != c.allowed
        ]
        wrong = 0
        for rules, path in rule_sets:
            text = "User-agent: GPTBot\n" + "".join(
                f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rules
            )
            wrong += make(text)("GPTBot", "https://example.com" + path) != longest_match(rules, path)
        started = time.perf_counter()
        parsed = [make(t) for t in texts]
        parse_us = (time.perf_counter() - started) / len(texts) * 1e6
        started = time.perf_counter()
        for i, (_, agent) in enumerate(queries):
            parsed[i // 3](agent, f"https://h.example/p{i % 53}/page.html")
        query_us = (time.perf_counter() - started) / len(queries) * 1e6
        rows.append(
            {
                "ours": ours,
                "name": name,
                "failed": failed,
                "wrong": wrong,
                "sets": len(rule_sets),
                "parse_us": parse_us,
                "query_us": query_us,
            }
        )
    return rows


# -- 2. reading robots.txt WARCs -------------------------------------------------------------------
def write_robots_warcs(directory: Path, n: int, files: int = 4) -> list[str]:
    fetches = bulk_robots(n, seed=1)
    paths = []
    for f in range(files):
        pages = [
            Page(f"https://h{i}.example/robots.txt", body.encode(), status=status, content_type="text/plain")
            for i, (status, body) in enumerate(fetches)
            if i % files == f
        ]
        paths.append(str(write_warc(directory / f"robots-{f}.warc.gz", pages)))
    return paths


def measure_reading(directory: Path, n: int) -> dict[str, Any]:
    paths = write_robots_warcs(directory, n)
    started = time.perf_counter()
    part = read_file(paths[0], SETTINGS)
    read_seconds = time.perf_counter() - started
    records = part.stats["responses"]
    started = time.perf_counter()
    _, stats = build_index(paths, SETTINGS, directory / "cache", workers=1)
    build_seconds = time.perf_counter() - started
    return {
        "records": records,
        "read_rate": records / read_seconds,
        "n": n,
        "build_s": build_seconds,
        "stats": stats,
    }


def shares_and_texts(n: int) -> tuple[dict[int, float], list[bytes]]:
    """Kind shares and the distinct reduced texts of n generated fetches (default agents, no `*`)."""
    kinds: Counter[int] = Counter()
    texts: dict[str, None] = {}
    for status, body in bulk_robots(n, seed=2):
        if status.startswith("404"):
            kinds[UNAVAILABLE] += 1
        elif status.startswith("503"):
            kinds[UNREACHABLE] += 1
        else:
            reduced = reduce_robots(body, SETTINGS.agents, SETTINGS.wildcard)
            kinds[RULES if reduced else NO_RULES] += 1
            if reduced:
                texts.setdefault(reduced)
    return {k: v / n for k, v in kinds.items()}, [t.encode() for t in texts]


# -- 3. the index at scale (in a child process) ----------------------------------------------------
def synthetic_partials(
    n: int, shares: dict[int, float], texts: list[bytes], chunk: int = 1_000_000
) -> list[Partial]:
    rng = np.random.default_rng(3)
    codes = np.array(sorted(shares), dtype=np.uint8)
    probs = np.array([shares[c] for c in codes])
    keys = [xxhash_key(t) for t in texts]
    partials = []
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        part = Partial()
        hosts = np.fromiter((host_hash(f"h{i}.example") for i in range(start, start + size)), np.uint64, size)
        kind = rng.choice(codes, size=size, p=probs)
        blob = np.where(kind == RULES, rng.integers(0, len(texts), size), -1)
        part.host, part.url = hosts, hosts ^ np.uint64(0x9E3779B97F4A7C15)
        part.robots, part.target = np.ones(size, np.uint8), np.zeros(size, np.uint64)
        part.date = np.full(size, 1_708_400_000, np.int64) + rng.integers(0, 86_400 * 10, size)
        part.kind, part.blob = kind, blob
        part.blob_keys, part.blob_texts = keys, texts
        partials.append(part)
    return partials


def xxhash_key(text: bytes) -> bytes:
    import xxhash

    return xxhash.xxh3_128_digest(text)


def scale_child(n: int, shares: dict[int, float], texts: list[bytes], workdir: str, queue: Any) -> None:
    out: dict[str, Any] = {"n": n}
    started = time.perf_counter()
    partials = synthetic_partials(n, shares, texts)
    out["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    merged: Merged = merge(partials)
    out["merge_s"] = time.perf_counter() - started
    del partials
    started = time.perf_counter()
    index_dir = Path(workdir) / "index"
    write_index(index_dir, merged, {"version": INDEX_VERSION})
    out["write_s"] = time.perf_counter() - started
    out["build_peak_rss"] = peak_rss()
    out["disk"] = sum(p.stat().st_size for p in index_dir.iterdir())
    out["distinct"] = len(merged.texts)
    del merged
    queue.put(out)


def lookup_child(n: int, workdir: str, queue: Any) -> None:
    """A fresh worker: open the index, look up pages of known hosts, report speed and memory."""
    rng = np.random.default_rng(4)
    picks = rng.integers(0, n, 200_000)
    hashes = np.fromiter((host_hash(f"h{i}.example") for i in picks), np.uint64, len(picks))
    dates = np.full(len(picks), 1_708_800_000, np.int64)
    page = "<html><head><title>t</title></head><body>text</body></html>"
    rows = [
        {
            "id": str(k),
            "url": f"https://h{i}.example/p{k % 53}/page.html",
            "warc_date": "2024-02-25T00:00:00Z",
            "html": page,
        }
        for k, i in enumerate(picks[:100_000])
    ]
    batches = [
        pa.RecordBatch.from_pylist(rows[s : s + 256], schema=RECORD_SCHEMA) for s in range(0, len(rows), 256)
    ]
    before = smaps_rollup()
    stage = RobotsOptout(RobotsOptoutConfig(robots=[]))
    stage.workdir = str(Path(workdir) / "index")
    started = time.perf_counter()
    stage.ensure_setup()
    opened = time.perf_counter() - started
    index = stage._index
    started = time.perf_counter()
    for s in range(0, len(picks), 256):
        index.find(hashes[s : s + 256], dates[s : s + 256])
    find_rate = len(picks) / (time.perf_counter() - started)
    found = int((index.find(hashes, dates).capture >= 0).sum())
    started = time.perf_counter()
    dropped = sum(stage.process(b).rejected.num_rows for b in batches)
    stage_rate = len(rows) / (time.perf_counter() - started)
    after = smaps_rollup()
    queue.put(
        {
            "open_s": opened,
            "find_rate": find_rate,
            "found": found,
            "looked_up": len(picks),
            "stage_rate": stage_rate,
            "dropped": dropped,
            "pages": len(rows),
            "parsed": stage._rules.parsed,
            "private_delta": after["Anonymous"] - before["Anonymous"],
            "rss_delta": after["Rss"] - before["Rss"],
        }
    )


def measure_scale(n: int, shares: dict[int, float], texts: list[bytes]) -> dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="bench-robots-")
    try:
        built = in_process(scale_child, n, shares, texts, workdir)
        looked = in_process(lookup_child, n, workdir)
        return {**built, **looked}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- report ----------------------------------------------------------------------------------------
def report(
    parser_rows: list[dict],
    reading: dict,
    shares: dict[int, float],
    n_texts: int,
    scale: list[dict],
    command: str,
) -> str:
    lines = [
        "## robots_optout: robots.txt parsers, index build and lookups",
        "",
        f"Command: `{command}`. One core per figure unless said; times are wall-clock on a shared machine.",
        "",
        "### Parsers (the choice: protego)",
        "",
        f"RFC 9309 examples: {len(RFC_CASES)} decisions from `devdata/robots_rfc.py`, each parser on the raw file. "
        "Random rule sets: one `GPTBot` group of 1-5 rules over `/ab.*?=-` with `$`, a random path, against "
        "`longest_match` (the RFC read literally; lengths of the percent-encoded pattern). Speed: parse of a "
        "reduced robots.txt, and one query.",
        "",
        "| parser | RFC examples passed | wrong on random rule sets | parse | query |",
        "|---|---|---|---|---|",
    ]
    for r in parser_rows:
        missed = "; ".join(r["failed"]) or "none"
        lines.append(
            f"| {r['name']} | {len(RFC_CASES) - len(r['failed'])} / {len(RFC_CASES)} (missed: {missed}) | "
            f"{r['wrong']} of {r['sets']:,} | {r['parse_us']:.0f} µs | {r['query_us']:.1f} µs |"
        )
    ours = parser_rows[0]["ours"]
    lines.append(
        f"\nThrough the stage's own group selection (`reduce_robots` + `RobotsRules`), protego passes "
        f"{len(RFC_CASES) - len(ours)} / {len(RFC_CASES)} (missed: {'; '.join(ours) or 'none'})."
    )
    if len(parser_rows) == 1:
        lines.append("\nrobotspy is not installed here: only protego was measured.")
    kinds = ", ".join(
        f"{name} {shares.get(code, 0):.1%}"
        for code, name in (
            (RULES, "rules"),
            (NO_RULES, "no rules"),
            (UNAVAILABLE, "4xx"),
            (UNREACHABLE, "5xx"),
        )
    )
    s = reading["stats"]
    lines += [
        "",
        "### Reading robots.txt WARCs",
        "",
        f"{reading['n']:,} generated fetches (`bulk_robots`: mostly `*` groups, ~15% with AI-crawler groups) in 4 WARCs; "
        f"default agents, `respect_wildcard: false`. Kinds: {kinds}; {n_texts:,} distinct reduced texts per "
        f"200,000 hosts.",
        "",
        f"- read and reduce, one core: **{reading['read_rate']:,.0f} records/s** ({reading['records']:,} records of one file)",
        f"- whole build (4 files, one process: read, merge, write): {reading['build_s']:.1f} s "
        f"({s['hosts']:,} hosts, {s['distinct_rules']:,} distinct texts, {s['rules_bytes']:,} bytes of rules)",
        "",
        "### The index at scale",
        "",
        "One capture per host; kinds and texts drawn with the shares above. Build = merge (sort, dedup texts) + "
        "write, in a fresh process (peak RSS includes the generated input arrays). Lookups: a fresh worker process; "
        "`find` on batches of 256 host hashes; the stage = `RobotsOptout.process` on batches of 256 pages of known "
        "hosts (URL parsing, hashing, lookup, rules parsed on first use and memoised, noai checks).",
        "",
        "| hosts | merge + write | peak RSS (build) | index on disk | open | find | stage | worker: heap / RSS growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in scale:
        lines.append(
            f"| {r['n']:,} | {r['merge_s'] + r['write_s']:.1f} s | {r['build_peak_rss'] / MB:,.0f} MB | {r['disk'] / MB:,.0f} MB | "
            f"{r['open_s'] * 1000:.0f} ms | {r['find_rate']:,.0f} lookups/s | {r['stage_rate']:,.0f} pages/s | "
            f"{r['private_delta'] / MB:,.0f} MB / {r['rss_delta'] / MB:,.0f} MB |"
        )
    if scale:
        big = scale[-1]
        est = big["n"] / reading["read_rate"]
        lines += [
            "",
            f"Reading {big['n']:,} robots.txt fetches at the measured rate would take ~{est / 60:.0f} min on one core "
            f"(~{est / 60 / 16:.1f} min on 16; files are read in parallel, `build_workers`), plus the merge above. "
            "The index pages are memory-mapped: the RSS growth of a worker is mostly those file pages, held once "
            "per machine in the page cache and shared by every worker; the heap growth (anonymous memory: parsed "
            f"rules, at most `parser_cache` = 4,096 of them, and Python objects) is what each worker adds. Per size: "
            f"{', '.join(str(r['pages']) for r in scale)} pages through the stage, "
            f"{', '.join(str(r['parsed']) for r in scale)} robots.txt texts parsed, "
            f"{', '.join(str(r['dropped']) for r in scale)} pages dropped.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--read-records", type=int, default=100_000)
    parser.add_argument("--hosts", type=int, nargs="*", default=[1_000_000, 10_000_000])
    args = parser.parse_args(argv if argv is not None else [])
    command = "python -m bench robots" if argv is None else "python bench/bench_robots.py " + " ".join(argv)
    shares, texts = shares_and_texts(200_000)
    sample = [t.decode() for t in texts[:2000]]
    parser_rows = compare_parsers(sample)
    with tempfile.TemporaryDirectory(prefix="bench-robots-") as tmp:
        reading = measure_reading(Path(tmp), args.read_records)
    scale = []
    for n in args.hosts:
        print(f"   index of {n:,} hosts ...", flush=True)
        scale.append(measure_scale(n, shares, texts))
    write_result(NAME, report(parser_rows, reading, shares, len(texts), scale, command))


if __name__ == "__main__":
    main(sys.argv[1:])
