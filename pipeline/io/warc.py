"""Read WARC and WET files into record batches, counting every record that does not become a document.

Only `response` records with HTTP 200 and an HTML payload become documents (WET `conversion` records
become documents with their text already extracted). Everything else is a counted skip, so that
records read = documents + skipped (the accounting rule of DESIGN.md).
"""

from __future__ import annotations

import gzip
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed

from pipeline.core.schema import RECORD_SCHEMA
from pipeline.io.charset import decode_html
from pipeline.io.input_kinds import WAT_EXPLANATION
from pipeline.io.storage import WEB_SCHEMES, Location, StorageError, open_stream

HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCUMENT_RECORD_TYPES = ("response", "conversion")
DEFAULT_MAX_PAGE_BYTES = (
    5_000_000  # pages above this are skipped as `too_large` (CC itself truncates at 1 MiB)
)


@dataclass
class ReaderConfig:
    batch_size: int = 256  # pages per Arrow batch handed to the stages
    batch_bytes: int = 64 * 1024 * 1024  # also flush a batch at this many bytes of HTML
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES  # larger payloads are skipped, counted as too_large
    limit: int | None = None  # at most this many document records (response/conversion) per input file


@dataclass
class ReadStats:
    read: int = 0  # response and conversion records seen
    documents: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    other_records: Counter[str] = field(default_factory=Counter)  # warcinfo, request, metadata, ...
    info: Counter[str] = field(default_factory=Counter)  # charset_replaced, truncated_payload
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "documents": self.documents,
            "skipped": dict(sorted(self.skipped.items())),
            "other_records": dict(sorted(self.other_records.items())),
            "info": dict(sorted(self.info.items())),
            "errors": list(self.errors),
        }


class TruncatedRecord(EOFError):
    """The input ended inside a record."""


class InputFileError(Exception):
    """The file cannot be read as WARC at all (the run goes on with the other inputs)."""


def open_input(path: str) -> IO[bytes]:
    """A byte stream over a local file, an HTTP(S) URL, or a Hadoop-style URI (s3a://, hdfs://, gs://)."""
    # remote: opened here, in the worker or Spark executor; streamed, never held whole
    if not path.startswith(WEB_SCHEMES) and Location(path).is_local:
        _check_looks_like_warc(Location(path).uri)
    return open_stream(path)


class _WholeGzip:
    """A WARC gzipped as one stream, decompressed whole. warcio takes an EOFError from its stream for
    the end of the file, so a truncated stream ends quietly here and `truncated` says it happened."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw)
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        try:
            return self._gzip.read(size)
        except EOFError:
            self.truncated = True
            return b""


class _BrotliDecompressor:
    """`Content-Encoding: br` for warcio, whose own hook sets an attribute that brotli >= 1.1 forbids."""

    unused_data = None  # warcio reads it after each block; a brotli stream has no trailing data

    def __init__(self) -> None:
        import brotli

        self._inner = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        return self._inner.process(data)


def _register_brotli() -> None:
    try:
        import brotli  # noqa: F401
    except ImportError:  # without it, br payloads are read as they are (and fail extraction, counted)
        return
    BufferedReader.DECOMPRESSORS["br"] = _BrotliDecompressor


_register_brotli()


def _single_gzip_stream(err: ArchiveLoadFailed) -> bool:
    return "non-chunked gzip" in str(err)


def _check_looks_like_warc(path: str) -> None:
    """warcio parses anything as a legacy ARC file; a WARC (or WET/WAT) starts with `WARC/`."""
    with open(path, "rb") as handle:
        head = handle.read(2)
        handle.seek(0)
        try:
            start = gzip.GzipFile(fileobj=handle).read(5) if head == b"\x1f\x8b" else handle.read(5)
        except (OSError, EOFError) as err:
            raise InputFileError(f"not a WARC file (cannot decompress: {err})") from None
    if not start:
        raise InputFileError("empty file: no WARC records")
    if start != b"WARC/":
        raise InputFileError(f"not a WARC file (starts with {start!r}, expected b'WARC/')")


def _is_wat_record(record: Any) -> bool:
    """A WAT file's records: `metadata` with a JSON payload (a WARC's metadata records are warc-fields)."""
    content_type = record.rec_headers.get_header("Content-Type") or ""
    return record.rec_type == "metadata" and content_type.startswith("application/json")


def _record_id(record: Any, source: str, ordinal: int) -> tuple[str, str]:
    """(document id, WARC-Record-ID); the id is the record's UUID, or derived from file and position."""
    warc_id = record.rec_headers.get_header("WARC-Record-ID") or ""
    inner = warc_id.strip("<>").removeprefix("urn:uuid:")
    if inner:
        return inner, warc_id
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}#{ordinal}")), warc_id


