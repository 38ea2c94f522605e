"""Phase 1 of `curate tokenize`: each input part to one work file of token ids, independently.

`tokenize_part` is a pure function of (part, tokenizer, val fraction): it streams the part's
documents in row order and writes SHARDDIR/_work/tokens/<key>.parquet with, per document: `id`,
`input_ids` (the ids followed by <|endoftext|>), `val` (the split, from a hash of the id), `bucket`
(the mixture hash bucket, tokenizer_training.mixture) and `tokens`. Local worker processes and Spark
tasks run this same function, so phase 2, which only copies from these files in a fixed order, writes
the same bytes whichever engine ran phase 1. A work file appears atomically (temporary name, then
rename): after a kill, --resume redoes exactly the parts whose file is missing.

Memory per worker: one batch of documents (DOCS_PER_BATCH) and its ids.
"""

from __future__ import annotations

import os
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokenizer_training.documents import below, id_hash, iter_batches
from tokenizer_training.encoder import LoadedTokenizer, load_tokenizer
from tokenizer_training.mixture import BUCKET_BITS, MIX_SALT

DOCS_PER_BATCH = 1024
VAL_SALT = "val"
TEMP_MARK = ".tmp-"


@dataclass(frozen=True)
class PartTask:
    source: int  # index of the source in the mixture
    index: int  # index of the part within the source
    part: str  # the input Parquet file
    work: str  # the work file to write

    @property
    def key(self) -> str:
        return Path(self.work).stem


def work_schema(dtype: str) -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.string()),
            ("input_ids", pa.list_(pa.uint16() if dtype == "uint16" else pa.uint32())),
            ("val", pa.bool_()),
            ("bucket", pa.uint16()),
            ("tokens", pa.uint32()),
        ]
    )


def work_path(work_dir: Path, source: int, index: int) -> Path:
    return work_dir / f"s{source:03d}-p{index:06d}.parquet"


def encode_documents(
    tokenizer: LoadedTokenizer, ids: list[str], texts: list[str], dtype: str, val_below: int
) -> pa.RecordBatch:
    """One work batch: documents with text, in order; the token ids of each then <|endoftext|>."""
    keep = [i for i, text in enumerate(texts) if text]
    doc_ids = [ids[i] for i in keep]
    encoded = tokenizer.encode_batch([texts[i] for i in keep])
    lengths = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 1 << 31:
        raise ValueError("a batch of documents holds over 2**31 tokens; lower DOCS_PER_BATCH")
    values = np.empty(int(offsets[-1]), dtype=np.uint16 if dtype == "uint16" else np.uint32)
    eot = tokenizer.eot_id
    for start, token_ids in zip(offsets[:-1], encoded):
        end = start + len(token_ids)
        values[start:end] = token_ids
        values[end] = eot
    mix_hashes = [id_hash(d, MIX_SALT) for d in doc_ids]
    return pa.record_batch(
        [
            pa.array(doc_ids, pa.string()),
            pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values)),
            pa.array([id_hash(d, VAL_SALT) < val_below for d in doc_ids], pa.bool_()),
            pa.array([h >> (64 - BUCKET_BITS) for h in mix_hashes], pa.uint16()),
            pa.array(lengths, pa.uint32()),
        ],
        schema=work_schema(dtype),
    )


def tokenize_part(
    tokenizer: LoadedTokenizer, task: PartTask, dtype: str, val_fraction: float
) -> dict[str, Any]:
    """Write the task's work file (atomically); returns its counts."""
    target = Path(task.work)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{TEMP_MARK}{uuid.uuid4().hex[:8]}")
    schema = work_schema(dtype)
    counts = {"key": task.key, "documents": 0, "tokens": 0, "empty": 0, "text_bytes": 0}
    try:
        with pq.ParquetWriter(tmp, schema, compression="lz4") as writer:
            for batch in iter_batches(Path(task.part), rows=DOCS_PER_BATCH):
                ids, texts = batch.column(0).to_pylist(), batch.column(1).to_pylist()
                work = encode_documents(tokenizer, ids, texts, dtype, below(val_fraction))
                writer.write_batch(work)
                counts["documents"] += work.num_rows
                counts["empty"] += len(texts) - work.num_rows
                counts["tokens"] += int(work.column(4).to_numpy().sum())
                counts["text_bytes"] += sum(len(t.encode("utf-8")) for t in texts if t)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts


# -- local engine ---------------------------------------------------------------------------------
_worker_state: dict[str, Any] = {}


def _init_worker(tokenizer_path: str, dtype: str, val_fraction: float) -> None:
    _worker_state.update(tokenizer=load_tokenizer(tokenizer_path), dtype=dtype, val_fraction=val_fraction)


def _run_task(task: PartTask) -> dict[str, Any]:
    return tokenize_part(
        _worker_state["tokenizer"], task, _worker_state["dtype"], _worker_state["val_fraction"]
    )


def run_local(
    tasks: list[PartTask], tokenizer_path: str, dtype: str, val_fraction: float, workers: int, progress: bool
) -> list[dict[str, Any]]:
    """Phase 1 on this machine: in this process (workers=1) or in `workers` spawned processes, each
    loading the tokenizer once."""
    import multiprocessing as mp

    from tqdm import tqdm

    results: list[dict[str, Any]] = []
    with tqdm(total=len(tasks), unit="part", desc="tokenizing", disable=not progress, file=sys.stderr) as bar:
        if workers <= 1 or len(tasks) <= 1:
            _init_worker(tokenizer_path, dtype, val_fraction)
            for task in tasks:
                results.append(_run_task(task))
                bar.update()
            return results
        context = mp.get_context("spawn")  # workers start clean, without this process's threads
        init_args = (tokenizer_path, dtype, val_fraction)
        with ProcessPoolExecutor(min(workers, len(tasks)), context, _init_worker, init_args) as pool:
            for result in pool.map(_run_task, tasks):
                results.append(result)
                bar.update()
    return results
