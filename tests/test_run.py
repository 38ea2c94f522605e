"""End to end: `curate run` through the CLI, its output layout, accounting, resume and bad input."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from devdata.warcs import Page, article, write_warc
from tests.conftest import REPO
from tests.helpers.runs import check_layout_and_accounting, curate, read_dir, rejected_rows


@pytest.fixture
def mixed_warc(tmp_path) -> Path:
    pages = [Page(f"http://news.example/{i}", article(i)) for i in range(6)]
    pages += [
        Page("http://news.example/empty", b"<html><body></body></html>"),
        Page("http://news.example/img.png", b"\x89PNG", content_type="image/png"),
        Page("http://news.example/missing", b"<html>not found</html>", status="404 Not Found"),
    ]
    return write_warc(tmp_path / "mixed.warc.gz", pages)


def test_run_writes_layout_and_keeps_the_accounting_rule(tmp_path, mixed_warc):
    out = tmp_path / "out"
    assert curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out)) == 0
    stats = check_layout_and_accounting(out)
    assert stats["records"]["read"] == 9
    assert stats["records"]["skipped"] == {"http_status": 1, "non_html": 1}
    assert stats["stages"][0]["dropped"] == {"empty": 1}
    assert stats["final_documents"] == 6
    documents = read_dir(out / "documents")
    assert {d["url"] for d in documents} == {f"http://news.example/{i}" for i in range(6)}
    assert all("towpath" in d["text"] and "Copyright" not in d["text"] for d in documents)
    assert set(pq.read_schema(next((out / "documents").glob("*.parquet"))).names) >= {
        "id",
        "url",
        "text",
        "language",
        "language_score",
        "warc_date",
        "warc_record_id",
        "source_file",
    }
    (rejected,) = rejected_rows(out)
    assert (rejected["url"], rejected["stage"], rejected["reason"]) == (
        "http://news.example/empty",
        "extract",
        "empty",
    )
    assert "html" not in rejected


def test_rerun_and_worker_count_give_identical_documents(tmp_path, mixed_warc):
    second = write_warc(
        tmp_path / "second.warc.gz", [Page(f"http://b.example/{i}", article(i + 50)) for i in range(3)]
    )
    outputs = []
    for name, workers in [("a", "1"), ("b", "1"), ("c", "2")]:
        out = tmp_path / name
        assert (
            curate(
                "--recipe",
                "extract_only",
                "--input",
                str(mixed_warc),
                str(second),
                "--output",
                str(out),
                "--workers",
                workers,
            )
            == 0
        )
        outputs.append(out)
    files = sorted(p.relative_to(outputs[0]) for p in outputs[0].rglob("*.parquet"))
    assert len(files) == 3  # two document parts and one rejected part
    for other in outputs[1:]:
        assert sorted(p.relative_to(other) for p in other.rglob("*.parquet")) == files
        for rel in files:
            assert (outputs[0] / rel).read_bytes() == (other / rel).read_bytes(), rel


def test_existing_output_is_refused_unless_resume_or_overwrite(tmp_path, mixed_warc, capsys):
    out = tmp_path / "out"
    assert curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out)) == 0
    assert curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out)) == 2
    assert "already holds a run" in capsys.readouterr().err
    # --resume with another recipe (different settings) is a different run
    assert (
        curate(
            "--recipe",
            "extract_only",
            "--input",
            str(mixed_warc),
            "--output",
            str(out),
            "--resume",
            "--set",
            "extract.timeout=2",
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "holds a different run" in err
    assert "extract.timeout: 1.0 -> 2.0" in err  # the setting that differs, named
    assert (
        curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out), "--resume") == 0
    )
    assert "1 input file(s) were already finished" in capsys.readouterr().out
    assert (
        curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out), "--overwrite")
        == 0
    )
    check_layout_and_accounting(out)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "thesis.tex").write_text("precious")
    assert curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(stranger)) == 2
    assert "holds no curate run" in capsys.readouterr().err


def test_missing_input_fails_before_any_work(tmp_path, mixed_warc, capsys):
    out = tmp_path / "out"
    code = curate(
        "--recipe",
        "extract_only",
        "--input",
        str(mixed_warc),
        str(tmp_path / "nope.warc.gz"),
        "--output",
        str(out),
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "input not found" in err and "nope.warc.gz" in err
    assert not out.exists()


def test_bad_inputs_are_reported_and_the_others_processed(tmp_path, mixed_warc, capsys):
    """Unreadable inputs (not a WARC, empty) give exit code 3 unless --allow-partial; a file cut short
    after some records is read in part (its records kept, the file named) and does not."""
    not_warc = tmp_path / "notes.warc.gz"
    not_warc.write_bytes(gzip.compress(b"these are my notes, not a crawl\n" * 10))
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    truncated = write_warc(
        tmp_path / "cut.warc.gz", [Page(f"http://c.example/{i}", article(i + 20)) for i in range(3)]
    )
    truncated.write_bytes(truncated.read_bytes()[:-200])
    out = tmp_path / "out"
    args = ["--recipe", "extract_only", "--input", str(mixed_warc), str(not_warc), str(empty), str(truncated)]
    assert curate(*args, "--output", str(out), "--workers", "2") == 3
    printed = capsys.readouterr()
    assert printed.out.rstrip().splitlines()[-1] == (
        "input files: 1 read in full, 1 in part (cut short or with broken records), 2 could not be read "
        "(exit code 3; --allow-partial accepts unreadable inputs)"
    )
    assert "curate: error: 2 input file(s) could not be read" in printed.err
    stats = check_layout_and_accounting(out)
    assert sorted(Path(p).name for p in stats["unreadable_inputs"]) == ["empty.warc.gz", "notes.warc.gz"]
    errors = {Path(e["file"]).name: e["error"] for e in stats["input_errors"]}
    assert "not a WARC" in errors["notes.warc.gz"] and "empty file" in errors["empty.warc.gz"]
    assert "cut short" in errors["cut.warc.gz"]
    assert stats["records"]["skipped"]["read_error"] == 1
    urls = {d["url"] for d in read_dir(out / "documents")}
    assert {"http://c.example/0", "http://c.example/1"} <= urls
    assert "http://news.example/0" in urls
    assert len(list((out / "_shards" / "s0").glob("*.json"))) == 2  # unreadable inputs are not finished
    assert curate(*args, "--output", str(out), "--overwrite", "--allow-partial", "--workers", "2") == 0
    assert check_layout_and_accounting(out)["unreadable_inputs"] == stats["unreadable_inputs"]


def test_resume_retries_the_inputs_that_could_not_be_read(tmp_path, mixed_warc):
    broken = tmp_path / "download.warc.gz"
    broken.write_bytes(b"")
    args = [
        "--recipe",
        "extract_only",
        "--input",
        str(mixed_warc),
        str(broken),
        "--output",
        str(tmp_path / "out"),
    ]
    assert curate(*args) == 3
    write_warc(broken, [Page("http://fixed.example/", article(7))])  # downloaded again
    assert curate(*args, "--resume") == 0
    stats = check_layout_and_accounting(tmp_path / "out")
    assert stats["unreadable_inputs"] == [] and stats["final_documents"] == 7


def test_work_files_are_removed_after_success_and_resume_finds_nothing_to_redo(tmp_path, mixed_warc, capsys):
    recipe = tmp_path / "dedup.yaml"
    recipe.write_text("name: extract_dedup\nstages: [extract, exact_dedup]\n")
    out, kept = tmp_path / "out", tmp_path / "kept"
    args = ["--recipe", str(recipe), "--input", str(mixed_warc)]
    assert curate(*args, "--output", str(out)) == 0
    assert not (out / "_work").exists() and json.loads((out / "stats.json").read_text())["work_removed"]
    assert sorted(p.name for p in out.iterdir()) == [
        "_shards",
        "documents",
        "rejected",
        "report.html",
        "run.json",
        "stats.json",
    ]
    stats = check_layout_and_accounting(out)
    capsys.readouterr()
    assert curate(*args, "--output", str(out), "--resume") == 0  # nothing to redo
    assert "1 input file(s) were already finished" in capsys.readouterr().out
    assert json.loads((out / "stats.json").read_text()) == stats
    canal = article(9).replace(b"river", b"canal").replace(b"towpath", b"embankment")  # other words
    other = write_warc(tmp_path / "more.warc.gz", [Page("http://more.example/", canal)])
    assert curate(*args, str(other), "--output", str(out), "--resume") == 2
    assert "work files (_work/) were removed" in capsys.readouterr().err
    assert curate(*args, "--output", str(kept), "--keep-work") == 0
    assert (kept / "_work" / "s0").is_dir() and (kept / "_work" / "exact_dedup").is_dir()
    assert curate(*args, str(other), "--output", str(kept), "--resume") == 0  # kept: more inputs join
    assert check_layout_and_accounting(kept)["final_documents"] == stats["final_documents"] + 1


def test_limit_caps_records_per_input_file(tmp_path, mixed_warc):
    out = tmp_path / "out"
    assert (
        curate("--recipe", "extract_only", "--input", str(mixed_warc), "--output", str(out), "--limit", "4")
        == 0
    )
    stats = check_layout_and_accounting(out)
    assert stats["records"]["read"] == 4


def test_killed_run_leaves_no_half_file_and_resume_completes_it(tmp_path):
    inputs = [
        write_warc(
            tmp_path / f"in{k}.warc.gz", [Page(f"http://k{k}.example/{i}", article(i)) for i in range(150)]
        )
        for k in range(3)
    ]
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        "--no-progress",
        "--recipe",
        "extract_only",
        "--workers",
        "1",
        "--output",
        str(tmp_path / "killed"),
        "--input",
        *map(str, inputs),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "killed" / "_shards").glob("*/*.json")):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for part in (tmp_path / "killed").rglob("part-*.parquet"):
        pq.read_table(part)  # every visible part is complete
    assert (
        curate(
            "--recipe",
            "extract_only",
            "--input",
            *map(str, inputs),
            "--output",
            str(tmp_path / "killed"),
            "--resume",
        )
        == 0
    )
    assert (
        curate("--recipe", "extract_only", "--input", *map(str, inputs), "--output", str(tmp_path / "clean"))
        == 0
    )
    assert not list((tmp_path / "killed").rglob(".*.tmp"))
    assert read_dir(tmp_path / "killed" / "documents") == read_dir(tmp_path / "clean" / "documents")
    check_layout_and_accounting(tmp_path / "killed")


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--resume" in result.stdout and "warc.paths" in result.stdout


def test_real_warcs_end_to_end_with_known_first_sentence(tmp_path, shared_data, capsys):
    out, wet = tmp_path / "out", tmp_path / "wet"
    real = ["--recipe", "extract_only", "--input", str(shared_data / "warc")]
    # the folder holds the WARC, WET and WAT files of two crawl files: refused until a kind is chosen
    assert curate(*real, "--output", str(out)) == 2
    assert "a WAT file: CommonCrawl's metadata" in capsys.readouterr().err
    assert not out.exists()
    assert curate(*real, "--output", str(wet), "--input-type", "wet") == 0
    assert "--input-type wet: left out 5 WARC, 2 WAT file(s)" in capsys.readouterr().err
    assert check_layout_and_accounting(wet)["input_files"] == 2
    assert curate(*real, "--output", str(out), "--workers", "2", "--input-type", "warc") == 0
    stats = check_layout_and_accounting(out)
    assert stats["records"]["read"] >= 55
    documents = {d["url"]: d for d in read_dir(out / "documents")}
    home = documents["https://soldaini.net/"]["text"]
    assert home.startswith("Hello, visitor!")
    assert "My name is Luca Soldaini and I use they/them pronouns." in home


def _kill_run(tmp_path, stage_line: str) -> tuple[int, Path]:
    from tests.spark_stages import kill_run_inputs  # also registers the killing stages

    warcs, recipe = kill_run_inputs(tmp_path, stage_line)
    out = tmp_path / "out"
    code = curate("--recipe", str(recipe), "--input", *warcs, "--output", str(out), "--workers", "2")
    return code, out


def test_local_worker_killed_mid_file_is_retried_without_duplicates(tmp_path):
    marker = tmp_path / "killed.pid"
    code, out = _kill_run(tmp_path, f"kill_worker_once: {{marker: '{marker}'}}")
    assert code == 0 and marker.exists(), "the worker was never killed"
    stats = check_layout_and_accounting(out)
    assert stats["final_documents"] == 15 and stats["failed_inputs"] == []
    assert not list(out.rglob("*.tmp"))


def test_a_file_that_always_kills_its_worker_is_reported_and_the_others_finish(tmp_path):
    code, out = _kill_run(tmp_path, "kill_worker_on_url: {url_part: 'k1.example'}")
    assert code == 1
    stats = check_layout_and_accounting(out)
    assert stats["final_documents"] == 10
    (failed,) = stats["failed_inputs"]
    assert failed["file"].endswith("in1.warc.gz") and "died 3 times" in failed["traceback"]
    assert {d["url"].split("/")[2] for d in read_dir(out / "documents")} == {"k0.example", "k2.example"}
