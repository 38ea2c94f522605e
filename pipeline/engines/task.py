"""Process one input file: read it, run the stage chain, and hand the results to a writer.

`process_stream` is the engine-independent core: it yields the documents and rejected rows of one
input file batch by batch, then its statistics. Both engines write them with `ShardWriter`
(`process_input`): local worker processes and Spark tasks alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.chain import StageChain
from pipeline.core.plan import Segment
from pipeline.engines.base import ProgressFn
from pipeline.io.inputs import InputFile
from pipeline.io.output import ShardWriter
from pipeline.io.storage import Location
from pipeline.io.warc import InputFileError, ReaderConfig, ReadStats, WarcReader


@dataclass
class ShardOutput:
    kind: str  # "documents", "rejected" or "stats"
    batch: pa.RecordBatch | None = None
    stage: str | None = None  # for "rejected"
    stats: dict[str, Any] | None = None  # for "stats", always the last item


class PartReader:
    """Reads a Parquet file of documents: a part written by an earlier segment, or a `documents/`
    part given as input (`curate dedup`); each row counts as a record read and a document."""

    def __init__(self, path: str, config: ReaderConfig) -> None:
        self.path = path
        self.config = config
        self.stats = ReadStats()

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in pq.ParquetFile(Location(self.path).open_input()).iter_batches(
            batch_size=self.config.batch_size
        ):
            self.stats.read += batch.num_rows
            self.stats.documents += batch.num_rows
            yield batch


def open_reader(input_file: InputFile, config: ReaderConfig) -> WarcReader | PartReader:
    if input_file.format == "parquet":
        return PartReader(input_file.path, config)
    return WarcReader(input_file.path, config)


def process_stream(
    input_file: InputFile, reader_config: ReaderConfig, chain: StageChain, progress: ProgressFn | None = None
) -> Iterator[ShardOutput]:
    started = time.perf_counter()
    reader = open_reader(input_file, reader_config)
    chain.start_shard(input_file.shard_id)
    final = 0
    last_read = 0
    failed = False
    try:
        for batch in reader.batches():
            documents, rejected = chain.run(batch)
            yield ShardOutput("documents", documents)
            for stage_name, rows in rejected:
                yield ShardOutput("rejected", rows, stage=stage_name)
            final += documents.num_rows
            if progress is not None:
                progress(reader.stats.read - last_read, documents.num_rows)
                last_read = reader.stats.read
    except InputFileError as err:
        # Raised before the first record: nothing of this file was yielded. The run goes on.
        reader.stats.errors.append({"file": input_file.path, "error": str(err)})
        failed = True
    if progress is not None and reader.stats.read > last_read:
        progress(reader.stats.read - last_read, 0)
    stats = {
        "input": input_file.path,
        "shard": input_file.shard_id,
        "records": reader.stats.to_dict(),
        "stages": chain.collect_stats(),
        "final_documents": final,
        "seconds": round(time.perf_counter() - started, 4),
    }
    if failed or getattr(reader, "failed", False):  # WarcReader: broken on its first page record
        stats["read_failed"] = True  # nothing could be read: an unreadable input (exit code 3)
    yield ShardOutput("stats", stats=stats)


def process_input(
    input_file: InputFile,
    segment: Segment,
    reader_config: ReaderConfig,
    chain: StageChain,
    out: Location,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Both engines: write this input's parts under `out` and commit them with its stats."""
    writer = ShardWriter(out, input_file.shard_id, chain.doc_schema, segment.name, segment.documents_dir)
    stats: dict[str, Any] = {}
    try:
        for item in process_stream(input_file, reader_config, chain, progress):
            if item.kind == "documents":
                writer.write_documents(item.batch)
            elif item.kind == "rejected":
                writer.write_rejected(item.stage, item.batch)
            else:
                stats = item.stats
    except BaseException:
        writer.abort()
        raise
    # An input that could not be read gets no finished-marker, so that --resume tries it again.
    writer.commit(stats, marker=not stats.get("read_failed"))
    return stats
