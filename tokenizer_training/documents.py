"""Input documents: the Parquet parts of `curate run` outputs, streamed in a fixed order.

An input is a documents/ folder (DIR/documents), a run folder holding documents/, one Parquet file, or
a glob of them. Parts are read in sorted path order, rows in file order, so every pass over the same
inputs sees the same documents in the same order. Documents are chosen by a salted 64-bit hash of
their id (not by position), so a choice does not depend on how documents are spread over parts.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HASH_SPACE = 1 << 64
REQUIRED_COLUMNS = ("id", "text")


def find_parts(inputs: list[str]) -> list[Path]:
    """The Parquet parts of every input, sorted within each input, each part once."""
    if not inputs:
        raise ValueError("no --input given")
    parts: list[Path] = []
    for given in inputs:
        found = _parts_of(given)
        if not found:
            raise FileNotFoundError(
                f"input {given} holds no Parquet parts (expected DIR/documents/part-*.parquet from `curate run`)"
            )
        parts += [p for p in found if p not in parts]
    for part in parts:
        check_columns(part)
    return parts


def _parts_of(given: str) -> list[Path]:
    path = Path(given)
    if path.is_dir():
        if not _parquet_in(path) and (path / "documents").is_dir():
            path = path / "documents"  # a run folder: its documents
        return _parquet_in(path)
    if path.is_file():
        return [path.resolve()]
    if any(c in given for c in "*?["):
        return sorted(Path(p).resolve() for p in glob.glob(given) if p.endswith(".parquet"))
    raise FileNotFoundError(f"input {given} does not exist")


def _parquet_in(folder: Path) -> list[Path]:
    return sorted(p.resolve() for p in folder.glob("*.parquet") if not p.name.startswith("."))


def check_columns(part: Path) -> None:
    try:
        names = pq.read_schema(part).names
    except (OSError, pa.ArrowException) as err:
        raise ValueError(f"{part} is not a readable Parquet file: {err}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{part} has no column {', '.join(missing)} (documents need id and text)")


def iter_batches(
    part: Path, columns: tuple[str, ...] = REQUIRED_COLUMNS, rows: int = 1024
) -> Iterator[pa.RecordBatch]:
    """Stream one part: `rows` documents at a time (memory: one batch)."""
    with pq.ParquetFile(part) as reader:
        yield from reader.iter_batches(batch_size=rows, columns=list(columns))


def id_hash(doc_id: str, salt: str) -> int:
    """A uniform 64-bit hash of a document id; the salt keeps independent choices independent."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8, person=salt.encode()[:16]).digest()
    return int.from_bytes(digest, "little")


def below(fraction: float) -> int:
    """The hash threshold that keeps `fraction` of documents (hash < threshold)."""
    return min(HASH_SPACE, max(0, round(fraction * HASH_SPACE)))


def text_bytes_estimate(parts: list[Path]) -> int:
    """The text column's uncompressed size from the Parquet footers (no data read): a little above the
    UTF-8 size of the text, which is at least its character count."""
    total = 0
    for part in parts:
        meta = pq.read_metadata(part)
        index = meta.schema.to_arrow_schema().get_field_index("text")
        for group in range(meta.num_row_groups):
            total += meta.row_group(group).column(index).total_uncompressed_size
    return total


def part_sizes(parts: list[Path]) -> list[dict[str, object]]:
    """Path, bytes and rows of each part: the identity of an input for --resume checks."""
    return [{"path": str(p), "bytes": p.stat().st_size, "rows": pq.read_metadata(p).num_rows} for p in parts]
