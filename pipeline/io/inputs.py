"""Expand the `--input` arguments into an ordered list of input files (shards).

PATH may be a WARC/WET file (`.warc`, `.warc.gz`, `.wet`, `.wet.gz`), a glob, a directory (searched
recursively), or a CommonCrawl listing (`warc.paths` / `warc.paths.gz`, one relative path per line,
joined to a prefix), local or on an object store / HDFS (s3a://, gs://, hdfs://: listings and
folders are listed on the driver, WARCs are opened by the workers). Every local path is checked
before any work starts.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import os
import re
from dataclasses import dataclass

from pipeline.io.storage import WEB_SCHEMES, Location, StorageError, is_remote, open_stream

WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".wat", ".wat.gz")
PARQUET_SUFFIX = ".parquet"  # documents written by `curate run` (DIR/documents/), e.g. for `curate dedup`
INPUT_SUFFIXES = (*WARC_SUFFIXES, PARQUET_SUFFIX)
LISTING_SUFFIXES = (".paths", ".paths.gz")
REMOTE_SCHEMES = (
    "s3://",
    "s3a://",
    "s3n://",
    "gs://",
    "hdfs://",
    "abfs://",
    "abfss://",
    "http://",
    "https://",
)


class InputError(ValueError):
    """A problem with --input found before any work starts."""


@dataclass(frozen=True)
class InputFile:
    path: str  # a local path or a URI (remote paths are opened by Spark, or streamed over HTTP)
    shard: str | None = None  # the name of its output parts, when not derived from the path
    format: str = "warc"  # "warc" (WARC/WET) or "parquet" (documents written by an earlier segment)

    @property
    def is_remote(self) -> bool:
        return self.path.startswith(REMOTE_SCHEMES)

    @property
    def shard_id(self) -> str:
        """A stable, readable name for this input's output parts."""
        if self.shard is not None:
            return self.shard
        name = self.path.rstrip("/").rsplit("/", 1)[-1]
        for suffix in (".gz", ".warc", ".wet", ".wat"):
            name = name.removesuffix(suffix)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "input"
        digest = hashlib.sha1(self.path.encode()).hexdigest()[:8]
        return f"{stem}-{digest}"


def _is_listing(path: str) -> bool:
    return path.endswith(LISTING_SUFFIXES)


def _strip_file_scheme(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def read_listing(path: str, prefix: str | None) -> list[str]:
    """Entries of a CommonCrawl `*.paths(.gz)` listing (local, remote or HTTP, streamed), joined to
    `prefix`, or by default to the listing's folder (sharing the folders they have in common)."""
    web = path.startswith(WEB_SCHEMES)
    try:
        with open_stream(path) as raw:  # e.g. a CommonCrawl listing over HTTPS
            binary = gzip.GzipFile(fileobj=raw) if path.endswith(".gz") else raw
            with io.TextIOWrapper(binary, encoding="utf-8") as handle:
                entries = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputError(f"cannot read listing {path}: {err}") from None
    if web or not Location(path).is_local:
        folder = path.rsplit("/", 1)[0]
    else:
        folder = os.path.dirname(path)
    absolute = ("/", *REMOTE_SCHEMES)
    if prefix is None:
        return [
            entry if entry.startswith(absolute) else _join_overlapping(folder, entry) for entry in entries
        ]
    base = prefix if prefix.endswith("/") or not prefix else prefix + "/"
    return [entry if entry.startswith(absolute) else base + entry for entry in entries]


def _join_overlapping(folder: str, entry: str) -> str:
    """Join a listing entry to the listing's folder, sharing the folders they have in common:
    CommonCrawl's `.../crawl-data/CC-MAIN-2024-10/warc.paths.gz` lists `crawl-data/CC-MAIN-2024-10/...`
    from the bucket root, so its entries resolve without --paths-prefix."""
    base = folder.rstrip("/").split("/")
    head = entry.split("/")[:-1]
    for size in range(min(len(base), len(head)), 0, -1):
        if base[-size:] == head[:size]:
            return "/".join([*base[:-size], entry])
    return "/".join([*base, entry]) if base != [""] else entry


def _files_in_directory(directory: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(
            os.path.join(root, name)
            for name in sorted(files)
            if name.endswith(INPUT_SUFFIXES) and not name.startswith((".", "_"))
        )
    return found


def _remote_inputs(uri: str, paths_prefix: str | None) -> list[str]:
    """A remote listing is read here, on the driver; a remote WARC is left for the worker to open; any
    other remote path is taken as a folder and listed (names only: no file is opened)."""
    if _is_listing(uri):
        return read_listing(uri, paths_prefix)
    if uri.endswith(INPUT_SUFFIXES):  # named one by one: worth a look before any work starts
        try:
            found = Location(uri).is_file()
        except StorageError as err:
            raise InputError(str(err)) from None
        if not found:
            raise InputError(f"input not found: {uri}")
        return [uri]
    try:
        found = [
            f
            for f in Location(uri).walk_files()
            if f.endswith(INPUT_SUFFIXES) and not f.rsplit("/", 1)[-1].startswith((".", "_"))
        ]
    except StorageError as err:
        raise InputError(str(err)) from None
    if not found:
        raise InputError(f"input holds no WARC/WET/Parquet files ({', '.join(INPUT_SUFFIXES)}): {uri}")
    return found


def expand_inputs(paths: list[str], paths_prefix: str | None = None) -> list[InputFile]:
    """Resolve every --input argument; raise InputError naming the first one that does not exist."""
    if not paths:
        raise InputError("no --input given")
    files: list[str] = []
    for raw in paths:
        path = _strip_file_scheme(raw)
        if is_remote(path):
            files.extend(_remote_inputs(path, paths_prefix))
        elif path.startswith(REMOTE_SCHEMES):  # http(s): a listing is read here, a WARC by the reader
            files.extend(read_listing(path, paths_prefix) if _is_listing(path) else [path])
        elif _is_listing(path):
            if not os.path.isfile(path):
                raise InputError(f"input listing not found: {raw}")
            files.extend(read_listing(path, paths_prefix))
        elif glob.has_magic(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise InputError(f"input glob matches nothing: {raw}")
            for match in matches:
                files.extend(_files_in_directory(match) if os.path.isdir(match) else [match])
        elif os.path.isdir(path):
            found = _files_in_directory(path)
            if not found:
                raise InputError(
                    f"input directory holds no WARC/WET/Parquet files ({', '.join(INPUT_SUFFIXES)}): {raw}"
                )
            files.extend(found)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise InputError(f"input not found: {raw}")
    missing = [f for f in files if not f.startswith(REMOTE_SCHEMES) and not os.path.isfile(f)]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(f"input file not found: {missing[0]}{more}")
    unique = list(dict.fromkeys(files))  # keep order, drop repeats
    return [InputFile(f, format="parquet" if f.endswith(PARQUET_SUFFIX) else "warc") for f in unique]
