"""Phase 1 of `curate tokenize` on Spark: one task per input part, in `mapInArrow`.

Each task runs `tokenizer_training.parts.tokenize_part`, the function the local workers run, and
writes its part's work file; the tokenizer is loaded once per executor Python process (Spark reuses
Python workers) and kept in a module-level cache keyed by its sha256. Tasks return one small row
(key, counts or traceback) that the driver collects. A retried or speculative task rewrites its work
file atomically with the same content, so retries are harmless. SHARDDIR and the inputs must be paths
that every executor reaches (one machine, or a shared filesystem). Phase 2 runs on the driver.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from dataclasses import asdict
from functools import partial
from typing import Any

import pyarrow as pa

from tokenizer_training.parts import PartTask

RESULT_SCHEMA = pa.schema([("key", pa.string()), ("counts", pa.string()), ("error", pa.string())])
RESULT_DDL = "key string, counts string, error string"  # the same, as Spark takes it
_tokenizers: dict[str, Any] = {}  # per executor Python process: sha256 -> loaded tokenizer


def _tokenizer(path: str, sha256: str) -> Any:
    if sha256 not in _tokenizers:
        from tokenizer_training.encoder import load_tokenizer

        loaded = load_tokenizer(path)
        if loaded.sha256 != sha256:
            raise ValueError(f"{path} changed while the job ran (sha256 {loaded.sha256}, expected {sha256})")
        _tokenizers[sha256] = loaded
    return _tokenizers[sha256]


def process_tasks(
    tokenizer_path: str, sha256: str, dtype: str, val_fraction: float, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    from tokenizer_training.parts import tokenize_part

    for batch in batches:
        for text in batch.column(0).to_pylist():
            task = PartTask(**json.loads(text))
            try:
                counts = tokenize_part(_tokenizer(tokenizer_path, sha256), task, dtype, val_fraction)
                row = {"key": task.key, "counts": json.dumps(counts), "error": None}
            except Exception:
                row = {"key": task.key, "counts": None, "error": f"{task.part}:\n{traceback.format_exc()}"}
            yield pa.RecordBatch.from_pylist([row], schema=RESULT_SCHEMA)


def run_spark(
    tasks: list[PartTask],
    tokenizer_path: str,
    dtype: str,
    val_fraction: float,
    master: str | None,
    progress: bool,
) -> list[dict[str, Any]]:
    from pipeline.engines.spark import get_session
    from tokenizer_training.encoder import load_tokenizer

    sha256 = load_tokenizer(tokenizer_path).sha256
    spark = get_session(master)
    rows = [(json.dumps(asdict(task)),) for task in tasks]
    frame = spark.sparkContext.parallelize(rows, len(rows)).toDF("task string")  # one part per partition
    if progress:
        import sys

        print(f"tokenizing {len(tasks)} part(s) on Spark ({spark.sparkContext.master})", file=sys.stderr)
    collected = frame.mapInArrow(
        partial(process_tasks, tokenizer_path, sha256, dtype, val_fraction), RESULT_DDL
    ).collect()
    failures = [row["error"] for row in collected if row["error"]]
    if failures:
        raise ValueError(f"tokenizing {len(failures)} part(s) failed on Spark; first:\n{failures[0]}")
    return [json.loads(row["counts"]) for row in collected]
