"""pipeline.io.storage.Location on local disk and on an S3-compatible server; `curate run` with s3a://
input listings and output, compared with the same run on local paths."""

from __future__ import annotations

import gzip
import json
import pickle

import pytest

from devdata.warcs import Page, article, write_warc
from pipeline.cli import main
from pipeline.io.storage import Location, StorageError
from tests.conftest import SAMPLE_WARC
from tests.helpers.runs import check_layout_and_accounting
from tests.helpers.store import download, table_rows, upload_listing


def test_local_location_writes_atomically_and_lists(tmp_path):
    base = Location(tmp_path / "d")
    (base / "b.json").write_text("{}")
    (base / "a.json").write_text("[]")
    (base / "sub" / "x.parquet").write_bytes(b"x")
    with pytest.raises(RuntimeError), (base / "c.json").atomic_output() as sink:
        sink.write(b"half")
        raise RuntimeError("killed")
    assert [p.name for p in base.iterdir()] == ["a.json", "b.json", "sub"]  # no c.json, no temp file
    assert [p.name for p in base.glob("*.json")] == ["a.json", "b.json"]
    assert base.walk_files() == [str(tmp_path / "d" / n) for n in ("a.json", "b.json", "sub/x.parquet")]
    assert (base / "a.json").read_text() == "[]" and (
        base / "a.json"
    ).local_copy() == tmp_path / "d" / "a.json"
    assert pickle.loads(pickle.dumps(base)) == base
    (base / "sub").remove()
    (base / "gone").remove()  # absent: nothing to do
    assert not (base / "sub").exists() and (base / "a.json").is_file()
    assert Location(f"file://{tmp_path}") == Location(tmp_path)
    with pytest.raises(StorageError, match="unsupported location"):
        Location("ftp://host/x")


def test_s3_location_round_trip(s3_store, tmp_path):
    base = Location(s3_store.uri("unit"))
    (base / "dir" / "one.txt").write_text("one")
    (base / "dir" / "two.txt").write_text("two")
    assert base.is_dir() and (base / "dir" / "one.txt").is_file() and not (base / "none").exists()
    assert [p.name for p in (base / "dir").glob("*.txt")] == ["one.txt", "two.txt"]
    assert base.walk_files() == [s3_store.uri("unit/dir/one.txt"), s3_store.uri("unit/dir/two.txt")]
    with pytest.raises(RuntimeError), (base / "dir" / "half.txt").atomic_output() as sink:
        sink.write(b"half")
        raise RuntimeError("killed")
    assert not (base / "dir" / "half.txt").exists()  # an aborted upload leaves no object
    copy = (base / "dir" / "two.txt").local_copy()
    assert copy.read_text() == "two"
    clone = pickle.loads(pickle.dumps(base / "dir" / "one.txt"))  # as shipped to a worker
    assert clone.read_text() == "one"
    (base / "dir").remove()
    assert not (base / "dir").exists()


def test_run_reads_an_s3_listing_and_writes_to_s3(s3_store, tmp_path):
    warcs = [
        write_warc(
            tmp_path / f"w{k}.warc.gz",
            [Page(f"http://w{k}.example/{i}", article(i + 7 * k)) for i in range(4)],
        )
        for k in range(2)
    ]
    warcs.append(SAMPLE_WARC)
    listing = upload_listing(s3_store, tmp_path, warcs, "crawl/CC-TEST/warc.paths.gz")
    out = s3_store.uri("runs/fineweb")
    args = ["run", "--no-progress", "--recipe", "fineweb", "--workers", "2"]
    assert main([*args, "--input", listing, "--output", out]) == 0
    assert main([*args, "--input", *map(str, warcs), "--output", str(tmp_path / "local")]) == 0

    remote = download(s3_store, "runs/fineweb", tmp_path / "downloaded")
    stats = check_layout_and_accounting(remote)
    assert stats["input_files"] == 3 and stats["final_documents"] > 8
    assert (remote / "report.html").stat().st_size > 10_000 and (remote / "run.json").is_file()
    local = tmp_path / "local"
    # same documents, text and rejected rows; only source_file (the WARC's address) differs
    assert table_rows(remote / "documents", ("source_file",)) == table_rows(
        local / "documents", ("source_file",)
    )
    for stage in sorted(p.name for p in (local / "rejected").iterdir()):
        assert table_rows(remote / "rejected" / stage, ("source_file",)) == table_rows(
            local / "rejected" / stage, ("source_file",)
        )
    assert {r["source_file"] for r in table_rows(remote / "documents")} <= {
        s3_store.uri(f"crawl/CC-TEST/segments/{w.name}") for w in warcs
    }
    local_stats = json.loads((local / "stats.json").read_text())
    for key in ("records", "final_documents"):
        assert stats[key] == local_stats[key]
    assert [(s["name"], s["in"], s["dropped"]) for s in stats["stages"]] == [
        (s["name"], s["in"], s["dropped"]) for s in local_stats["stages"]
    ]

    # --resume finds every input finished in the bucket; `curate report` and `inspect` read it there
    assert main([*args, "--input", listing, "--output", out, "--resume"]) == 0
    assert (
        json.loads(Location(out + "/stats.json").read_text())["final_documents"] == stats["final_documents"]
    )
    assert main(["report", out]) == 0
    assert main(["inspect", out, "--stage", "extract", "--n", "1"]) == 0


