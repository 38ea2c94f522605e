"""Spark engine against the local engine: same input, same cores, same recipe.

Reports docs/s of both engines, Spark's fixed costs (session start-up; a one-file run) and the cost
of the Arrow exchange (a mapInArrow identity job over the kept documents), and the local engine
with its output on an S3-compatible server on loopback.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import write_result
from devdata.sample import write_sample_warc
from pipeline.run import RunOptions, run

CORES = 2
FILES = 4
PAGES_PER_FILE = 300


def _timed_run(engine: str, inputs: list[str], out: Path, recipe: str = "fineweb") -> tuple[float, dict]:
    started = time.perf_counter()
    result = run(
        RunOptions(
            recipe=recipe,
            inputs=inputs,
            output=out,
            engine=engine,
            workers=CORES,
            master=f"local[{CORES}]",
            overwrite=True,
            progress=False,
            report=False,  # the engines, not the report build
        )
    )
    return time.perf_counter() - started, result.stats


def _object_store_rows(inputs: list[str], docs_hint: int, local_s: float) -> str:
    """The same local-engine run with --output on an S3-compatible server on loopback (moto's, a
    Python server: a bound on our storage layer's overhead, not a figure for a real object store)."""
    try:
        from devdata.s3server import S3Store
    except ImportError:
        return "| output on an S3-compatible server | skipped: moto not installed |\n"
    store = S3Store()  # points the AWS environment at itself until stop()
    try:
        started = time.perf_counter()
        run(
            RunOptions(
                recipe="fineweb",
                inputs=inputs,
                output=store.uri("bench"),
                workers=CORES,
                progress=False,
                report=False,
            )
        )
        seconds = time.perf_counter() - started
    finally:
        store.stop()
    return (
        f"| local engine, {CORES} workers, --output s3a:// on a loopback S3-compatible server "
        f"| {seconds:.1f} s, {docs_hint / seconds:.1f} docs/s (local disk: {local_s:.1f} s) |\n"
    )


def main() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        write_result("spark", "## Spark engine\n\nskipped: pyspark not installed\n")
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-spark-"))
    try:
        inputs = []
        for k in range(FILES):
            path = tmp / f"in{k}.warc.gz"
            write_sample_warc(path, pages=PAGES_PER_FILE, seed=100 + k)
            inputs.append(str(path))
        from pipeline.engines.spark import get_session

        started = time.perf_counter()
        spark = get_session(f"local[{CORES}]")
        startup = time.perf_counter() - started
        local_s, local_stats = _timed_run("local", inputs, tmp / "local")
        _timed_run("spark", inputs[:1], tmp / "warm")  # first job pays JVM/Python worker warm-up
        spark_s, spark_stats = _timed_run("spark", inputs, tmp / "spark")
        small_s, _ = _timed_run("spark", inputs[:1], tmp / "small")
        # the per-document stages alone (no global dedup pass): where Spark's job overhead is small
        local_stream_s, _ = _timed_run("local", inputs, tmp / "local-stream", recipe="gopher")
        spark_stream_s, _ = _timed_run("spark", inputs, tmp / "spark-stream", recipe="gopher")
        store_rows = _object_store_rows(
            inputs, docs_hint=local_stats["records"]["documents"], local_s=local_s
        )
        docs = local_stats["records"]["documents"]
        assert spark_stats["final_documents"] == local_stats["final_documents"]

        frame = spark.read.parquet(str(tmp / "local" / "documents")).repartition(CORES).cache()
        rows = frame.count()
        started = time.perf_counter()
        frame.mapInArrow(lambda batches: (b for b in batches), frame.schema).write.format("noop").mode(
            "overwrite"
        ).save()
        exchange_s = time.perf_counter() - started
        spark.stop()
        write_result(
            "spark",
            f"""## Spark engine against the local engine (fineweb recipe, {FILES} generated WARCs, {docs} pages, {CORES} cores)

| measure | value |
|---|---|
| local engine, {CORES} workers | {local_s:.1f} s, {docs / local_s:.1f} docs/s |
| Spark local[{CORES}] (session already up) | {spark_s:.1f} s, {docs / spark_s:.1f} docs/s |
| per-document stages only (recipe `gopher`: extract, language, Gopher): local / Spark | {docs / local_stream_s:.1f} / {docs / spark_stream_s:.1f} docs/s (Spark's Python workers are warm from the runs before and keep their models; the local engine starts its processes and loads models every run) |
| Spark per-run overhead (1-file run, {PAGES_PER_FILE} pages) | {small_s:.1f} s |
| Spark session start-up | {startup:.1f} s |
| Arrow exchange, mapInArrow identity over {rows} kept documents (one job) | {exchange_s:.2f} s, {1000 * exchange_s / rows:.2f} ms per document incl. job start |
{store_rows}
Same final documents on both engines: {spark_stats["final_documents"]}.
""",
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
