"""Build the robots.txt index (`filters.robots_index`) from robots.txt WARCs, once, into a cache.

Sources: CommonCrawl's robots.txt WARCs of a crawl (`robotstxt.paths.gz` lists them; each holds the
`response` records of the robots.txt fetches, redirects and their targets included), a folder of
them, globs, or object-store / HTTP URIs and listings: the same forms `--input` takes
(`pipeline.io.inputs.expand_inputs`). Each file is read by one process (`workers` at a time):
every response record is reduced to what the configured agents need (`filters.robots_rules`), then
the driver merges the files, follows redirects (RFC 9309 2.3.1.2: up to five hops, across hosts; a
target that was not captured leaves the host without a usable capture; a sixth redirect counts as
unavailable), stores each distinct reduced text once and writes the arrays.

Cache: `$CURATE_CACHE_DIR/robots/<key>/` (default `~/.cache/curate/robots/`), where the key hashes
the index version, the agents, the wildcard switch, the byte limit and the identity of every
source file (local: path, size, modification time; remote: the URI, as CommonCrawl's files never
change). A second run with the same sources opens the cache without reading a WARC. Build memory:
~40 bytes per response record plus the distinct reduced texts (tens of bytes to a few KB each).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import uuid
from array import array
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import numpy as np
import xxhash
from warcio.archiveiterator import ArchiveIterator

from filters.blocklist import default_cache_dir as blocklist_cache_dir
from filters.robots_index import (
    ARRAYS,
    DATA_FILE,
    INDEX_VERSION,
    META_FILE,
    NO_BLOB,
    host_hash,
    host_key,
    parse_date,
    url_hash,
)
from filters.robots_rules import (
    KIND_NAMES,
    MAX_ROBOTS_BYTES,
    NO_RULES,
    OTHER,
    REDIRECT,
    RULES,
    UNAVAILABLE,
    UNREACHABLE,
    decode_robots,
    reduce_robots,
    status_kind,
)
from pipeline.core.config import ConfigError
from pipeline.io.inputs import InputError, expand_inputs
from pipeline.io.storage import Location, StorageError
from pipeline.io.warc import InputFileError, open_input

MAX_REDIRECTS = 5  # RFC 9309 2.3.1.2: follow at least five consecutive redirects
CAPTURE_KINDS = (RULES, NO_RULES, UNAVAILABLE, UNREACHABLE)


def default_cache_dir() -> Path:
    """`$CURATE_CACHE_DIR/robots`, else `~/.cache/curate/robots` (next to the blocklist cache)."""
    return blocklist_cache_dir().parent / "robots"


@dataclass(frozen=True)
class BuildSettings:
    agents: tuple[str, ...]
    wildcard: bool  # keep the `*` groups (needed when the stage respects them)
    max_bytes: int = MAX_ROBOTS_BYTES


@dataclass
class Partial:
    """The response records of one robots.txt WARC, reduced: typed arrays aligned by record (8 bytes
    an integer, not a Python object's ~36), so a crawl's worth stays small on the driver."""

    host: array = field(default_factory=lambda: array("Q"))
    robots: array = field(
        default_factory=lambda: array("B")
    )  # 1: the URL is a /robots.txt (else: a redirect target)
    url: array = field(default_factory=lambda: array("Q"))
    target: array = field(default_factory=lambda: array("Q"))  # url_hash of a redirect's Location, else 0
    date: array = field(default_factory=lambda: array("q"))
    kind: array = field(default_factory=lambda: array("B"))
    blob: array = field(default_factory=lambda: array("q"))  # index into blob_keys, -1 for none
    blob_keys: list[bytes] = field(default_factory=list)
    blob_texts: list[bytes] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)


def read_file(path: str, settings: BuildSettings) -> Partial:
    """Every response record of one robots.txt WARC; a broken file keeps what came before (error noted)."""
    part = Partial()
    seen: dict[bytes, int] = {}
    try:
        stream = open_input(path)
    except (InputFileError, StorageError, OSError) as err:
        part.errors.append({"file": path, "error": str(err)})
        return part
    with stream:
        try:
            for record in ArchiveIterator(stream, check_digests=False):
                if record.rec_type == "response":
                    _add_record(part, seen, record, settings)
                else:
                    part.stats["other_records"] += 1
        except Exception as err:  # truncated gzip, a malformed record: keep the records before it
            part.errors.append({"file": path, "error": f"{type(err).__name__}: {err}"})
    part.stats["files"] += 1
    return part


def _add_record(part: Partial, seen: dict[bytes, int], record: Any, settings: BuildSettings) -> None:
    part.stats["responses"] += 1
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    key = host_key(url)
    http = record.http_headers
    if key is None or http is None:
        part.stats["skipped_no_host_or_http"] += 1
        return
    try:
        kind = status_kind(int(http.get_statuscode()))
    except (TypeError, ValueError):
        kind = OTHER
    target = 0
    if kind == REDIRECT:
        location = (http.get_header("Location") or "").strip()
        if location:
            target = url_hash(urljoin(url, location))
        else:
            kind = OTHER
    blob = -1
    if kind == RULES:
        body = record.content_stream().read(settings.max_bytes)
        reduced = reduce_robots(decode_robots(body, settings.max_bytes), settings.agents, settings.wildcard)
        if reduced:
            data = reduced.encode("utf-8")
            digest = xxhash.xxh3_128_digest(data)
            blob = seen.get(digest, -1)
            if blob < 0:
                blob = seen[digest] = len(part.blob_keys)
                part.blob_keys.append(digest)
                part.blob_texts.append(data)
        else:
            kind = NO_RULES
    date = parse_date(record.rec_headers.get_header("WARC-Date"))
    if date is None:
        part.stats["bad_date"] += 1
    part.host.append(host_hash(key))
    part.robots.append(urlsplit(url).path == "/robots.txt")
    part.url.append(url_hash(url))
    part.target.append(target)
    part.date.append(date or 0)
    part.kind.append(kind)
    part.blob.append(blob)


@dataclass
class Merged:
    arrays: dict[str, np.ndarray]
    texts: list[bytes]
    stats: dict[str, Any]


def merge(partials: Sequence[Partial]) -> Merged:
    """All files together: global text ids, redirects followed, captures sorted by (host, date)."""
    digests: dict[bytes, bytes] = {}
    for part in partials:
        for key, text in zip(part.blob_keys, part.blob_texts):
            digests.setdefault(key, text)
    order = sorted(digests)  # ids by content, so the index does not depend on the order of the files
    ids = {key: i for i, key in enumerate(order)}
    blobs = []
    for part in partials:
        local = np.array([ids[k] for k in part.blob_keys] + [NO_BLOB], dtype=np.uint32)
        blobs.append(local[np.asarray(part.blob, dtype=np.int64)])  # -1 picks NO_BLOB
    host = _cat(partials, "host", np.uint64)
    robots = _cat(partials, "robots", np.uint8).astype(bool)
    url = _cat(partials, "url", np.uint64)
    date = _cat(partials, "date", np.int64)
    kind = _cat(partials, "kind", np.uint8)
    blob = np.concatenate(blobs) if blobs else np.zeros(0, np.uint32)
    stats: Counter[str] = Counter()
    for part in partials:
        stats.update(part.stats)
    _follow_redirects(kind, blob, url, _cat(partials, "target", np.uint64), date, stats)
    keep = robots & np.isin(kind, CAPTURE_KINDS)
    stats["redirect_targets"] += int((~robots).sum())
    stats["unusable_captures"] += int((robots & ~np.isin(kind, CAPTURE_KINDS)).sum())
    host, date, kind, blob, url = host[keep], date[keep], kind[keep], blob[keep], url[keep]
    ordering = np.lexsort((blob, kind, url, date, host))  # the last key sorts first
    arrays = {
        "hosts": host[ordering],
        "dates": date[ordering],
        "kinds": kind[ordering],
        "blobs": blob[ordering],
    }
    offsets = np.zeros(len(order) + 1, dtype=np.uint64)
    if order:
        np.cumsum([len(digests[k]) for k in order], out=offsets[1:])
    arrays["blob_offsets"] = offsets
    for code in CAPTURE_KINDS:
        stats[f"captures_{KIND_NAMES[code]}"] = int((kind == code).sum())
    stats["captures"] = len(host)
    sorted_hosts = arrays["hosts"]
    stats["hosts"] = int(np.count_nonzero(sorted_hosts[1:] != sorted_hosts[:-1])) + int(len(host) > 0)
    stats["distinct_rules"] = len(order)
    stats["rules_bytes"] = int(offsets[-1])
    return Merged(arrays, [digests[k] for k in order], dict(sorted(stats.items())))


def _cat(partials: Sequence[Partial], name: str, dtype: Any) -> np.ndarray:
    parts = [np.asarray(getattr(p, name), dtype=dtype) for p in partials]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _follow_redirects(
    kind: np.ndarray, blob: np.ndarray, url: np.ndarray, target: np.ndarray, date: np.ndarray, stats: Counter
) -> None:
    """Give each redirect what its final target says (the target's latest capture, if captured)."""
    redirects = np.flatnonzero(kind == REDIRECT)
    if redirects.size == 0:
        return
    by_url = np.lexsort((date, url))
    sorted_urls = url[by_url]
    final_kind = np.full(redirects.size, OTHER, dtype=np.uint8)
    final_blob = np.full(redirects.size, NO_BLOB, dtype=np.uint32)
    active = np.arange(redirects.size)
    wanted = target[redirects]
    for _ in range(MAX_REDIRECTS):
        if active.size == 0:
            break
        pos = np.searchsorted(sorted_urls, wanted, side="right") - 1
        found = (pos >= 0) & (sorted_urls[np.maximum(pos, 0)] == wanted)
        stats["redirects_unresolved"] += int((~found).sum())
        active, hit = active[found], by_url[pos[found]]
        done = kind[hit] != REDIRECT
        final_kind[active[done]] = kind[hit[done]]
        final_blob[active[done]] = blob[hit[done]]
        stats["redirects_resolved"] += int(done.sum())
        active, wanted = active[~done], target[hit[~done]]
    stats["redirects_too_many"] += int(active.size)
    final_kind[active] = UNAVAILABLE  # RFC 9309 2.3.1.2: MAY assume the robots.txt is unavailable
    kind[redirects] = final_kind
    blob[redirects] = final_blob


def write_index(directory: Path, merged: Merged, meta: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ARRAYS:
        with open(directory / f"{name}.npy", "wb") as out:
            np.save(out, merged.arrays[name], allow_pickle=False)
            os.fsync(out.fileno())  # on disk before the folder is renamed into the cache
    with open(directory / DATA_FILE, "wb") as out:
        for text in merged.texts:
            out.write(text)
        os.fsync(out.fileno())
    (directory / META_FILE).write_text(json.dumps({**meta, "stats": merged.stats}, indent=1, sort_keys=True))


def source_files(sources: Sequence[str], paths_prefix: str | None) -> list[str]:
    try:
        return [f.path for f in expand_inputs(list(sources), paths_prefix)]
    except InputError as err:
        raise ConfigError(f"robots_optout.robots: {err}") from None


def fingerprint(files: Sequence[str], settings: BuildSettings) -> str:
    identity: list[Any] = []
    for path in files:
        location = Location(path)
        if location.is_local and not path.startswith(("http://", "https://")):
            st = os.stat(location.uri)
            identity.append([str(Path(location.uri).resolve()), st.st_size, st.st_mtime_ns])
        else:
            identity.append(path)
    settings_json = asdict(settings) | {"agents": sorted(a.lower() for a in settings.agents)}
    text = json.dumps([INDEX_VERSION, settings_json, identity], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def build_index(
    files: Sequence[str], settings: BuildSettings, cache_dir: Path | None = None, workers: int = 1
) -> tuple[Path, dict[str, Any]]:
    """The index directory for these files (built now, or found in the cache) and its statistics."""
    cache_dir = cache_dir or default_cache_dir()
    key = fingerprint(files, settings)
    target = cache_dir / key
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((target / META_FILE).read_text())
        if meta.get("version") == INDEX_VERSION:
            return target, {**meta["stats"], "built": False}
    workers = max(1, min(workers, len(files)))
    if (
        workers > 1 and len(files) >= 2 * workers
    ):  # a process costs ~1 s to start: worth it for many files  # spawn: the driver may hold threads (Spark's) that a fork would copy half-way
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            partials = list(pool.map(read_file, files, repeat(settings)))
    else:
        partials = [read_file(path, settings) for path in files]
    merged = merge(partials)
    merged.stats["errors"] = [e for p in partials for e in p.errors]
    meta = {"version": INDEX_VERSION, "settings": asdict(settings), "files": len(files)}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable cache: build in a temporary folder (the stage copies it to DIR/_work)
        cache_dir = Path(tempfile.mkdtemp(prefix="curate-robots-"))
        target = cache_dir / key
    tmp = cache_dir / f".{key}.{uuid.uuid4().hex[:8]}.tmp"
    write_index(tmp, merged, meta)
    try:
        os.rename(tmp, target)  # atomic: readers see no index or a whole one
    except OSError:  # another process finished the same index first: use it
        shutil.rmtree(tmp, ignore_errors=True)
    return target, {**merged.stats, "built": True}
