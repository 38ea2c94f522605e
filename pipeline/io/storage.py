"""Where files live: a local path, or a URI on an object store or HDFS, addressed like a Path.

`Location` is the one way the pipeline touches its inputs and outputs, so `curate run --output
s3a://bucket/out` and `--output /data/out` go through the same code on both engines. Local paths use
the OS directly (rename is atomic); remote URIs go through pyarrow's filesystems, opened lazily in
whichever process needs them (the driver, a worker, a Spark executor), with credentials from the
standard environment (AWS_ACCESS_KEY_ID, instance profiles, GOOGLE_APPLICATION_CREDENTIALS, ...).

Atomicity: a local file is written under a unique temporary name and renamed; an object-store upload
only becomes visible when it completes, so both leave no half file behind a killed process.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
from pyarrow import fs as pafs

# Hadoop spells S3 three ways; pyarrow knows one.
S3_SCHEMES = ("s3://", "s3a://", "s3n://")
STORE_SCHEMES = (*S3_SCHEMES, "gs://", "gcs://", "hdfs://", "viewfs://", "abfs://", "abfss://")
WEB_SCHEMES = ("http://", "https://")
TEMP_SUFFIX = ".tmp"
CACHE_DIR = Path(tempfile.gettempdir()) / "curate-location-cache"


class StorageError(OSError):
    """A remote location could not be reached or read; the message names it."""


def is_remote(location: str) -> bool:
    return location.startswith(STORE_SCHEMES)


def open_stream(address: str) -> IO[bytes]:
    """A forward-only byte stream over a local path, a store URI, or an HTTP(S) URL (streamed)."""
    if address.startswith(WEB_SCHEMES):
        return urllib.request.urlopen(address, timeout=60)
    return Location(address).open_stream()


@functools.lru_cache(maxsize=8)
def _s3_filesystem() -> pafs.S3FileSystem:
    """S3 with the endpoint the AWS tools read from the environment (MinIO, Ceph, a local test server)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options: dict[str, Any] = {}
    if endpoint:
        scheme, _, host = endpoint.rpartition("://")
        options.update(endpoint_override=host.rstrip("/"), scheme=scheme or "https")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


def filesystem_for(uri: str) -> tuple[pafs.FileSystem, str]:
    """(pyarrow filesystem, path inside it) for a remote URI."""
    try:
        if uri.startswith(S3_SCHEMES):
            inner = uri.split("://", 1)[1]
            if os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"):
                return _s3_filesystem(), inner
            return pafs.FileSystem.from_uri("s3://" + inner)  # resolves the bucket's region
        return pafs.FileSystem.from_uri(uri.replace("gcs://", "gs://", 1))
    except (OSError, ValueError, pa.ArrowException) as err:
        raise StorageError(f"cannot open {uri}: {err}") from None


