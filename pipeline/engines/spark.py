"""The Spark engine: the same recipe and stage code, scheduled by Spark.

One Spark task per input file: a DataFrame of input paths (one per partition) goes through
`mapInArrow`, whose function runs `pipeline.engines.task.process_input`, the very code of the local engine's
workers: it streams the file through the stage chain and writes its parts (documents/, rejected/<stage>/)
and its stats marker (DIR/_shards/) through `pipeline.io.storage`, so DIR may be a shared path or an
object-store/HDFS URI that the executors reach. Each task returns one small row (shard, stats or
traceback) that the driver collects; accumulators are not used because they double-count on retries.

Retries and speculative copies are harmless: part names come from the input (part-<shard>.parquet),
every part is published atomically and the marker is written last, so a retried task replaces its
own files with identical ones, and `--resume` skips exactly the inputs whose marker exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.core.chain import StageChain
from pipeline.core.plan import Segment
from pipeline.core.stage import GlobalStage
from pipeline.engines.base import FileDone, SegmentRun, TasksDone
from pipeline.engines.task import process_input
from pipeline.io.inputs import InputFile
from pipeline.io.output import finished_shards, read_json, shard_stats_path
from pipeline.io.storage import Location
from pipeline.io.warc import ReaderConfig

DEFAULT_CONF = {
    # Reuse Python workers across tasks, so models and lists load once per executor worker.
    "spark.python.worker.reuse": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
# The console shows our progress and errors only: Spark's log level (CURATE_SPARK_LOG_LEVEL to see
# more, e.g. WARN or INFO). A session we start reads this log4j2 setup from its first line, which
# also silences the start-up banner ("Setting default log level ...", native-hadoop and UI-port
# warnings); under spark-submit the level is set once the session exists.
LOG_LEVEL_VARIABLE = "CURATE_SPARK_LOG_LEVEL"
LOG4J2_PROPERTIES = """\
rootLogger.level = {level}
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = {level}
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = {level}
"""
FILES_PER_WAVE = 256  # inputs per Spark job (at least): the driver's progress bar moves once per wave
RESULT_SCHEMA = pa.schema([("shard", pa.string()), ("stats", pa.string()), ("error", pa.string())])

_chains: dict[str, StageChain] = {}  # per Python worker: segment key -> loaded stage chain


def _segment_key(segment: Segment) -> str:
    described = [stage.describe() for stage in segment.prior + segment.stages]
    workdirs = [getattr(stage, "workdir", None) for stage in segment.stages]
    return hashlib.sha1(json.dumps([described, workdirs], sort_keys=True, default=str).encode()).hexdigest()


def _result(shard: str, stats: dict[str, Any] | None, error: str | None) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{"shard": shard, "stats": None if stats is None else json.dumps(stats), "error": error}],
        schema=RESULT_SCHEMA,
    )


def process_partition(
    batches: Iterator[pa.RecordBatch], segment: Segment, reader_config: ReaderConfig, out: Location
) -> Iterator[pa.RecordBatch]:
    """The mapInArrow function: input rows are (path, shard, format); runs in executor Python workers."""
    key = _segment_key(segment)
    chain = _chains.get(key)
    if chain is None:
        chain = _chains[key] = StageChain(segment.stages, segment.prior)
    for batch in batches:
        for path, shard, fmt in zip(*(batch.column(c).to_pylist() for c in ("path", "shard", "format"))):
            input_file = InputFile(path, shard=shard, format=fmt)
            try:
                stats = process_input(input_file, segment, reader_config, chain, out)
                yield _result(shard, stats, None)
            except Exception:  # a bug on one file: reported by the driver, its parts were discarded
                yield _result(shard, None, traceback.format_exc())


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

    level = os.environ.get(LOG_LEVEL_VARIABLE, "ERROR").upper()
    active = SparkSession.getActiveSession()
    if active is not None and master and active.sparkContext.master != master:
        # `--master X` asks for X: a session left by earlier work in this process (another master,
        # other retry settings) would silently run with its own, so it makes way.
        active.stop()
        active = None
    if active is not None:
        active.sparkContext.setLogLevel(level)
        return active
    builder = SparkSession.builder.appName("curate")
    if master:
        builder = builder.master(master)
    settings = dict(DEFAULT_CONF)
    cores = _local_cores(master)
    if cores:  # 200 shuffle partitions (Spark's default) make each dedup job slow on one machine
        settings["spark.sql.shuffle.partitions"] = str(2 * cores)
    settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{_log_config(level)}"
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(level)
    return session


def _log_config(level: str) -> str:
    """A log4j2 properties file for the driver JVM at `level` (written to the temporary folder)."""
    if level not in ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"):
        raise ValueError(f"{LOG_LEVEL_VARIABLE}={level!r} is not a log level (e.g. ERROR, WARN, INFO)")
    path = Path(tempfile.gettempdir()) / f"curate-log4j2-{level.lower()}.properties"
    text = LOG4J2_PROPERTIES.format(level=level.lower())
    if not path.is_file() or path.read_text() != text:
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # sessions may start together
        temporary.write_text(text)
        temporary.replace(path)
    return str(path)


def _local_cores(master: str | None) -> int | None:
    """Cores of a `local`, `local[N]`, `local[*]` or `local[N,F]` master; None for a cluster."""
    if master == "local":
        return 1
    if not master or not master.startswith("local[") or not master.endswith("]"):
        return None
    inside = master[len("local[") : -1].split(",")[0]
    return os.cpu_count() or 1 if inside == "*" else int(inside) if inside.isdigit() else None


def run_spark(
    spark: Any,
    segment: Segment,
    reader_config: ReaderConfig,
    inputs: list[InputFile],
    out: Location,
    on_file_done: FileDone,
    on_tasks_done: TasksDone | None = None,
    files_per_wave: int = FILES_PER_WAVE,
) -> None:
    """Run one recipe segment over `inputs` (already filtered for --resume), one task per input."""

    function = partial(process_partition, segment=segment, reader_config=reader_config, out=out)
    files_per_wave = max(files_per_wave, 4 * spark.sparkContext.defaultParallelism)  # keep big clusters busy
    progress = on_tasks_done or (lambda finished: None)
    for start in range(0, len(inputs), files_per_wave):
        wave = inputs[start : start + files_per_wave]
        while wave:  # a file whose task Spark gives up on is reported, and the wave runs again without it
            wave = _run_wave(spark, function, wave, out, segment.name, on_file_done, progress)


def _run_wave(
    spark: Any,
    function: Callable[..., Iterator[pa.RecordBatch]],
    wave: list[InputFile],
    out: Location,
    segment_name: str,
    on_file_done: FileDone,
    progress: TasksDone,
) -> list[InputFile]:
    """One Spark job over `wave`, one partition per file; returns the files still to do (after a
    file's task failed `spark.task.maxFailures` times, e.g. its worker was killed every time)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    rows = [(f.path, f.shard_id, f.format) for f in wave]
    frame = spark.sparkContext.parallelize(rows, len(rows)).toDF("path string, shard string, format string")
    mapped = frame.mapInArrow(function, from_arrow_schema(RESULT_SCHEMA))
    try:
        results = _collect_with_progress(spark, mapped, progress)
    except Exception as err:
        failed = re.search(r"Task (\d+) in stage [\d.]+ failed (\d+) times", str(err))
        if failed is None or int(failed.group(1)) >= len(wave):
            raise
        culprit = wave[int(failed.group(1))]  # partition i holds file i
        reason = str(err).strip().splitlines()[0][:2000]
        on_file_done(
            culprit.path,
            None,
            f"Spark gave up on this file after {failed.group(2)} failed attempts: {reason}\n",
        )
        done = finished_shards(out, segment_name)  # tasks that finished before the job was aborted
        for input_file in wave:
            if input_file is not culprit and input_file.shard_id in done:
                on_file_done(
                    input_file.path, read_json(shard_stats_path(out, segment_name, input_file.shard_id)), None
                )
        return [f for f in wave if f is not culprit and f.shard_id not in done]
    by_shard = {f.shard_id: f for f in wave}
    for row in sorted(results, key=lambda r: r["shard"]):
        stats = None if row["stats"] is None else json.loads(row["stats"])
        on_file_done(by_shard[row["shard"]].path, stats, row["error"])
    return []


def _collect_with_progress(spark: Any, frame: Any, on_tasks_done: TasksDone) -> list[Any]:
    """`frame.collect()`, reporting finished tasks while it runs (Spark's status tracker, polled)."""
    context = spark.sparkContext
    group = f"curate-{uuid.uuid4().hex[:12]}"
    outcome: dict[str, Any] = {}

    def collect() -> None:
        try:
            context.setJobGroup(group, "curate: input files", interruptOnCancel=True)
            outcome["rows"] = frame.collect()
        except BaseException as err:  # re-raised in the caller's thread
            outcome["error"] = err

    worker = threading.Thread(target=collect, name=group, daemon=True)
    worker.start()
    tracker = context.statusTracker()
    try:
        while worker.is_alive():
            worker.join(0.5)
            finished = 0
            for job in tracker.getJobIdsForGroup(group):
                info = tracker.getJobInfo(job)
                for stage in info.stageIds if info else []:
                    stage_info = tracker.getStageInfo(stage)
                    finished += stage_info.numCompletedTasks if stage_info else 0
            on_tasks_done(finished)
    except KeyboardInterrupt:
        context.cancelJobGroup(group)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["rows"]


class SparkEngine:
    """Spark tasks, one per input file (`run_spark`); analyses with DataFrames (spark_dedup.py)."""

    name = "spark"

    def __init__(self, master: str | None) -> None:
        self.spark = get_session(master)

    def run_segment(self, run: SegmentRun) -> None:
        run_spark(
            self.spark,
            run.segment,
            run.reader_config,
            run.inputs,
            run.out,
            run.on_file_done,
            run.on_tasks_done,
        )

    def analyze(
        self, stages: list[GlobalStage], parts: list[str], workdirs: list[str]
    ) -> list[dict[str, Any]]:
        from pipeline.engines.spark_dedup import analyze_with_spark

        return analyze_with_spark(stages, self.spark, parts, workdirs)
