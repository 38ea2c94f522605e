"""The Spark engine on real Spark: parity with the local engine, a killed worker, a standalone cluster."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from devdata.warcs import Page, article, write_warc
from filters.ut1 import ENV as UT1_ENV
from filters.ut1 import find_ut1
from pipeline.cli import main
from pipeline.dist import build as build_dist
from tests.conftest import REPO, SAMPLE_WARC
from tests.helpers.runs import check_layout_and_accounting
from tests.helpers.store import download, upload_listing

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed (make setup installs it)")
pytestmark = pytest.mark.slow
if shutil.which("java") is None:
    pytest.skip("Java not found: the Spark engine needs it (make setup installs it)", allow_module_level=True)

MASTER = "local[2,4]"  # 2 cores, and up to 4 attempts per task (local mode does not retry by default)


@pytest.fixture(scope="module", autouse=True)
def spark_environment(s3_store):
    # the S3 test server's variables are set before Spark starts, so executors inherit them
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def run(*args: str) -> int:
    return main(["run", "--no-progress", *args])


def rows(directory: Path) -> list[dict]:
    if not directory.exists():
        return []
    return sorted(ds.dataset(str(directory), format="parquet").to_table().to_pylist(), key=lambda r: r["id"])


def comparable_stats(out: Path) -> dict:
    stats = json.loads((out / "stats.json").read_text())
    for stage in stats["stages"]:
        stage.pop("seconds")
        for timed in ("analysis", "prepare"):
            stage.get(timed, {}).pop("seconds", None)
    for key in ("engine", "failed_inputs"):
        stats.pop(key)
    return stats


def inputs(shared: Path | None) -> list[str]:
    paths = [str(p) for p in [SAMPLE_WARC] if p.exists()]
    if shared is not None:
        paths.append(str(shared / "warc"))
    return paths


def assert_same_outputs(a: Path, b: Path) -> None:
    assert rows(a / "documents") == rows(b / "documents")
    stages = sorted(p.name for p in (a / "rejected").glob("*"))  # absent on an object store when empty
    assert stages == sorted(p.name for p in (b / "rejected").glob("*"))
    for stage in stages:
        assert rows(a / "rejected" / stage) == rows(b / "rejected" / stage)
    assert comparable_stats(a) == comparable_stats(b)
    # the part files themselves are byte-identical: both engines write them with the same code
    parts = sorted(p.relative_to(a) for p in a.glob("[dr]*/**/part-*.parquet"))
    assert parts == sorted(p.relative_to(b) for p in b.glob("[dr]*/**/part-*.parquet"))
    for part in parts:
        assert (a / part).read_bytes() == (b / part).read_bytes(), part


def test_spark_and_local_engines_give_the_same_outputs(tmp_path, shared_data):
    common = ["--recipe", "fineweb", "--input", *inputs(shared_data), "--input-type", "warc"]
    spark = [*common, "--output", str(tmp_path / "spark"), "--engine", "spark", "--master", MASTER]
    assert run(*common, "--output", str(tmp_path / "local"), "--workers", "2") == 0
    assert run(*spark) == 0
    check_layout_and_accounting(tmp_path / "spark")
    assert len(rows(tmp_path / "spark" / "documents")) > 10
    assert_same_outputs(tmp_path / "local", tmp_path / "spark")
    # rerun with --resume: everything is committed, nothing is redone or duplicated
    assert run(*spark, "--resume") == 0
    assert_same_outputs(tmp_path / "local", tmp_path / "spark")


def test_killed_python_worker_is_retried_without_duplicates(tmp_path):
    from tests.spark_stages import kill_run_inputs  # also registers kill_worker_once on the driver

    marker = tmp_path / "killed.pid"
    warcs, recipe = kill_run_inputs(tmp_path, f"kill_worker_once: {{marker: '{marker}'}}")
    args = ["--recipe", str(recipe), "--input", *warcs, "--output", str(tmp_path / "out")]
    assert run(*args, "--engine", "spark", "--master", MASTER) == 0
    assert marker.exists(), "the worker was never killed"
    stats = check_layout_and_accounting(tmp_path / "out")
    assert stats["final_documents"] == 15
    assert len({r["id"] for r in rows(tmp_path / "out" / "documents")}) == 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_worker(web_port: int, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/json/", timeout=2) as response:
                if json.load(response).get("aliveworkers", 0) >= 1:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the Spark worker did not register with the master")


def test_spark_reads_and_writes_an_object_store(s3_store, tmp_path):
    warcs = [SAMPLE_WARC] + [
        write_warc(
            tmp_path / f"s{k}.warc.gz",
            [Page(f"http://s{k}.example/{i}", article(i + 5 * k)) for i in range(4)],
        )
        for k in range(2)
    ]
    listing = upload_listing(s3_store, tmp_path, warcs, "crawl/CC-SPARK/warc.paths.gz")
    common = ["--recipe", "fineweb", "--input", listing]
    assert run(*common, "--output", s3_store.uri("spark-run"), "--engine", "spark", "--master", MASTER) == 0
    assert run(*common, "--output", s3_store.uri("local-run"), "--workers", "2") == 0
    spark_out = download(s3_store, "spark-run", tmp_path / "spark")
    local_out = download(s3_store, "local-run", tmp_path / "local")
    check_layout_and_accounting(spark_out)
    assert len(rows(spark_out / "documents")) > 10
    assert_same_outputs(local_out, spark_out)


def test_spark_submit_to_a_standalone_cluster(s3_store, tmp_path, monkeypatch):
    spark_home = Path(pyspark.__file__).parent
    # Both runs read the UT1 lists from one place ($CURATE_UT1_LISTS, as a cluster image would set it),
    # so their stats name the same list; without it the submitted driver would find the copy in the
    # zip (extracted to a temporary folder) and the local run the checkout's, equal lists at two paths.
    ut1 = find_ut1()
    if ut1 is not None:
        monkeypatch.setenv(UT1_ENV, str(ut1.path))
    # no PYTHONPATH: driver and executors import curate from the zip that --py-files ships
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "SPARK_HOME": str(spark_home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOG_DIR": str(tmp_path / "logs"),
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
    }
    port, web_port, worker_web = _free_port(), _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    spark_class = str(spark_home / "bin" / "spark-class")
    with open(tmp_path / "cluster.log", "wb") as logs:
        master = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--webui-port",
                str(web_port),
            ],
            env=env,
            stdout=logs,
            stderr=logs,
        )
        worker = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                master_url,
                "--cores",
                "2",
                "--memory",
                "2g",
                "--webui-port",
                str(worker_web),
            ],
            env=env,
            stdout=logs,
            stderr=logs,
        )
        try:
            _wait_for_worker(web_port)
            # the bundled sample (real-looking pages that pass fineweb) and a generated file
            warcs = [
                str(SAMPLE_WARC),
                str(
                    write_warc(
                        tmp_path / "c.warc.gz", [Page(f"http://c.example/{i}", article(i)) for i in range(4)]
                    )
                ),
            ]
            # the shape: a warc.paths listing and the output on an object store (s3a://)
            listing = upload_listing(
                s3_store, tmp_path, [Path(w) for w in warcs], "crawl/CC-SUBMIT/warc.paths.gz"
            )
            package = tmp_path / "dist" / "curate.zip"
            build_dist(REPO, package)  # what `make dist` builds
            submit = subprocess.run(
                [
                    str(spark_home / "bin" / "spark-submit"),
                    "--master",
                    master_url,
                    "--py-files",
                    str(package),
                    str(REPO / "jobs" / "curate_job.py"),
                    "--recipe",
                    "fineweb",
                    "--input",
                    listing,
                    "--output",
                    s3_store.uri("submitted"),
                ],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert submit.returncode == 0, submit.stderr[-3000:]
            out = download(s3_store, "submitted", tmp_path / "out")
            stats = check_layout_and_accounting(out)
            assert stats["engine"] == "spark" and stats["input_files"] == 2
            assert f"final documents: {stats['final_documents']}" in submit.stdout
            assert stats["final_documents"] >= 4 and "url_filter" in [s["name"] for s in stats["stages"]]
            local = s3_store.uri("submitted-local")
            assert run("--recipe", "fineweb", "--input", listing, "--output", local) == 0
            assert_same_outputs(download(s3_store, "submitted-local", tmp_path / "local"), out)
        finally:
            for process in (worker, master):
                process.terminate()
            for process in (worker, master):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_spark_dedup_analysis_matches_local(tmp_path):
    from filters.dedup import ExactDedup, MinhashDedup
    from pipeline.engines.spark import get_session
    from pipeline.engines.spark_dedup import analyze_with_spark
    from tests.helpers.dedup import apply_in_chain, article, run_stages, write_parts

    base = article(1)
    chain = [base, base[:20] + article(2)[:4], base[:20] + article(2)[:4][::-1], article(3), article(3)[:23]]
    docs = [{"id": f"c{i}", "url": f"http://c/{i}", "text": "\n".join(t)} for i, t in enumerate(chain)]
    docs += [{"id": f"u{i}", "url": f"http://u/{i}", "text": "\n".join(article(50 + i))} for i in range(6)]
    docs += [{**docs[0], "id": "b0", "url": "http://b/0"}, dict(docs[6])]  # an exact copy; u0 read twice
    parts = write_parts(tmp_path, docs, per_part=3)
    local_stats, local = run_stages([ExactDedup(), MinhashDedup()], parts, tmp_path / "local")
    stages = [ExactDedup(), MinhashDedup()]
    workdirs = [tmp_path / "spark" / stage.name for stage in stages]
    for workdir in workdirs:
        workdir.mkdir(parents=True)
    spark_stats = analyze_with_spark(stages, get_session(MASTER), parts, [str(w) for w in workdirs])
    spark = apply_in_chain(stages, parts, workdirs)
    assert local_stats[0]["same_record"] == 1 and local_stats[1]["duplicates"] >= 2
    assert ("c0", "exact_dedup:duplicate", "b0") in local
    assert spark == local
    assert spark_stats == local_stats


def _slow_identity(batches):
    for batch in batches:
        time.sleep(1.0)
        yield batch


def test_progress_counts_finished_tasks_while_the_job_runs():
    from pipeline.engines.spark import _collect_with_progress, get_session

    spark = get_session(MASTER)
    frame = spark.range(0, 4, numPartitions=4).mapInArrow(_slow_identity, "id long")
    seen: list[int] = []
    rows = _collect_with_progress(spark, frame, seen.append)
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3]
    assert seen and seen[-1] == 4 and seen == sorted(seen)
    assert seen[0] < 4, "no report before the job ended"


def test_local_masters_get_few_shuffle_partitions():
    from pipeline.engines.spark import _local_cores

    assert [_local_cores(m) for m in ("local", "local[3]", "local[2,4]", "spark://h:7077", None)] == [
        1,
        3,
        2,
        None,
        None,
    ]
    assert _local_cores("local[*]") == (os.cpu_count() or 1)


def test_a_file_that_always_kills_its_worker_is_reported_and_the_others_finish(tmp_path):
    from tests.spark_stages import kill_run_inputs  # also registers kill_worker_on_url on the driver

    stage = "kill_worker_on_url: {url_part: 'p1.example'}"
    warcs, recipe = kill_run_inputs(tmp_path, stage, pages=4, host="p")
    out = tmp_path / "out"
    args = ["--recipe", str(recipe), "--input", *warcs, "--output", str(out), "--engine", "spark"]
    assert run(*args, "--master", MASTER) == 1
    stats = check_layout_and_accounting(out)
    (failed,) = stats["failed_inputs"]
    assert failed["file"].endswith("in1.warc.gz") and "Spark gave up on this file" in failed["traceback"]
    assert stats["final_documents"] == 8
    assert {r["url"].split("/")[2] for r in rows(out / "documents")} == {"p0.example", "p2.example"}


def test_console_is_quiet_and_an_unreadable_input_gives_exit_code_3_as_on_the_local_engine(tmp_path):
    """A fresh `curate run --engine spark`: no JVM/log4j chatter on the console (Spark's log level is
    ERROR), and the exit code and summary of an unreadable input are the local engine's."""
    good = write_warc(
        tmp_path / "good.warc.gz", [Page(f"http://q.example/{i}", article(i)) for i in range(2)]
    )
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    command = [sys.executable, "-m", "pipeline", "run", "--no-progress", "--recipe", "extract_only"]
    command += ["--input", str(good), str(empty), "--engine", "spark", "--master", "local[1]"]
    result = subprocess.run(
        [*command, "--output", str(tmp_path / "out")], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 3, result.stderr
    chatter = [
        line
        for line in result.stderr.splitlines()
        if " WARN " in line or "log level" in line or "log4j" in line or " INFO " in line
    ]
    assert chatter == [], result.stderr
    assert "curate: error: 1 input file(s) could not be read" in result.stderr
    assert (
        result.stdout.rstrip()
        .splitlines()[-1]
        .startswith("input files: 1 read in full, 1 could not be read (exit code 3")
    )
    assert "analysis s" in result.stdout  # the summary's columns are the local engine's
    stats = check_layout_and_accounting(tmp_path / "out")
    assert stats["unreadable_inputs"] == [str(empty)] and stats["engine"] == "spark"
