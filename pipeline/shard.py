"""Process one input file: read it, run the stage chain, and hand the results to a writer.

`process_stream` is the engine-independent core: it yields the documents and rejected rows of one
input file batch by batch, then its statistics. The local engine writes them with `ShardWriter`
(`process_input`); the Spark engine turns them into rows of a DataFrame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.chain import StageChain
from pipeline.inputs import InputFile
from pipeline.output import ShardWriter
from pipeline.recipe import Recipe
from pipeline.warc import InputFileError, WarcReader

ProgressFn = Callable[[int, int], None]  # (records read since last call, documents kept since last call)


@dataclass
class ShardOutput:
    kind: str  # "documents", "rejected" or "stats"
    batch: pa.RecordBatch | None = None
    stage: str | None = None  # for "rejected"
    stats: dict[str, Any] | None = None  # for "stats", always the last item


def process_stream(
    input_file: InputFile, recipe: Recipe, chain: StageChain, progress: ProgressFn | None = None
) -> Iterator[ShardOutput]:
    started = time.perf_counter()
    reader = WarcReader(input_file.path, recipe.reader)
    chain.start_shard()
    final = 0
    last_read = 0
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
    yield ShardOutput("stats", stats=stats)


def process_input(
    input_file: InputFile, recipe: Recipe, chain: StageChain, out: Path, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Local engine: write this input's parts under `out` and commit them with its stats."""
    writer = ShardWriter(out, input_file.shard_id, chain.doc_schema)
    stats: dict[str, Any] = {}
    try:
        for item in process_stream(input_file, recipe, chain, progress):
            if item.kind == "documents":
                writer.write_documents(item.batch)
            elif item.kind == "rejected":
                writer.write_rejected(item.stage, item.batch)
            else:
                stats = item.stats
    except BaseException:
        writer.abort()
        raise
    writer.commit(stats)
    return stats
