"""A compact blocklist store: millions of domains as a memory-mapped, sorted array of 64-bit hashes.

UT1's `domains` list has 4.56 M lines (124 MB). As a Python set of strings it costs ~0.5 GB per worker
process and several seconds to load; here it is hashed once into a sorted `uint64` array (36 MB),
saved as `.npy` in a cache directory and opened with `np.load(mmap_mode="r")` by every process, so the
pages live once in the OS page cache and are shared by all workers. Lookup = hash + `np.searchsorted`.

False positives: a key that is not listed matches only when its 64-bit hash equals one of the n
stored hashes. With xxh3-64 (well mixed) that has probability <= n / 2**64 per lookup: for UT1's
n = 4.56e6 that is 2.5e-13, i.e. about one wrong drop expected per 4e12 lookups (a whole CommonCrawl
dump is ~1e10). There are no false negatives.

Layout accepted for a blocklist source (a directory or a `.tar.gz` of one):
- UT1 flat layout: `domains` and `urls` files at the top;
- UT1 category layout: `<category>/domains`, `<category>/urls` (e.g. `adult/domains`), at any depth;
  only the chosen categories are read (all of them when `categories` is None).
List files: one entry a line; lines starting with `#` are comments (as datatrove's list reader),
surrounding whitespace is stripped, domains are lower-cased (host names are case-insensitive).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np
import xxhash

log = logging.getLogger(__name__)

# Bump when the hash function, the key normalisation or the file layout changes: old caches are ignored.
CACHE_VERSION = 1
LIST_KINDS = ("domains", "urls")
_CHUNK = 1 << 22  # bytes read at a time when streaming a list (bounds the build's memory)


def default_cache_dir() -> Path:
    """`$CURATE_CACHE_DIR/blocklists`, else `~/.cache/curate/blocklists`."""
    base = os.environ.get("CURATE_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "curate") / "blocklists"


def hash_key(key: bytes) -> int:
    return xxhash.xxh3_64_intdigest(key)


def domain_key(domain: str) -> bytes:
    return domain.strip().lower().encode("utf-8", "surrogatepass")


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def url_key(url: str) -> bytes:
    """A listed or looked-up URL without scheme and leading `www.`, host lower-cased (UT1 lists `host/path`)."""
    bare = _SCHEME.sub("", url.strip(), count=1)
    host, slash, rest = bare.partition("/")
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    return (host + slash + rest).encode("utf-8", "surrogatepass")


class HashedSet:
    """Set membership over a sorted, duplicate-free uint64 array of key hashes."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = hashes

    def __len__(self) -> int:
        return len(self.hashes)

    def __contains__(self, key: bytes) -> bool:
        return bool(self.contains_hashes(np.array([hash_key(key)], dtype=np.uint64))[0])

    def contains_many(self, keys: Sequence[bytes]) -> np.ndarray:
        """A boolean array: is each key listed? (Empty keys never are.)"""
        hashes = np.fromiter((hash_key(k) for k in keys), dtype=np.uint64, count=len(keys))
        found = self.contains_hashes(hashes)
        empty = np.fromiter((not k for k in keys), dtype=bool, count=len(keys))
        return found & ~empty

    def contains_hashes(self, hashes: np.ndarray) -> np.ndarray:
        n = len(self.hashes)
        if n == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=bool)
        idx = np.searchsorted(self.hashes, hashes)
        np.minimum(idx, n - 1, out=idx)
        return np.asarray(self.hashes[idx]) == hashes


# -- where the lists come from -------------------------------------------------------------------


