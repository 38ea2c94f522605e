"""Sample documents of a run, for the report and `curate inspect`: rejected rows of a stage (a few per
reason) and rows a stage kept, read from DIR without loading whole parts.

Rows a stage kept are the final documents plus the rows later stages rejected; the text shown for
them is the text as written there (a later stage, such as `c4_quality`, may have removed lines).
Report samples are scrubbed of PII (`scrub`) because a report is meant to be shared.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.io.storage import Location

# Columns every sample shows on its own line; any other non-null column is listed as an extra field.
SHOWN = ("id", "url", "text", "reason", "value", "stage", "html")
# Where a row came from: shown by `curate inspect`, left out of the report.
META = ("warc_date", "warc_record_id", "source_file")
MAX_SCANNED_ROWS = 200_000  # bound the scan for rare reasons in a huge rejected/<stage>/
KEPT_CANDIDATES = 5_000  # kept samples are drawn from this many rows at most
MAX_COUNTED_ROWS = 2_000_000  # per folder, for the language and domain tables of the report

# -- PII scrubbing ----------------------------------------------------------------------------------
# A minimal fallback for when `filters.pii` (presidio) is not importable: emails, phone-like digit runs
# (9+ digits, so dates and years stay) and IPv4 addresses. It over-scrubs rather than leak.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d\s().-]{6,}\d(?![\w-])")


def regex_scrub(text: str) -> str:
    text = _EMAIL.sub("<EMAIL_ADDRESS>", text)
    text = _IPV4.sub("<IP_ADDRESS>", text)
    return _PHONE.sub(lambda m: "<PHONE_NUMBER>" if _digits(m.group()) >= 9 else m.group(), text)


def _digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


def _pii_scrubber() -> Callable[[str], str] | None:
    try:
        from filters.pii import scrub_text
    except ImportError:  # the pii stage (or presidio) is not installed
        return None
    return scrub_text


_scrubber: list[Callable[[str], str] | None] = []


def scrub(text: str | None) -> str:
    """`text` without PII: the `pii` stage's scrubber when available, else `regex_scrub`."""
    if not text:
        return ""
    if not _scrubber:
        _scrubber.append(_pii_scrubber())
    scrubber = _scrubber[0]
    if scrubber is not None:
        try:
            return scrubber(text)
        except Exception:  # e.g. presidio present but broken: never fail a report over a sample
            _scrubber[0] = None
    return regex_scrub(text)


# -- reading samples --------------------------------------------------------------------------------
def parts(directory: Location) -> list[Location]:
    return directory.glob("part-*.parquet")


def _reasons(directory: Location) -> Iterator[tuple[Location, int, str]]:
    """(part, row in part, reason) of every rejected row, reading only the `reason` column."""
    scanned = 0
    for path in parts(directory):
        offset = 0
        for batch in pq.ParquetFile(path.source()).iter_batches(batch_size=4096, columns=["reason"]):
            for i, reason in enumerate(batch.column("reason").to_pylist()):
                yield path, offset + i, reason
            offset += batch.num_rows
            scanned += batch.num_rows
            if scanned >= MAX_SCANNED_ROWS:
                return


def _rows(path: Location, indices: list[int]) -> list[dict[str, Any]]:
    """Rows `indices` of a part, reading only the row groups that hold them (parts can be large)."""
    file = pq.ParquetFile(path.source())
    starts = [0]
    for g in range(file.metadata.num_row_groups):
        starts.append(starts[-1] + file.metadata.row_group(g).num_rows)
    groups = sorted({bisect.bisect_right(starts, i) - 1 for i in indices})
    table = file.read_row_groups(groups)
    # Position of each wanted row inside the concatenation of the groups read.
    before = {g: sum(starts[h + 1] - starts[h] for h in groups if h < g) for g in groups}
    local = [before[g] + i - starts[g] for i in indices for g in [bisect.bisect_right(starts, i) - 1]]
    return table.take(pa.array(local, pa.int64())).to_pylist()


def _read(picked: list[tuple[Location, int]]) -> list[dict[str, Any]]:
    """The rows at `picked` (part, row), in that order."""
    by_part: dict[Location, list[int]] = {}
    for path, i in picked:
        by_part.setdefault(path, []).append(i)
    rows = {(path, i): row for path, idx in by_part.items() for i, row in zip(idx, _rows(path, idx))}
    return [rows[key] for key in picked]