def _payload_type(record: Any) -> str:
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    if not content_type:
        content_type = record.rec_headers.get_header("WARC-Identified-Payload-Type") or ""
    return content_type


def _x_robots_tag(http_headers: Any) -> str | None:
    """Every `X-Robots-Tag` header of the response, joined by newlines (robots_optout reads them)."""
    values = [v.strip() for k, v in http_headers.headers if k.lower() == "x-robots-tag"]
    return "\n".join(values) if values else None


class WarcReader:
    """Streams one input file as RECORD_SCHEMA batches and fills `stats` as it goes."""

    def __init__(self, path: str, config: ReaderConfig | None = None, source_name: str | None = None) -> None:
        self.path = path
        self.source_name = source_name or path
        self.config = config or ReaderConfig()
        self.stats = ReadStats()
        # The file broke before any page record could be read (a file cut short later is only partial).
        self.failed = False

    def batches(self) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, Any]] = []
        size = 0
        for row in self._rows():
            rows.append(row)
            size += len(row["html"] or row["text"] or "")
            if len(rows) >= self.config.batch_size or size >= self.config.batch_bytes:
                yield pa.RecordBatch.from_pylist(rows, schema=RECORD_SCHEMA)
                rows, size = [], 0
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=RECORD_SCHEMA)

    def _rows(self) -> Iterator[dict[str, Any]]:
        try:
            stream = open_input(self.path)
        except StorageError as err:  # names the URI already
            raise InputFileError(str(err)) from None
        except OSError as err:
            raise InputFileError(f"cannot open: {err}") from None
        with ExitStack() as stack:
            stack.enter_context(stream)
            iterator = ArchiveIterator(stream, check_digests=False)
            records = iter(iterator)
            whole: _WholeGzip | None = None
            ordinal = 0
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    if ordinal == 0 and whole is None:
                        raise InputFileError("no WARC records in the file (empty?)") from None
                    if whole is not None and whole.truncated:  # the record being read was cut off
                        self._read_error(EOFError("gzip stream ends inside a record (truncated file)"))
                    self._check_complete(iterator)
                    return
                except ArchiveLoadFailed as err:
                    if _single_gzip_stream(err) and iterator.reader.decompressor is not None:
                        # `gzip file.warc` (one stream, not one member per record): warcio refuses
                        # it; read it again through gzip and skip the records already handled.
                        self.stats.info["single_gzip_stream"] += 1
                        whole = _WholeGzip(stack.enter_context(open_input(self.path)))
                        iterator = ArchiveIterator(whole, check_digests=False)
                        records = iter(iterator)
                        for _ in range(ordinal):
                            next(records, None)
                        continue
                    if self.stats.read == 0 and not self.stats.other_records:
                        raise InputFileError(f"not a WARC file ({err})") from None
                    self._read_error(err)
                    return
                except Exception as err:
                    # Truncated gzip or a broken record (warcio trips on malformed headers with
                    # anything from EOFError to AttributeError): keep what came before, count the loss.
                    self._read_error(err, context=f"record {ordinal + 1} is malformed or cut short")
                    return
                ordinal += 1  # position in the file: names records that lack a WARC-Record-ID
                if self.stats.read == 0 and _is_wat_record(record):
                    raise InputFileError(WAT_EXPLANATION)
                if record.rec_type not in DOCUMENT_RECORD_TYPES:
                    self.stats.other_records[record.rec_type] += 1
                    continue
                if self.config.limit is not None and self.stats.read >= self.config.limit:
                    return
                self.stats.read += 1
                try:
                    row = self._to_row(record, ordinal)
                except (EOFError, OSError) as err:  # the file ends inside this record's payload
                    self._read_error(err, already_counted=True)
                    return
                except Exception as err:  # a payload that cannot be decoded: skip it, read on
                    self._read_error(
                        err, already_counted=True, context=f"record {ordinal}: bad payload", stops=False
                    )
                    continue
                if row is not None:
                    self.stats.documents += 1
                    yield row

    def _check_complete(self, iterator: ArchiveIterator) -> None:
        """A gzip stream that ends inside a member lost its tail: report it (the records are counted)."""
        decompressor = getattr(iterator.reader, "decompressor", None)
        if decompressor is not None and not getattr(decompressor, "eof", True):
            self.stats.info["truncated_file"] += 1
            self.stats.errors.append(
                {"file": self.path, "error": "gzip stream ends inside a record (truncated file)"}
            )

    def _read_error(
        self, err: BaseException, already_counted: bool = False, context: str = "", stops: bool = True
    ) -> None:
        # The record being read when the file broke is counted as read and skipped, so the
        # accounting still holds; the file name and cause go to stats.json's errors.
        if not already_counted:
            self.stats.read += 1
        if stops and self.stats.read <= 1:  # it broke on its first page record: nothing was read
            self.failed = True
        self.stats.skipped["read_error"] += 1
        cause = f"{type(err).__name__}: {err}"
        self.stats.errors.append({"file": self.path, "error": f"{context} ({cause})" if context else cause})

    def _to_row(self, record: Any, ordinal: int) -> dict[str, Any] | None:
        # Never ask warcio for the record offset here: it reads the record to its end first.
        doc_id, warc_id = _record_id(record, self.source_name, ordinal)
        headers = record.rec_headers
        row: dict[str, Any] = {
            "id": doc_id,
            "url": headers.get_header("WARC-Target-URI"),
            "text": None,
            "language": None,
            "language_score": None,
            "warc_date": headers.get_header("WARC-Date"),
            "warc_record_id": warc_id,
            "source_file": self.source_name,
            "html": None,
            "x_robots_tag": None,
        }
        if headers.get_header("WARC-Truncated"):
            self.stats.info["truncated_payload"] += 1
        if record.rec_type == "conversion":  # WET: text already extracted by CommonCrawl
            body = self._read_capped(record)
            if body is None:
                return None
            row["text"] = body.decode("utf-8", errors="replace")
            return row
        status = record.http_headers.get_statuscode() if record.http_headers else None
        if status != "200":
            self.stats.skipped["http_status"] += 1
            return None
        content_type = _payload_type(record)
        if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
            self.stats.skipped["non_html"] += 1
            return None
        body = self._read_capped(record)
        if body is None:
            return None
        http_type = record.http_headers.get_header("Content-Type")
        html, _, replaced = decode_html(body, http_type)
        if replaced:
            self.stats.info["charset_replaced"] += 1
        row["html"] = html
        row["x_robots_tag"] = _x_robots_tag(record.http_headers)
        return row

    def _read_capped(self, record: Any) -> bytes | None:
        """The payload, or None (counted as `too_large`) when it exceeds the page cap."""
        cap = self.config.max_page_bytes
        if record.length is not None and record.length > cap + 64 * 1024:  # headers are small
            self.stats.skipped["too_large"] += 1
            return None
        body = record.content_stream().read(cap + 1)
        if len(body) > cap:
            self.stats.skipped["too_large"] += 1
            return None
        if getattr(record.raw_stream, "limit", 0) > 0:
            # The file ended before the record's declared Content-Length: a truncated download.
            raise TruncatedRecord(f"record {record.rec_headers.get_header('WARC-Target-URI')} is cut short")
        return body