class Location:
    """A file or directory, local or remote; pickles as its address (filesystems reopen lazily)."""

    __slots__ = ("_fs", "_inner", "uri")

    def __init__(self, where: str | os.PathLike[str] | Location) -> None:
        text = where.uri if isinstance(where, Location) else os.fspath(where)
        if text.startswith("file://"):
            text = text[len("file://") :]
        if is_remote(text):
            scheme, rest = text.split("://", 1)
            self.uri = f"{scheme}://{rest.strip('/')}"
        elif "://" in text:
            raise StorageError(
                f"unsupported location {text!r}: use a local path or one of {', '.join(STORE_SCHEMES)}"
            )
        else:
            self.uri = os.path.abspath(text)
        self._fs: pafs.FileSystem | None = None
        self._inner = ""

    # -- addressing ---------------------------------------------------------------------------
    @property
    def is_local(self) -> bool:
        return not is_remote(self.uri)

    def __truediv__(self, name: str) -> Location:
        return Location(f"{self.uri}/{name}")

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        name = self.name
        return name.rsplit(".", 1)[0] if "." in name else name

    @property
    def parent(self) -> Location:
        return Location(self.uri.rsplit("/", 1)[0])

    def as_path(self) -> Path:
        if not self.is_local:
            raise StorageError(f"{self.uri} is not a local path")
        return Path(self.uri)

    def __str__(self) -> str:
        return self.uri

    def __fspath__(self) -> str:  # lets local Locations go where a path is expected
        return str(self.as_path())

    def __repr__(self) -> str:
        return f"Location({self.uri!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __lt__(self, other: Location) -> bool:
        return self.uri < other.uri

    def __getstate__(self) -> str:
        return self.uri

    def __setstate__(self, uri: str) -> None:
        self.uri, self._fs, self._inner = uri, None, ""

    def _remote(self) -> tuple[pafs.FileSystem, str]:
        if self._fs is None:
            self._fs, self._inner = filesystem_for(self.uri)
        return self._fs, self._inner

    def _info(self) -> pafs.FileInfo:
        filesystem, inner = self._remote()
        try:
            return filesystem.get_file_info(inner)
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot reach {self.uri}: {err}") from None

    # -- queries --------------------------------------------------------------------------------
    def exists(self) -> bool:
        if self.is_local:
            return os.path.exists(self.uri)
        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        if self.is_local:
            return os.path.isfile(self.uri)
        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        if self.is_local:
            return os.path.isdir(self.uri)
        return self._info().type == pafs.FileType.Directory

    def iterdir(self) -> list[Location]:
        """Direct children, sorted by name; empty when the directory does not exist."""
        if self.is_local:
            if not os.path.isdir(self.uri):
                return []
            return [self / name for name in sorted(os.listdir(self.uri))]
        filesystem, inner = self._remote()
        selector = pafs.FileSelector(inner, allow_not_found=True, recursive=False)
        try:
            names = sorted(info.base_name for info in filesystem.get_file_info(selector))
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot list {self.uri}: {err}") from None
        return [self / name for name in names]

    def glob(self, pattern: str) -> list[Location]:
        """Children whose name matches `pattern` (one level, fnmatch rules), sorted."""
        return [child for child in self.iterdir() if fnmatch.fnmatchcase(child.name, pattern)]

    def walk_files(self) -> list[str]:
        """Every file below this directory, as URIs or paths, sorted."""
        if self.is_local:
            found = []
            for root, dirs, files in os.walk(self.uri):
                dirs.sort()
                found.extend(os.path.join(root, name) for name in sorted(files))
            return found
        filesystem, inner = self._remote()
        selector = pafs.FileSelector(inner, allow_not_found=True, recursive=True)
        scheme = self.uri.split("://", 1)[0]
        try:
            infos = [i for i in filesystem.get_file_info(selector) if i.type == pafs.FileType.File]
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot list {self.uri}: {err}") from None
        return sorted(f"{scheme}://{_strip_bucketless(self.uri, inner, i.path)}" for i in infos)

    # -- reading ----------------------------------------------------------------------------------
    def open_input(self) -> Any:
        """A seekable binary file (what pyarrow.parquet and warcio read from)."""
        if self.is_local:
            return open(self.uri, "rb")
        filesystem, inner = self._remote()
        try:
            return filesystem.open_input_file(inner)
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot open {self.uri}: {err}") from None

    def source(self) -> Any:
        """What pyarrow's readers take: the path when local (pyarrow opens and closes it), else an open file."""
        return self.uri if self.is_local else self.open_input()

    def open_stream(self) -> IO[bytes]:
        """A forward-only binary stream (no read-ahead of the whole file: for big WARCs)."""
        if self.is_local:
            return open(self.uri, "rb")
        filesystem, inner = self._remote()
        try:
            return filesystem.open_input_stream(inner, compression=None)
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot open {self.uri}: {err}") from None

    def read_bytes(self) -> bytes:
        with self.open_stream() as handle:
            return handle.read()

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8")

    def local_copy(self) -> Path:
        """A local file with this content (itself when local; a cached download otherwise), e.g. to mmap."""
        if self.is_local:
            return Path(self.uri)
        info = self._info()
        version = f"{self.uri}|{info.size}|{info.mtime}".encode()
        key = f"{hashlib.sha1(version).hexdigest()[:16]}-{self.name}"
        target = CACHE_DIR / key
        if not target.exists():
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
            with self.open_stream() as source, open(tmp, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            os.replace(tmp, target)
        return target

    # -- writing ----------------------------------------------------------------------------------
    def mkdir(self) -> None:
        """Create this directory and its parents (object stores have no directories: nothing to do)."""
        if self.is_local:
            os.makedirs(self.uri, exist_ok=True)

    @contextmanager
    def atomic_output(self) -> Iterator[Any]:
        """A binary sink that appears at this location only if the block ends without an exception."""
        if self.is_local:
            self.parent.mkdir()
            tmp = os.path.join(os.path.dirname(self.uri), f".{self.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
            try:
                with pa.OSFile(tmp, "wb") as sink:  # native writes: Parquet parts stay fast
                    yield sink
                os.replace(tmp, self.uri)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            return
        filesystem, inner = self._remote()
        try:
            sink = filesystem.open_output_stream(inner, compression=None)  # bytes as given, even for .gz
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot write {self.uri}: {err}") from None
        try:
            yield sink
        except BaseException:
            sink.close()  # pyarrow cannot abandon an upload: complete it, then delete it
            filesystem.delete_file(inner)
            raise
        try:
            sink.close()  # the upload completes (and the object appears) here
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot write {self.uri}: {err}") from None

    def write_bytes(self, data: bytes) -> None:
        with self.atomic_output() as sink:
            sink.write(data)

    def write_text(self, text: str) -> None:
        self.write_bytes(text.encode("utf-8"))

    def remove(self) -> None:
        """Delete this file or directory tree; nothing to do when it is absent."""
        if self.is_local:
            if os.path.isdir(self.uri):
                shutil.rmtree(self.uri)
            elif os.path.lexists(self.uri):
                os.remove(self.uri)
            return
        info = self._info()
        filesystem, inner = self._remote()
        try:
            if info.type == pafs.FileType.Directory:
                filesystem.delete_dir(inner)
            elif info.type == pafs.FileType.File:
                filesystem.delete_file(inner)
        except (OSError, pa.ArrowException) as err:
            raise StorageError(f"cannot delete {self.uri}: {err}") from None

    def remove_temporaries(self) -> None:
        """Temporary files left below this directory by killed processes (local only: object stores
        never show an unfinished upload)."""
        if self.is_local and os.path.isdir(self.uri):
            for path in Path(self.uri).rglob(f".*{TEMP_SUFFIX}"):
                path.unlink(missing_ok=True)


def _strip_bucketless(uri: str, inner: str, found: str) -> str:
    """Rebuild the URI path of a found file (pyarrow paths start at the bucket / authority)."""
    authority_and_path = uri.split("://", 1)[1]
    if authority_and_path.startswith(inner):
        return found
    # hdfs://namenode:8020/path: pyarrow returns "/path/..." while the URI keeps the authority
    authority = authority_and_path[: len(authority_and_path) - len(inner)]
    return authority + found
