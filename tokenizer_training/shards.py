"""Phase 2 of `curate tokenize`: stream the work files in a fixed global order into budgeted shards.

No tokenization here, only copies of the ids phase 1 wrote. The order is a function of the inputs
and settings alone: the val split is each source's val documents (sources in mixture order, parts in
path order, rows in file order); the train split interleaves the sources by token share (the next
document comes from the source furthest behind its planned tokens, ties to the earlier source), each
source giving its full passes, then its partial pass (tokenizer_training.mixture).

A shard holds whole documents and at most `shard_tokens` tokens, except a single document larger than
the budget, which gets a shard to itself. Parquet shards (`input_ids`, `id`; zstd) are written in row
groups of about `row_group_tokens` tokens; llmc shards are llm.c's .bin: 256 int32 of header (magic
20240520, version 1, token count) then uint16 little-endian tokens. Each shard is written under a
temporary name and renamed when complete. Memory: one row group of ids, one work batch per source.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokenizer_training.mixture import SourcePlan

LLMC_MAGIC = 20240520
LLMC_VERSION = 1
LLMC_HEADER_INTS = 256
HISTOGRAM_BINS = 33  # documents by bit length of their token count: 1, 2-3, 4-7, ...
TEMP_MARK = ".tmp-"


def shard_schema(dtype: str) -> pa.Schema:
    return pa.schema(
        [("input_ids", pa.list_(pa.uint16() if dtype == "uint16" else pa.uint32())), ("id", pa.string())]
    )


def write_llmc_header(sink: BinaryIO, tokens: int) -> None:
    header = np.zeros(LLMC_HEADER_INTS, dtype="<i4")
    header[:3] = (LLMC_MAGIC, LLMC_VERSION, tokens)
    sink.write(header.tobytes())


def read_llmc(path: Path) -> np.ndarray:
    """The tokens of an llmc shard, checking its header (as llm.c's and modded-nanogpt's loaders do)."""
    with path.open("rb") as stream:
        header = np.frombuffer(stream.read(LLMC_HEADER_INTS * 4), dtype="<i4")
        if header[0] != LLMC_MAGIC or header[1] != LLMC_VERSION:
            raise ValueError(f"{path} is not an llmc shard (magic {header[0]}, version {header[1]})")
        tokens = np.frombuffer(stream.read(), dtype="<u2")
    if len(tokens) != header[2]:
        raise ValueError(f"{path}: header says {header[2]} tokens, file holds {len(tokens)}")
    return tokens


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class SplitWriter:
    """Writes one split's shards; `add` takes documents one by one as (batch, row, tokens)."""

    out_dir: Path
    split: str
    format: str
    dtype: str
    shard_tokens: int
    row_group_tokens: int
    shards: list[dict[str, Any]] = field(default_factory=list)
    _runs: list[list[Any]] = field(default_factory=list)  # [batch, start, length] of pending rows
    _pending_tokens: int = 0
    _shard_tokens: int = 0
    _shard_docs: int = 0
    _tmp: Path | None = None
    _parquet: pq.ParquetWriter | None = None
    _binary: BinaryIO | None = None

    def add(self, batch: pa.RecordBatch, row: int, tokens: int) -> None:
        if self._shard_docs and self._shard_tokens + tokens > self.shard_tokens:
            self._close_shard()
        if self._tmp is None:
            self._open_shard()
        last = self._runs[-1] if self._runs else None
        if last is not None and last[0] is batch and last[1] + last[2] == row:
            last[2] += 1
        else:
            self._runs.append([batch, row, 1])
        self._pending_tokens += tokens
        self._shard_tokens += tokens
        self._shard_docs += 1
        if self._pending_tokens >= self.row_group_tokens:
            self._flush()

    def finish(self) -> list[dict[str, Any]]:
        if self._shard_docs:
            self._close_shard()
        return self.shards

    def _final_path(self) -> Path:
        suffix = "bin" if self.format == "llmc" else "parquet"
        return self.out_dir / self.split / f"shard-{len(self.shards):05d}.{suffix}"

    def _open_shard(self) -> None:
        final = self._final_path()
        final.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = final.with_name(f".{final.name}{TEMP_MARK}{uuid.uuid4().hex[:8]}")
        if self.format == "llmc":
            self._binary = self._tmp.open("wb")
            write_llmc_header(self._binary, 0)  # the count is written when the shard closes
        else:
            self._parquet = pq.ParquetWriter(self._tmp, shard_schema(self.dtype), compression="zstd")

    def _flush(self) -> None:
        if not self._runs:
            return
        pieces = [batch.slice(start, length) for batch, start, length in self._runs]
        table = pa.Table.from_batches(pieces).select(["input_ids", "id"])
        if self._binary is not None:
            values = pc.list_flatten(table.column("input_ids"))
            self._binary.write(values.to_numpy().astype("<u2", copy=False).tobytes())
        else:
            assert self._parquet is not None
            self._parquet.write_table(table, row_group_size=table.num_rows)  # one row group
        self._runs, self._pending_tokens = [], 0

    def _close_shard(self) -> None:
        self._flush()
        assert self._tmp is not None
        final = self._final_path()
        if self._binary is not None:
            self._binary.seek(0)
            write_llmc_header(self._binary, self._shard_tokens)
            self._binary.close()
        elif self._parquet is not None:
            self._parquet.close()
        os.replace(self._tmp, final)
        self.shards.append(
            {
                "split": self.split,
                "path": f"{self.split}/{final.name}",
                "tokens": self._shard_tokens,
                "documents": self._shard_docs,
                "sha256": file_sha256(final),
            }
        )
        self._tmp, self._parquet, self._binary = None, None, None
        self._shard_tokens = self._shard_docs = 0

    def abort(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._binary is not None:
            self._binary.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def documents_of(
    work_files: list[Path], val: bool, bucket_limit: int | None = None
) -> Iterator[tuple[pa.RecordBatch, int, int]]:
    """(batch, row, tokens) of one split's documents in work-file order; with `bucket_limit`, only
    documents whose mixture bucket is below it (a partial pass)."""
    for path in work_files:
        with pq.ParquetFile(path) as reader:
            for batch in reader.iter_batches(columns=["id", "input_ids", "val", "bucket", "tokens"]):
                mask = batch.column(2) if val else pc.invert(batch.column(2))
                if bucket_limit is not None:
                    mask = pc.and_(mask, pc.less(batch.column(3), pa.scalar(bucket_limit, pa.uint16())))
                chosen = batch.filter(mask).select(["id", "input_ids", "tokens"])
                for row, tokens in enumerate(chosen.column(2).to_numpy().tolist()):
                    yield chosen, row, tokens


def source_train_documents(
    work_files: list[Path], plan: SourcePlan
) -> Iterator[tuple[pa.RecordBatch, int, int]]:
    for _ in range(plan.full_passes):
        yield from documents_of(work_files, val=False)
    if plan.partial_buckets > 0:
        yield from documents_of(work_files, val=False, bucket_limit=plan.partial_buckets)


@dataclass
class SplitTally:
    """What was written per source, and the tokens-per-document histogram."""

    documents: list[int]
    tokens: list[int]
    histogram: np.ndarray


def _tally(sources: int) -> SplitTally:
    return SplitTally([0] * sources, [0] * sources, np.zeros(HISTOGRAM_BINS, dtype=np.int64))


def write_val(writer: SplitWriter, work_files: list[list[Path]]) -> SplitTally:
    tally = _tally(len(work_files))
    for source, files in enumerate(work_files):
        for batch, row, tokens in documents_of(files, val=True):
            writer.add(batch, row, tokens)
            tally.documents[source] += 1
            tally.tokens[source] += tokens
            tally.histogram[min(tokens.bit_length(), HISTOGRAM_BINS) - 1] += 1
    writer.finish()
    return tally


def write_train(
    writer: SplitWriter, work_files: list[list[Path]], plans: list[SourcePlan], bar: Any
) -> SplitTally:
    """Interleave the sources' train documents by planned token share."""
    tally = _tally(len(work_files))
    streams = [source_train_documents(files, plan) for files, plan in zip(work_files, plans)]
    heads = [next(stream, None) for stream in streams]
    planned = [max(1, plan.planned_tokens) for plan in plans]
    while True:
        live = [s for s, head in enumerate(heads) if head is not None]
        if not live:
            break
        source = live[0] if len(live) == 1 else min(live, key=lambda s: (tally.tokens[s] / planned[s], s))
        batch, row, tokens = heads[source]  # type: ignore[misc]
        writer.add(batch, row, tokens)
        tally.documents[source] += 1
        tally.tokens[source] += tokens
        tally.histogram[min(tokens.bit_length(), HISTOGRAM_BINS) - 1] += 1
        bar.update(tokens)
        heads[source] = next(streams[source], None)
    writer.finish()
    return tally


def bucket_tokens(work_files: list[Path]) -> np.ndarray:
    """Train tokens per mixture bucket over one source's work files (two small columns read)."""
    from tokenizer_training.mixture import BUCKETS

    totals = np.zeros(BUCKETS, dtype=np.int64)
    for path in work_files:
        table = pq.read_table(path, columns=["val", "bucket", "tokens"])
        train = pc.invert(table.column("val")).to_numpy(zero_copy_only=False)
        buckets = table.column("bucket").to_numpy()[train]
        totals += np.bincount(
            buckets, weights=table.column("tokens").to_numpy()[train], minlength=BUCKETS
        ).astype(np.int64)
    return totals
