"""Benchmark the `url_filter` and `language` stages (not a test).

Measures, on the real UT1 list and real pages from ../shared/data:
- the blocklist cache build (time, peak RSS) and its load, cold (file evicted from the page cache)
  and warm;
- memory per worker: 2 processes open the list and touch every page; each reports its private memory
  (USS = Private_Clean + Private_Dirty, /proc/self/smaps_rollup) and the mapping's own Rss/Pss, and a
  Python `set` of the same domains is measured for contrast;
- url_filter URLs/s and language docs/s on one core.
Writes bench/results/url_language.md (joined into bench/results.md by `python -m bench`).

    .venv/bin/python -m bench url_language          # or: .venv/bin/python bench/bench_url_language.py [--ut1 PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

import numpy as np
import pyarrow as pa

from bench.common import SHARED_DATA, in_process, peak_rss, smaps_rollup, write_result
from filters.blocklist import Blocklist, domain_key
from filters.language import LanguageFilter
from filters.url import URLFilter, URLFilterConfig
from pipeline.core.schema import DOCUMENT_SCHEMA, RECORD_SCHEMA

SHARED = SHARED_DATA
NAME = "url_language"
MB = 1024 * 1024


# -- memory accounting ---------------------------------------------------------------------------
def uss(totals: dict[str, int]) -> int:
    return totals["Private_Clean"] + totals["Private_Dirty"]


_MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")


def mapping_stats(path: Path) -> dict[str, int]:
    """Rss/Pss/Shared/Private bytes of the mappings of one file in this process."""
    out: dict[str, int] = {}
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if _MAPPING.match(line):
            inside = line.rstrip().endswith(str(path))
        elif inside and line.split(":")[0] in (
            "Rss",
            "Pss",
            "Shared_Clean",
            "Private_Clean",
            "Private_Dirty",
        ):
            key, value = line.split(":", 1)
            out[key] = out.get(key, 0) + int(value.split()[0]) * 1024
    return out


def evict(path: Path) -> None:
    """Drop a file's pages from the page cache (no root needed for clean, unmapped pages)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


# -- workers (each in a fresh interpreter: spawn) ------------------------------------------------
def build_worker(config: dict[str, Any], queue: Any) -> None:
    start = time.perf_counter()
    stage = URLFilter(URLFilterConfig(**config))
    stage.ensure_setup()
    queue.put(
        {
            "seconds": time.perf_counter() - start,
            "built": stage.blocklist.built,
            "domains": len(stage.blocklist.domains),
            "urls": len(stage.blocklist.urls),
            "files": {k: str(v) for k, v in stage.blocklist.cache_files.items()},
            "max_rss": peak_rss(),
        }
    )


def load_worker(config: dict[str, Any], probe: list[str], queue: Any) -> None:
    cfg = URLFilterConfig(**config)
    start = time.perf_counter()
    lists = Blocklist.load(cfg.source(), Path(cfg.cache_dir) if cfg.cache_dir else None)
    opened = time.perf_counter() - start
    keys = [domain_key(d) for d in probe]
    start = time.perf_counter()
    found = int(lists.domains.contains_many(keys).sum())
    first_lookups = time.perf_counter() - start
    start = time.perf_counter()
    stage = URLFilter(cfg)
    stage.ensure_setup()
    setup = time.perf_counter() - start
    queue.put(
        {
            "open": opened,
            "lookups": first_lookups,
            "n": len(keys),
            "found": found,
            "stage_setup": setup,
            "built": lists.built,
        }
    )


def memory_worker(config: dict[str, Any], urls: list[str], barrier: Any, queue: Any) -> None:
    before = smaps_rollup()
    stage = URLFilter(URLFilterConfig(**config))
    stage.ensure_setup()
    hashes = stage.blocklist.domains.hashes
    checksum = int(np.bitwise_xor.reduce(np.asarray(hashes)))  # touch every page of the 36 MB array
    stage.check_urls(urls)
    barrier.wait()  # all workers hold every page now
    after = smaps_rollup()
    mapped = mapping_stats(stage.blocklist.cache_files["domains"])
    barrier.wait()  # keep every worker alive until all have measured
    queue.put({"pid": os.getpid(), "before": before, "after": after, "mapped": mapped, "checksum": checksum})


