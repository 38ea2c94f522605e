"""Documents to train on or score, streamed in Arrow batches from Parquet, JSONL or plain text.

A source is one of:
- a folder of Parquet files (a run's `DIR/documents/` or `DIR/rejected/<stage>/`; its subfolders
  are not read) or one `.parquet` file: the `text` column (or `--text-field`), with `url` and `id` when present;
- a `.jsonl` / `.ndjson` / `.json` file (optionally `.gz`), one JSON object per line: its `text`
  field (or `--text-field`), with `url` and `id` when present;
- a `.txt` file (optionally `.gz`): one document per non-empty line, fastText's own convention
  for training files (a document with newlines must be put on one line).
Paths may be local or object-store URIs (`pipeline.io.storage.Location`). Each batch has the columns
`text`, `url` and `ref` (the document's id, or FILE:LINE when it has none). Memory: one batch.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.storage import Location

BATCH_ROWS = 4096
SOURCE_SCHEMA = pa.schema([("text", pa.string()), ("url", pa.string()), ("ref", pa.string())])
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TXT_SUFFIXES = (".txt",)


def source_files(source: str) -> list[tuple[Location, str]]:
    """(file, format) pairs of one source argument; format is parquet, jsonl or txt."""
    location = Location(source)
    if location.is_dir():
        # its own Parquet files only (not subfolders: a run's folder holds documents/, rejected/, _work/)
        parts = [p for p in location.glob("*.parquet") if not p.name.startswith((".", "_"))]
        if not parts:
            raise FileNotFoundError(
                f"{source}: a folder without Parquet files of its own "
                "(give e.g. DIR/documents or DIR/rejected/STAGE)"
            )
        return [(p, "parquet") for p in parts]
    if not location.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    return [(location, file_format(source))]


def file_format(path: str) -> str:
    name = path.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TXT_SUFFIXES):
        return "txt"
    raise ValueError(
        f"{path}: unknown document format; give a Parquet folder or file, JSONL (.jsonl/.ndjson/.json), "
        "or text (.txt, one document per line), optionally .gz"
    )


def read_batches(sources: Sequence[str], text_field: str = "text") -> Iterator[pa.RecordBatch]:
    """Every document of `sources`, in order, as batches of (text, url, ref)."""
    for source in sources:
        for location, fmt in source_files(source):
            if fmt == "parquet":
                yield from _parquet(location, text_field)
            elif fmt == "jsonl":
                yield from _jsonl(location, text_field)
            else:
                yield from _txt(location)


def count_rows(sources: Sequence[str]) -> int | None:
    """Documents in `sources` when cheap to know (Parquet footers only), else None (for progress bars)."""
    total = 0
    for source in sources:
        for location, fmt in source_files(source):
            if fmt != "parquet":
                return None
            total += pq.ParquetFile(location.source()).metadata.num_rows
    return total


def _parquet(location: Location, text_field: str) -> Iterator[pa.RecordBatch]:
    handle = pq.ParquetFile(location.source())
    names = handle.schema_arrow.names
    if text_field not in names:
        raise ValueError(
            f"{location}: no column {text_field!r} (columns: {', '.join(names)}); see --text-field"
        )
    wanted = [c for c in (text_field, "url", "id") if c in names]
    for batch in handle.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
        n = batch.num_rows
        text = batch.column(text_field).cast(pa.string())
        url = batch.column("url").cast(pa.string()) if "url" in wanted else pa.nulls(n, pa.string())
        ref = batch.column("id").cast(pa.string()) if "id" in wanted else pa.nulls(n, pa.string())
        yield pa.RecordBatch.from_arrays([text, url, ref], schema=SOURCE_SCHEMA)


def _lines(location: Location) -> Iterator[tuple[int, str]]:
    with location.open_stream() as raw:
        stream = gzip.GzipFile(fileobj=raw) if location.name.lower().endswith(".gz") else raw
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="\n")
        try:
            yield from enumerate(text, start=1)
        except UnicodeDecodeError as err:
            raise ValueError(f"{location}: not UTF-8 text ({err})") from None


def _batch(texts: list[str], urls: list[str | None] | None, refs: list[str]) -> pa.RecordBatch:
    # pa.nulls, not pa.array([None, ...]): the latter imports pandas (a second) to look for NaN
    url = pa.nulls(len(texts), pa.string()) if urls is None else pa.array(urls, pa.string())
    return pa.RecordBatch.from_arrays(
        [pa.array(texts, pa.string()), url, pa.array(refs, pa.string())], schema=SOURCE_SCHEMA
    )


def _jsonl(location: Location, text_field: str) -> Iterator[pa.RecordBatch]:
    texts: list[str] = []
    urls: list[str | None] = []
    refs: list[str] = []
    for number, line in _lines(location):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            raise ValueError(f"{location}:{number}: not a JSON object ({err})") from None
        if not isinstance(record, dict) or text_field not in record:
            raise ValueError(f"{location}:{number}: no field {text_field!r} (see --text-field)")
        value = record[text_field]
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{location}:{number}: field {text_field!r} is not a string")
        texts.append(value or "")
        url = record.get("url")
        urls.append(url if isinstance(url, str) else None)
        refs.append(str(record["id"]) if record.get("id") is not None else f"{location.name}:{number}")
        if len(texts) == BATCH_ROWS:
            yield _batch(texts, urls, refs)
            texts, urls, refs = [], [], []
    if texts:
        yield _batch(texts, urls, refs)


def _txt(location: Location) -> Iterator[pa.RecordBatch]:
    texts: list[str] = []
    refs: list[str] = []
    for number, line in _lines(location):
        if line.strip():
            texts.append(line.rstrip("\r\n"))
            refs.append(f"{location.name}:{number}")
            if len(texts) == BATCH_ROWS:
                yield _batch(texts, None, refs)
                texts, refs = [], []
    if texts:
        yield _batch(texts, None, refs)