def reason_matches(reason: str, wanted: str | None) -> bool:
    """`--reason word_count` matches `gopher_quality:word_count` (equal, or a part of it)."""
    return wanted is None or reason == wanted or wanted in reason


def rejected_samples(
    out: Location, stage: str, per_reason: int, limit: int, reason: str | None = None
) -> list[dict[str, Any]]:
    """Up to `per_reason` rows of each drop reason of `stage` (at most `limit` rows), in part order;
    with `reason`, only rows whose reason matches it (`reason_matches`)."""
    picked: list[tuple[Location, int]] = []
    taken: dict[str, int] = {}
    for path, i, value in _reasons(out / "rejected" / stage):
        if not reason_matches(value, reason) or taken.get(value, 0) >= per_reason:
            continue
        taken[value] = taken.get(value, 0) + 1
        picked.append((path, i))
        if len(picked) >= limit:
            break
    return _read(picked)


def later_dirs(out: Location, stage_names: list[str], stage: str) -> list[Location]:
    """Where the rows `stage` kept ended up: documents/ and the rejected/ folders of later stages."""
    later = stage_names[stage_names.index(stage) + 1 :]
    return [out / "documents", *(out / "rejected" / name for name in later)]


def kept_samples(out: Location, stage_names: list[str], stage: str, n: int) -> list[dict[str, Any]]:
    """`n` rows that `stage` kept, drawn deterministically (by a hash of stage and id) so that every
    stage shows different documents."""
    candidates: list[tuple[str, Location, int]] = []
    for directory in later_dirs(out, stage_names, stage):
        for path in parts(directory):
            ids = pq.read_table(path.source(), columns=["id"]).column("id").to_pylist()
            for i, doc_id in enumerate(ids[: KEPT_CANDIDATES - len(candidates)]):
                key = hashlib.blake2b(f"{stage}\0{doc_id}".encode(), digest_size=8).hexdigest()
                candidates.append((key, path, i))
            if len(candidates) >= KEPT_CANDIDATES:
                break
        if len(candidates) >= KEPT_CANDIDATES:
            break
    chosen = sorted(candidates)[:n]
    return _read([(path, i) for _, path, i in chosen])


def extras(row: dict[str, Any]) -> dict[str, Any]:
    """The row's other non-null columns (annotations, `duplicate_of`, `benchmark`, ...)."""
    return {k: v for k, v in row.items() if k not in SHOWN and k not in META and v is not None}


def row_text(row: dict[str, Any]) -> str:
    """The text of a row; rows rejected before extraction have only the raw page (tags dropped)."""
    if row.get("text"):
        return row["text"]
    page = row.get("html") or ""
    return re.sub(r"\s+", " ", re.sub(r"(?s)<(script|style)\b.*?</\1>|<[^>]+>", " ", page)).strip()


class Counts(dict):
    """value -> rows; `complete` is False when the row budget stopped the count early."""

    complete = True


def column_counts(
    paths: list[Location],
    column: str,
    transform: Callable[[pa.Array], pa.Array] | None = None,
    max_rows: int | None = None,
) -> Counts:
    """value -> rows over `paths`, reading only `column` (pyarrow's value_counts, no Python loop),
    row group by row group, and at most `max_rows` rows (default MAX_COUNTED_ROWS) so that a report
    over billions of rows stays bounded in time."""
    budget = MAX_COUNTED_ROWS if max_rows is None else max_rows
    counts = Counts()
    counted = 0
    for path in paths:
        if counted >= budget:
            counts.complete = False
            break
        file = pq.ParquetFile(path.source())
        if column not in file.schema_arrow.names:
            continue
        for group in range(file.num_row_groups):
            if counted >= budget:
                counts.complete = False
                break
            values = file.read_row_group(group, columns=[column]).column(column).combine_chunks()
            counted += len(values)
            if transform is not None:
                values = transform(values)
            for item in pc.value_counts(values).to_pylist():
                if item["values"] is not None:
                    counts[item["values"]] = counts.get(item["values"], 0) + item["counts"]
    return counts


_HOST = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(?P<host>[^/:?#]+)"


def hosts(urls: pa.Array) -> pa.Array:
    """The lower-cased host of each URL (null when it has none)."""
    matched = pc.extract_regex(urls.cast(pa.string()), _HOST)
    return pc.utf8_lower(pc.struct_field(matched, [0]))