def set_worker(tarball: str, queue: Any) -> None:
    """The naive alternative: a Python set of every domain string, in one process."""
    before = smaps_rollup()
    start = time.perf_counter()
    with tarfile.open(tarball) as tar:
        member = next(m for m in tar if m.isfile() and Path(m.name).name == "domains")
        stream = tar.extractfile(member)
        assert stream is not None
        domains = {line.strip().lower() for line in stream.read().decode().splitlines() if line.strip()}
    seconds = time.perf_counter() - start
    after = smaps_rollup()
    queue.put({"seconds": seconds, "n": len(domains), "uss_delta": uss(after) - uss(before)})


# -- inputs --------------------------------------------------------------------------------------
def warc_pages() -> list[tuple[str, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    pages = []
    for path in sorted((SHARED / "warc").rglob("*.warc*")):
        if path.name.endswith((".wat", ".wet", ".wat.gz", ".wet.gz")):
            continue
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    pages.append(
                        (record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read())
                    )
    return pages


def real_texts_and_urls() -> tuple[list[str], list[str], str]:
    import trafilatura

    truth = json.loads((SHARED / "extraction" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    texts = [row["articleBody"] for row in truth.values()]
    urls = [row["url"] for row in truth.values()]
    for url, html in warc_pages():
        urls.append(url)
        text = trafilatura.extract(html.decode("utf-8", "replace"))
        if text:
            texts.append(text)
    source = f"{len(truth)} Scrapinghub AEB article bodies + trafilatura text of the WARC sample pages"
    return texts, urls, source


# -- throughput ----------------------------------------------------------------------------------
def url_rate(
    stage: URLFilter, urls: list[str], total: int = 100_000, batch_size: int = 1000
) -> tuple[float, dict]:
    reps = (urls * (total // len(urls) + 1))[:total]
    batches = [
        pa.RecordBatch.from_pylist(
            [{"id": str(i), "url": u, "html": b""} for i, u in enumerate(reps[k : k + batch_size])],
            schema=RECORD_SCHEMA,
        )
        for k in range(0, total, batch_size)
    ]
    reasons: dict[str, int] = {}
    start = time.perf_counter()
    for batch in batches:
        out = stage.process(batch)
        for r in out.rejected.column("reason").to_pylist():
            reasons[r] = reasons.get(r, 0) + 1
    return total / (time.perf_counter() - start), reasons


def language_rate(texts: list[str], rounds: int = 5, batch_size: int = 256) -> tuple[float, float, dict]:
    stage = LanguageFilter()
    stage.ensure_setup()
    batches = [
        pa.RecordBatch.from_pylist(
            [{"id": str(i), "text": t} for i, t in enumerate(texts[k : k + batch_size])],
            schema=DOCUMENT_SCHEMA,
        )
        for k in range(0, len(texts), batch_size)
    ]
    langs: dict[str, int] = {}
    for batch in batches:
        out = stage.process(batch)
        for part in (out.kept, out.rejected):
            for lang in part.column("language").to_pylist():
                langs[lang] = langs.get(lang, 0) + 1
    start = time.perf_counter()
    for _ in range(rounds):
        for batch in batches:
            stage.process(batch)
    seconds = time.perf_counter() - start
    chars = sum(len(t) for t in texts) * rounds
    return len(texts) * rounds / seconds, chars / seconds / MB, langs


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ut1", default=str(SHARED / "blocklists" / "ut1-domains-urls.tar.gz"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv or [])
    ut1 = Path(args.ut1)
    if not ut1.exists():
        write_result(
            NAME, f"## url_filter and language\n\nSkipped: no UT1 list at `{ut1}` (pass --ut1 PATH)."
        )
        return

    texts, urls, text_source = real_texts_and_urls()
    listed_urls = ["http://" + line for line in _tar_lines(ut1, "urls")[:5000]]
    probe = _tar_lines(ut1, "domains")[::500] + ["wikipedia.org", "github.com", "bbc.co.uk"] * 1000

    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = {"blocklist_dir": str(ut1), "cache_dir": tmp}
        build = in_process(build_worker, config)
        files = {k: Path(v) for k, v in build["files"].items()}
        for path in files.values():
            evict(path)
        cold = in_process(load_worker, config, probe)
        warm = in_process(load_worker, config, probe)

        ctx = mp.get_context("spawn")
        barrier, queue = ctx.Barrier(args.workers), ctx.Queue()
        procs = [
            ctx.Process(target=memory_worker, args=(config, urls, barrier, queue))
            for _ in range(args.workers)
        ]
        for proc in procs:
            proc.start()
        mem = [queue.get() for _ in procs]
        for proc in procs:
            proc.join()
        as_set = in_process(set_worker, str(ut1))

        stage = URLFilter(URLFilterConfig(**config))
        stage.ensure_setup()
        clean_rate, clean_reasons = url_rate(stage, urls)
        listed_rate, listed_reasons = url_rate(stage, listed_urls)
    lang_rate, lang_mb, langs = language_rate(texts)

    size = files["domains"].stat().st_size if files["domains"].exists() else build["domains"] * 8
    lines += [
        "## url_filter and language",
        "",
        f"{os.cpu_count()} cores ({_cpu_model()}), numpy {np.__version__}, by `bench/bench_url_language.py`; "
        "one process = one core.",
        "",
        "### Blocklist cache (UT1, as FineWeb used it)",
        "",
        f"Source: `{ut1.name}`: {build['domains']:,} domains, {build['urls']:,} URLs. Cache: sorted uint64 "
        f"xxh3-64 hashes, {size / MB:.1f} MB `.npy` for the domains.",
        "",
        "| step | time | notes |",
        "|---|---|---|",
        f"| build (first use: read the .tar.gz, hash, sort, write) | {build['seconds']:.2f} s | "
        f"peak RSS of the building process {build['max_rss'] / MB:.0f} MB (incl. interpreter and imports) |",
        f"| load, cold (cache evicted from page cache): open + {cold['n']:,} lookups | "
        f"{(cold['open'] + cold['lookups']) * 1000:.1f} ms | open {cold['open'] * 1000:.1f} ms, "
        f"lookups {cold['lookups'] * 1000:.1f} ms |",
        f"| load, warm: open + {warm['n']:,} lookups | {(warm['open'] + warm['lookups']) * 1000:.1f} ms | "
        f"open {warm['open'] * 1000:.1f} ms, lookups {warm['lookups'] * 1000:.1f} ms |",
        f"| whole `url_filter` setup, warm (lists + word lists + tldextract) | {warm['stage_setup'] * 1000:.0f} ms | |",
        f"| naive alternative: Python `set` of the domain strings | {as_set['seconds']:.2f} s | "
        f"{as_set['uss_delta'] / MB:.0f} MB private memory per process |",
        "",
        f"### Memory per worker ({args.workers} processes, each touching every page of the list)",
        "",
        "| worker | USS before setup | USS after | USS growth | list mapping Rss | list mapping Pss | mapping private |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, m in enumerate(mem):
        b, a, mp_ = m["before"], m["after"], m["mapped"]
        private = mp_.get("Private_Clean", 0) + mp_.get("Private_Dirty", 0)
        lines.append(
            f"| {i + 1} | {uss(b) / MB:.1f} MB | {uss(a) / MB:.1f} MB | {(uss(a) - uss(b)) / MB:.1f} MB | "
            f"{mp_.get('Rss', 0) / MB:.1f} MB | {mp_.get('Pss', 0) / MB:.1f} MB | {private / MB:.2f} MB |"
        )
    lines += [
        "",
        "The hash array is a shared, read-only file mapping: each worker's Rss counts it, its Pss (its share) "
        f"is 1/{args.workers} of it, and none of it is private. USS growth is tldextract's suffix tree, "
        "the word lists and the imports the setup pulls in.",
        "",
        "### Throughput, one core",
        "",
        "| stage | input | rate |",
        "|---|---|---|",
        f"| url_filter | {len(urls)} real URLs (AEB + WARC samples), repeated to 100k, batches of 1000 | "
        f"{clean_rate:,.0f} URLs/s (dropped: {_fmt(clean_reasons)}) |",
        f"| url_filter | 5,000 UT1-listed URLs (`http://` + entry), repeated to 100k | "
        f"{listed_rate:,.0f} URLs/s (dropped: {_fmt(listed_reasons)}) |",
        f"| language | {len(texts)} real texts ({text_source}), "
        f"mean {sum(map(len, texts)) / len(texts):,.0f} chars, batches of 256 | "
        f"{lang_rate:,.0f} docs/s ({lang_mb:.1f} MB/s of text) |",
        "",
        f"Languages found in those texts: {_fmt(langs)}.",
        "",
    ]
    write_result(NAME, "\n".join(lines))


def _tar_lines(path: Path, kind: str) -> list[str]:
    if path.is_dir():
        return (path / kind).read_text().split()
    with tarfile.open(path) as tar:
        member = next(m for m in tar if m.isfile() and Path(m.name).name == kind)
        stream = tar.extractfile(member)
        assert stream is not None
        return stream.read().decode("utf-8", "replace").split()


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main(sys.argv[1:])
