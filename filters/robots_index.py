"""The host -> robots.txt index: a few memory-mapped arrays, shared by every worker on a machine.

One row per capture of a host's robots.txt, sorted by (host hash, capture date):

| file | type | per capture |
|---|---|---|
| `hosts.npy` | uint64 | xxh3-64 of the host key (`host_key`: lower-cased host, `:port` when not the default) |
| `dates.npy` | int64 | capture time, seconds since 1970 (the record's WARC-Date) |
| `kinds.npy` | uint8 | what the capture says (`filters.robots_rules`: rules, no rules, unavailable, unreachable) |
| `blobs.npy` | uint32 | for `rules`: the id of its reduced robots.txt; identical texts are stored once |
| `blob_offsets.npy`, `blob_data.bin` | uint64, bytes | the reduced texts (UTF-8), blob i = data[offsets[i]:offsets[i + 1]] |

21 bytes per capture plus the distinct reduced texts: ~210 MB for 10 M hosts with one capture each,
held once per machine in the page cache (np.load with mmap_mode), not once per worker process. A
worker parses the text of a host only when a page of that host comes by, and keeps at most
`parser_cache` parsed files (`filters.robots_rules.RulesCache`).

Which capture decides for a page: the latest one not after the page's fetch date (its WARC-Date),
else the earliest one (the host's robots.txt was first fetched after that page); a page without a
date takes the latest. Host hashes are 64-bit: a host that has no capture finds another host's
captures with probability <= n / 2**64 per lookup (5e-13 for n = 10 M hosts).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from filters.blocklist import hash_key
from pipeline.io.storage import Location

INDEX_VERSION = 1
ARRAYS = ("hosts", "dates", "kinds", "blobs", "blob_offsets")
DATA_FILE = "blob_data.bin"
META_FILE = "index.json"
INDEX_FILES = (*(f"{name}.npy" for name in ARRAYS), DATA_FILE, META_FILE)
NO_BLOB = 0xFFFFFFFF
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str | None:
    """The host a robots.txt applies to: lower-cased, without a trailing dot, with `:port` only when
    it is not the scheme's default. http and https of one host share a key (see README)."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:  # an invalid port or IPv6 literal
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def host_hash(key: str) -> int:
    return hash_key(key.encode("utf-8", "surrogatepass"))


def url_hash(url: str) -> int:
    """A URL's identity for following redirects: host key, path and query (no fragment, no scheme,
    like `host_key`, so an http -> https redirect of a robots.txt resolves to its https capture)."""
    parts = urlsplit(url.strip())
    key = host_key(url) or ""
    query = f"?{parts.query}" if parts.query else ""
    return hash_key(f"{key}{parts.path or '/'}{query}".encode("utf-8", "surrogatepass"))


_WARC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?$")


def parse_date(text: str | None) -> int | None:
    """Seconds since 1970 of a WARC-Date (UTC, `2024-05-18T01:02:03Z`, a fraction ignored), or None."""
    if not text:
        return None
    text = text.strip()
    try:
        if _WARC_SECONDS.match(text):  # the WARC form; fromisoformat reads no `Z` before Python 3.11
            stamp = datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        else:  # reduced precision (`2024-05-18T01:02Z`, `2024-05-18`) or an explicit offset
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:  # WARC dates are UTC
        stamp = stamp.replace(tzinfo=timezone.utc)
    return int(stamp.timestamp())


def iso_date(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Match:
    """The capture chosen for each page (-1: the host has none) and whether it is after the page."""

    capture: np.ndarray  # int64
    after_page: np.ndarray  # bool


class RobotsIndex:
    """An index directory, memory-mapped (remote: downloaded once per machine first)."""

    def __init__(self, arrays: dict[str, np.ndarray], data: np.ndarray, meta: dict[str, Any]) -> None:
        self.hosts = arrays["hosts"]
        self.dates = arrays["dates"]
        self.kinds = arrays["kinds"]
        self.blobs = arrays["blobs"]
        self.offsets = arrays["blob_offsets"]
        self.data = data
        self.meta = meta

    @classmethod
    def open(cls, directory: str | Location) -> RobotsIndex:
        where = Location(directory)
        meta = json.loads((where / META_FILE).read_text())
        if meta.get("version") != INDEX_VERSION:
            raise ValueError(f"{where}: robots index version {meta.get('version')}, expected {INDEX_VERSION}")
        arrays = {
            name: np.load((where / f"{name}.npy").local_copy(), mmap_mode="r", allow_pickle=False)
            for name in ARRAYS
        }
        data_path = (where / DATA_FILE).local_copy()
        size = data_path.stat().st_size
        data = np.memmap(data_path, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
        return cls(arrays, data, meta)

    def __len__(self) -> int:
        return len(self.hosts)

    def find(self, hashes: np.ndarray, dates: np.ndarray) -> Match:
        """For each page (host hash, fetch date; date < 0 = unknown), the capture that decides."""
        lo = np.searchsorted(self.hosts, hashes, side="left")
        hi = np.searchsorted(self.hosts, hashes, side="right")
        capture = np.where(hi > lo, lo, -1).astype(np.int64)
        after = np.zeros(len(hashes), dtype=bool)
        for row in np.flatnonzero(hi - lo > 1):  # hosts captured more than once: pick by date
            first, end = int(lo[row]), int(hi[row])
            if dates[row] < 0:
                capture[row] = end - 1
                continue
            last_before = int(np.searchsorted(self.dates[first:end], dates[row], side="right")) - 1
            capture[row] = first + max(last_before, 0)
        found = capture >= 0
        after[found] = (dates[found] >= 0) & (np.asarray(self.dates)[capture[found]] > dates[found])
        return Match(capture, after)

    def text(self, blob: int) -> str:
        start, end = int(self.offsets[blob]), int(self.offsets[blob + 1])
        return bytes(self.data[start:end]).decode("utf-8")
