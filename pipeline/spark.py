"""The Spark engine: the same recipe and stage code, scheduled by Spark, written by Spark.

One Spark task per input file: a DataFrame of input paths (one per partition) goes through
`mapInArrow`, whose function runs `pipeline.shard.process_stream` (the very code of the local
engine) and emits one wide Arrow schema holding documents, rejected rows and one stats row per file.
The driver collects the stats rows (not accumulators, which double-count on task retry), then
Spark writes documents/ and rejected/<stage>/ as Parquet.

Commit protocol, so that `--resume` and killed runs never duplicate rows: inputs are processed in
waves; Spark writes a wave into DIR/_staging/<wave>/, the driver then records the list of file moves
in DIR/_staging/<wave>/commit.json, moves the files into place and writes the per-input markers in
DIR/_shards/. A restarted run first rolls forward any wave whose commit.json exists and deletes any
staging without one. Output is a local or shared filesystem path (as seen by driver and executors).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.chain import StageChain, conform
from pipeline.inputs import InputFile
from pipeline.output import PARQUET_OPTIONS, shard_stats_path, write_json_atomic
from pipeline.plan import Segment
from pipeline.shard import process_stream
from pipeline.warc import ReaderConfig

KIND, SHARD, STATS = "_kind", "_shard", "_stats"
DEFAULT_CONF = {
    # Reuse Python workers across tasks, so models and lists load once per executor worker.
    "spark.python.worker.reuse": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.compression.codec": PARQUET_OPTIONS["compression"],
    "spark.ui.showConsoleProgress": "false",
}
FILES_PER_WAVE = 256  # inputs committed together; also the granularity of --resume on Spark

_chains: dict[str, StageChain] = {}  # per Python worker: segment key -> loaded stage chain


def wide_schema(chain: StageChain) -> pa.Schema:
    """Documents, rejected rows of every stage and stats rows in one nullable schema."""
    fields: dict[str, pa.Field] = {}
    for schema in [chain.doc_schema, *chain.rejected_schemas]:
        for f in schema:
            fields.setdefault(f.name, f.with_nullable(True))
    for name in (KIND, SHARD, STATS):
        fields[name] = pa.field(name, pa.string())
    return pa.schema(list(fields.values()))


def _tag(batch: pa.RecordBatch, schema: pa.Schema, kind: str, shard: str) -> pa.RecordBatch:
    n = batch.num_rows
    tagged = batch.append_column(KIND, pa.array([kind] * n, pa.string()))
    tagged = tagged.append_column(SHARD, pa.array([shard] * n, pa.string()))
    return conform(tagged, schema)


def _stats_row(schema: pa.Schema, shard: str, stats: dict[str, Any]) -> pa.RecordBatch:
    columns = [pa.nulls(1, type=f.type) for f in schema]
    columns[schema.get_field_index(KIND)] = pa.array(["stats"])
    columns[schema.get_field_index(SHARD)] = pa.array([shard])
    columns[schema.get_field_index(STATS)] = pa.array([json.dumps(stats)])
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _segment_key(segment: Segment) -> str:
    described = [stage.describe() for stage in segment.prior + segment.stages]
    workdirs = [getattr(stage, "workdir", None) for stage in segment.stages]
    return hashlib.sha1(json.dumps([described, workdirs], sort_keys=True, default=str).encode()).hexdigest()


def process_partition(
    batches: Iterator[pa.RecordBatch], segment: Segment, reader_config: ReaderConfig
) -> Iterator[pa.RecordBatch]:
    """The mapInArrow function: input rows are (path, shard, format); runs in executor Python workers."""
    key = _segment_key(segment)
    chain = _chains.get(key)
    if chain is None:
        chain = _chains[key] = StageChain(segment.stages, segment.prior)
    schema = wide_schema(chain)
    for batch in batches:
        for path, shard, fmt in zip(*(batch.column(c).to_pylist() for c in ("path", "shard", "format"))):
            input_file = InputFile(path, shard=shard, format=fmt)
            try:
                for item in process_stream(input_file, reader_config, chain):
                    if item.kind == "stats":
                        yield _stats_row(schema, shard, item.stats)
                    elif item.batch.num_rows:
                        yield _tag(item.batch, schema, item.kind, shard)
            except Exception:  # a bug on one file: reported by the driver, its rows are not written
                yield _stats_row(
                    schema, shard, {"input": path, "shard": shard, "traceback": traceback.format_exc()}
                )


def get_session(master: str | None, conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession (under spark-submit) or a new one for `master`."""
    if master:  # `curate run --engine spark --master ...`: executors use this Python (same machine/venv)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ValueError(
            "the Spark engine needs pyspark: pip install 'curate[spark]' (make setup installs it)"
        ) from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise ValueError("the Spark engine needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)")

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("curate")
    if master:
        builder = builder.master(master)
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def recover_staging(out: Path) -> None:
    """Finish waves that reached their commit point; discard those that did not."""
    staging_root = out / "_staging"
    if not staging_root.is_dir():
        return
    for staging in sorted(staging_root.iterdir()):
        if (staging / "commit.json").is_file():
            _apply_commit(out, staging)
        else:
            shutil.rmtree(staging)
    shutil.rmtree(staging_root, ignore_errors=True)