def is_tarball(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar"))


def _wanted(rel: PurePosixPath, kind: str, categories: Sequence[str] | None) -> bool:
    """Is `rel` (a path inside the source) the `kind` list of a category we read?"""
    if rel.name != kind:
        return False
    parent = rel.parent.name
    # Top-level files are the flat layout: always read. Otherwise the parent folder is the category.
    return parent == "" or categories is None or parent in categories


def _dir_lists(root: Path, kind: str, categories: Sequence[str] | None) -> list[Path]:
    found = [p for p in root.rglob(kind) if p.is_file()]
    return sorted(
        p for p in found if _wanted(PurePosixPath(p.relative_to(root).as_posix()), kind, categories)
    )


def _iter_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of a byte stream, read in chunks so a 124 MB list never sits in memory twice."""
    rest = b""
    while chunk := stream.read(_CHUNK):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _keys(lines: Iterable[bytes], kind: str) -> Iterator[bytes]:
    for raw in lines:
        # datatrove's list reader skips lines whose first character is '#', then strips.
        if raw[:1] == b"#":
            continue
        key = raw.strip()
        if not key:
            continue
        if kind == "urls":
            yield url_key(key.decode("utf-8", "replace"))
        elif key.isascii():
            yield key.lower()  # fast path for 4.5 M domains; equals domain_key() on ASCII
        else:
            yield domain_key(key.decode("utf-8", "replace"))


def _hash_stream(stream: BinaryIO, kind: str) -> np.ndarray:
    return np.fromiter((hash_key(k) for k in _keys(_iter_lines(stream), kind)), dtype=np.uint64)


def _sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    # Sort + neighbour compare: much faster than np.unique on numpy 2.x for 4.5 M uint64.
    hashes = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)
    if len(hashes) < 2:
        return hashes
    keep = np.empty(len(hashes), dtype=bool)
    keep[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=keep[1:])
    return hashes[keep]


@dataclass
class BlocklistSource:
    """A UT1-style list (a directory or a tarball) plus optional extra domain/URL files."""

    path: Path | None = None
    categories: tuple[str, ...] | None = None
    extra: dict[str, Path] = field(default_factory=dict)  # kind -> a plain one-per-line file

    def _tarball(self) -> Path | None:
        return self.path if self.path is not None and is_tarball(self.path) else None

    def _plain_files(self, kind: str) -> list[Path]:
        out = _dir_lists(self.path, kind, self.categories) if self.path and not self._tarball() else []
        if kind in self.extra:
            out.append(self.extra[kind])
        return out

    def files(self, kind: str) -> list[Path]:
        """Every file whose change must rebuild the `kind` cache (a tarball counts as one file)."""
        tarball = self._tarball()
        return ([tarball] if tarball else []) + self._plain_files(kind)

    def fingerprint(self, kind: str) -> tuple[str, str]:
        """(id of the source, id of its content): the content id changes with any file's size or mtime."""
        files = self.files(kind)
        cats = sorted(self.categories) if self.categories is not None else None
        where = str(self.path.resolve()) if self.path else None
        ident = json.dumps([CACHE_VERSION, kind, where, cats, [str(p.resolve()) for p in files]])
        stats = [(st.st_size, st.st_mtime_ns) for st in (p.stat() for p in files)]
        return _digest(ident), _digest(json.dumps([ident, stats]))

    def build(self, kinds: Sequence[str]) -> dict[str, np.ndarray]:
        """Hash every listed key of each kind (one pass over a tarball serves all kinds)."""
        parts: dict[str, list[np.ndarray]] = {kind: [] for kind in kinds}
        tarball = self._tarball()
        if tarball:
            with tarfile.open(tarball, "r:*") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    rel = PurePosixPath(member.name)
                    for kind in kinds:
                        if _wanted(rel, kind, self.categories) and (stream := tar.extractfile(member)):
                            parts[kind].append(_hash_stream(stream, kind))
        for kind in kinds:
            for path in self._plain_files(kind):
                with open(path, "rb") as stream:
                    parts[kind].append(_hash_stream(stream, kind))
        if tarball and "domains" in kinds and not parts["domains"]:
            raise ValueError(
                f"{tarball}: no `domains` list inside (categories read: {self.categories or 'all'})"
            )
        return {kind: _sorted_unique(parts[kind]) for kind in kinds}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the cache -----------------------------------------------------------------------------------


def save_atomic(path: Path, array: np.ndarray) -> None:
    """Write `array` as .npy under a temporary name in the same folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.save(out, array, allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; other users of a shared cache dir must read it
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file, no file, or the whole new one
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_shared(path: Path) -> np.ndarray:
    """Memory-map a cached array read-only (shared between processes through the page cache)."""
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.dtype != np.uint64 or array.ndim != 1:
        raise ValueError(f"{path}: not a blocklist hash cache")
    return array


@dataclass
class Blocklist:
    """The `domains` and `urls` hash sets of one source, with where they came from."""

    domains: HashedSet
    urls: HashedSet
    built: bool  # True when this call (re)built a cache instead of only opening it
    cache_files: dict[str, Path]

    @classmethod
    def load(cls, source: BlocklistSource, cache_dir: Path | None = None) -> Blocklist:
        cache_dir = cache_dir or default_cache_dir()
        paths: dict[str, Path] = {}
        for kind in LIST_KINDS:
            ident, content = source.fingerprint(kind)
            paths[kind] = cache_dir / f"{kind}-{ident}-{content}.npy"
        arrays: dict[str, np.ndarray] = {}
        for kind, path in paths.items():
            with contextlib.suppress(OSError, ValueError, EOFError):
                arrays[kind] = load_shared(path)
        missing = [kind for kind in LIST_KINDS if kind not in arrays]
        if missing:
            built = source.build(missing)
            for kind in missing:
                arrays[kind] = _store(paths[kind], built[kind])
        return cls(HashedSet(arrays["domains"]), HashedSet(arrays["urls"]), bool(missing), paths)


def _store(path: Path, hashes: np.ndarray) -> np.ndarray:
    """Cache `hashes` and reopen them memory-mapped; keep them in memory if the cache is not writable."""
    try:
        save_atomic(path, hashes)
    except OSError as err:
        log.warning(
            "blocklist cache %s not writable (%s): keeping the list in this process's memory", path, err
        )
        return hashes
    _remove_stale(path)
    return load_shared(path)


def _remove_stale(path: Path) -> None:
    """Delete older caches of the same source (same kind and source id, other content id)."""
    kind, ident, _ = path.stem.split("-", 2)
    for old in path.parent.glob(f"{kind}-{ident}-*.npy"):
        if old != path:
            # A process still mapping the old file keeps its pages; unlinking is safe on POSIX.
            with contextlib.suppress(OSError):
                old.unlink()