def test_s3_errors_are_clear(s3_store, tmp_path, capsys):
    missing = s3_store.uri("nowhere/warc.paths.gz")
    assert main(["run", "--input", missing, "--output", str(tmp_path / "o")]) == 2
    assert "cannot read listing" in capsys.readouterr().err
    assert main(["run", "--input", s3_store.uri("empty-prefix/"), "--output", str(tmp_path / "o")]) == 2
    assert "holds no WARC" in capsys.readouterr().err
    assert main(["run", "--input", s3_store.uri("nowhere/x.warc.gz"), "--output", str(tmp_path / "o")]) == 2
    assert "input not found: s3a://" in capsys.readouterr().err
    warc = write_warc(tmp_path / "a.warc.gz", [Page("http://a.example/", article(1))])
    assert main(["run", "--input", str(warc), "--output", "s3a://no-such-bucket/out"]) == 2
    assert "cannot write s3a://no-such-bucket/out/run.json" in capsys.readouterr().err


def test_s3_output_refuses_a_second_run_and_overwrite_replaces_it(s3_store, tmp_path, capsys):
    first = write_warc(tmp_path / "a.warc.gz", [Page(f"http://a.example/{i}", article(i)) for i in range(3)])
    second = write_warc(
        tmp_path / "b.warc.gz", [Page(f"http://b.example/{i}", article(i + 3)) for i in range(2)]
    )
    out = s3_store.uri("runs/overwrite")
    args = ["run", "--no-progress", "--recipe", "extract_only", "--output", out]
    assert main([*args, "--input", str(first)]) == 0
    assert main([*args, "--input", str(second)]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main([*args, "--input", str(second), "--overwrite"]) == 0
    remote = download(s3_store, "runs/overwrite", tmp_path / "downloaded")
    stats = check_layout_and_accounting(remote)
    assert stats["final_documents"] == 2 and stats["input_files"] == 1
    assert {r["url"] for r in table_rows(remote / "documents")} == {
        "http://b.example/0",
        "http://b.example/1",
    }


def test_https_style_listing_is_read_and_its_warcs_streamed(tmp_path):
    """As with https://data.commoncrawl.org/crawl-data/.../warc.paths.gz: entries relative to the
    site root, joined to --paths-prefix, fetched over HTTP (a server on 127.0.0.1 here)."""
    import functools
    import http.server
    import threading

    site = tmp_path / "site"
    (site / "crawl-data" / "CC-T" / "segments").mkdir(parents=True)
    warcs = [
        write_warc(
            site / "crawl-data" / "CC-T" / "segments" / f"h{k}.warc.gz",
            [Page(f"http://h{k}.example/{i}", article(i + 3 * k)) for i in range(3)],
        )
        for k in range(2)
    ]
    entries = "".join(f"crawl-data/CC-T/segments/{w.name}\n" for w in warcs)
    (site / "crawl-data" / "CC-T" / "warc.paths.gz").write_bytes(gzip.compress(entries.encode()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        args = ["run", "--no-progress", "--recipe", "extract_only", "--workers", "1"]
        listing = root + "crawl-data/CC-T/warc.paths.gz"
        assert (
            main([*args, "--input", listing, "--paths-prefix", root, "--output", str(tmp_path / "web")]) == 0
        )
    finally:
        server.shutdown()
    assert main([*args, "--input", *map(str, warcs), "--output", str(tmp_path / "local")]) == 0
    web = table_rows(tmp_path / "web" / "documents")
    assert len(web) == 6 and {r["source_file"] for r in web} == {
        root + f"crawl-data/CC-T/segments/{w.name}" for w in warcs
    }
    assert [{k: v for k, v in r.items() if k != "source_file"} for r in web] == table_rows(
        tmp_path / "local" / "documents", ("source_file",)
    )