def _apply_commit(out: Path, staging: Path) -> None:
    commit = json.loads((staging / "commit.json").read_text())
    for src, dst in commit["moves"]:
        if (staging / src).exists():  # idempotent: a move done before a crash is not redone
            (out / dst).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / src, out / dst)
    for shard, stats in commit["shards"].items():
        marker = shard_stats_path(out, commit["segment"], shard)
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(marker, stats)
    shutil.rmtree(staging)


def _remove_if_empty(directory: Path) -> None:
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def _wave_id(wave: list[InputFile]) -> str:
    return hashlib.sha1("\n".join(f.shard_id for f in wave).encode()).hexdigest()[:12]


def run_wave(
    spark: Any,
    segment: Segment,
    reader_config: ReaderConfig,
    wave: list[InputFile],
    out: Path,
    on_file_done: Callable[[str, dict[str, Any] | None, str | None], None],
) -> None:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    chain = StageChain(segment.stages, segment.prior)
    schema = wide_schema(chain)
    wave_id = f"{segment.name}-{_wave_id(wave)}"
    staging = out / "_staging" / wave_id
    rows = [(f.path, f.shard_id, f.format) for f in wave]
    inputs = spark.sparkContext.parallelize(rows, len(rows)).toDF("path string, shard string, format string")
    function = partial(process_partition, segment=segment, reader_config=reader_config)
    mapped = inputs.mapInArrow(function, from_arrow_schema(schema))
    mapped = mapped.persist(StorageLevel.DISK_ONLY)
    try:
        stats_rows = mapped.filter(F.col(KIND) == "stats").select(SHARD, STATS).collect()
        shard_stats = {row[SHARD]: json.loads(row[STATS]) for row in stats_rows}
        good = sorted(s for s, st in shard_stats.items() if "traceback" not in st)
        kept_rows = mapped.filter(F.col(SHARD).isin(good))
        targets = [(segment.documents_dir, chain.doc_schema, F.col(KIND) == "documents")]
        for stage, rejected_schema in zip(segment.stages, chain.rejected_schemas):
            dropped = sum(
                sum(d["dropped"].values())
                for s in good
                for d in shard_stats[s]["stages"]
                if d["name"] == stage.name
            )
            if dropped:
                condition = (F.col(KIND) == "rejected") & (F.col("stage") == stage.name)
                targets.append((f"rejected/{stage.name}", rejected_schema, condition))
        for sub, target_schema, condition in targets:
            frame = kept_rows.filter(condition).select(*target_schema.names)
            frame.write.mode("overwrite").parquet(str(staging / sub))
        moves = []
        for sub, _, _ in targets:
            parts = sorted(p.name for p in (staging / sub).glob("part-*.parquet"))
            moves += [
                (f"{sub}/{name}", f"{sub}/part-{wave_id}-{i:05d}.parquet") for i, name in enumerate(parts)
            ]
        commit = {"segment": segment.name, "moves": moves, "shards": {s: shard_stats[s] for s in good}}
        write_json_atomic(staging / "commit.json", commit)
        _apply_commit(out, staging)
        _remove_if_empty(out / "_staging")
    finally:
        mapped.unpersist()
    by_shard = {f.shard_id: f for f in wave}
    for shard, stats in sorted(shard_stats.items()):
        on_file_done(by_shard[shard].path, stats if shard in good else None, stats.get("traceback"))


def run_spark(
    spark: Any,
    segment: Segment,
    reader_config: ReaderConfig,
    inputs: list[InputFile],
    out: Path,
    on_file_done: Callable[[str, dict[str, Any] | None, str | None], None],
    files_per_wave: int = FILES_PER_WAVE,
) -> None:
    """Run one recipe segment over `inputs` (already filtered for --resume)."""
    if "://" in str(out) and not str(out).startswith("file://"):
        raise ValueError(
            "the Spark engine writes to a local or shared filesystem path (as mounted on all nodes)"
        )
    for start in range(0, len(inputs), files_per_wave):
        run_wave(spark, segment, reader_config, inputs[start : start + files_per_wave], out, on_file_done)
