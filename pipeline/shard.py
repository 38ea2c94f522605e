"""Process one input file end to end: read, run the stage chain, write its parts, return its stats."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.chain import StageChain
from pipeline.inputs import InputFile
from pipeline.output import ShardWriter
from pipeline.recipe import Recipe
from pipeline.warc import InputFileError, WarcReader

ProgressFn = Callable[[int, int], None]  # (records read since last call, documents kept since last call)


def process_input(
    input_file: InputFile,
    recipe: Recipe,
    chain: StageChain,
    out: Path,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    reader = WarcReader(input_file.path, recipe.reader)
    chain.start_shard()
    writer = ShardWriter(out, input_file.shard_id, chain.doc_schema)
    final = 0
    last_read = 0
    try:
        for batch in reader.batches():
            documents, rejected = chain.run(batch)
            writer.write_documents(documents)
            for stage_name, rows in rejected:
                writer.write_rejected(stage_name, rows)
            final += documents.num_rows
            if progress is not None:
                progress(reader.stats.read - last_read, documents.num_rows)
                last_read = reader.stats.read
    except InputFileError as err:
        # Not a WARC at all (or unreadable): nothing of it is kept; the run goes on with other inputs.
        writer.abort()
        reader.stats.errors.append({"file": input_file.path, "error": str(err)})
        chain.start_shard()
        final = 0
    except BaseException:
        writer.abort()
        raise
    if progress is not None and reader.stats.read > last_read:
        progress(reader.stats.read - last_read, 0)
    shard_stats = {
        "input": input_file.path,
        "shard": input_file.shard_id,
        "records": reader.stats.to_dict(),
        "stages": chain.collect_stats(),
        "final_documents": final,
        "seconds": round(time.perf_counter() - started, 4),
    }
    writer.commit(shard_stats)
    return shard_stats
