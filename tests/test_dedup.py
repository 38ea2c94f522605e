"""Exact and MinHash dedup as global stages: planted duplicates, clusters, survivors, memory options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.dedup import ExactDedup, MinhashDedup
from pipeline.core.clusters import part_key
from pipeline.core.config import ConfigError, build_config
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.engines.local_dedup import components
from tests.helpers.dedup import article, run_stage, run_stages, write_parts


@pytest.fixture
def planted():
    base = article(1)
    changed = list(base)
    changed[7] = "The council said the new bridge would open in the spring after a long winter of work."
    reordered = base[12:] + base[:12]
    boilerplate = ["Home | News | Sport | Weather", *base, "Copyright 2024 The Gazette. All rights reserved."]
    docs = [
        {"id": "d03", "url": "http://a/original", "text": "\n".join(base), "warc_date": "2024-01-03"},
        {"id": "d01", "url": "http://b/changed", "text": "\n".join(changed), "warc_date": "2024-01-05"},
        {"id": "d07", "url": "http://c/reordered", "text": "\n\n".join(reordered), "warc_date": "2024-01-01"},
        {
            "id": "d05",
            "url": "http://d/boilerplate",
            "text": "\n".join(boilerplate),
            "warc_date": "2024-01-02",
        },
    ]
    docs += [
        {
            "id": f"u{i:02d}",
            "url": f"http://u/{i}",
            "text": "\n".join(article(100 + i)),
            "warc_date": "2024-02-01",
        }
        for i in range(12)
    ]
    return docs


def test_minhash_finds_planted_near_duplicates_and_keeps_the_smallest_id(tmp_path, planted):
    parts = write_parts(tmp_path, planted)
    stats, verdicts = run_stage(MinhashDedup(), parts, tmp_path / "work")
    assert verdicts["d01"] == ("kept", None)
    for doc in ("d03", "d07", "d05"):
        assert verdicts[doc] == ("minhash_dedup:near_duplicate", "d01"), doc
    assert all(verdicts[f"u{i:02d}"] == ("kept", None) for i in range(12)), "unrelated documents were merged"
    assert stats["duplicates"] == 3 and stats["cluster_sizes"] == {"4": 1}
    (cluster,) = stats["sample_clusters"]
    assert cluster["kept"] == {"id": "d01", "url": "http://b/changed"}
    assert [d["id"] for d in cluster["duplicates"]] == ["d03", "d05", "d07"]


def test_keep_oldest_and_per_dump(tmp_path, planted):
    parts = write_parts(tmp_path, planted)
    stage = MinhashDedup(build_config(MinhashDedup.Config, {"keep": "oldest"}, "t"))
    _, verdicts = run_stage(stage, parts, tmp_path / "oldest")
    assert verdicts["d07"] == ("kept", None)  # 2024-01-01
    assert verdicts["d01"][1] == "d07"
    # the same pair in two CommonCrawl dumps is left alone with per_dump
    twins = [
        {
            "id": "a",
            "url": "http://a",
            "text": "\n".join(article(5)),
            "source_file": "s3a://cc/CC-MAIN-2024-10/x.warc.gz",
        },
        {
            "id": "b",
            "url": "http://b",
            "text": "\n".join(article(5)),
            "source_file": "s3a://cc/CC-MAIN-2024-18/y.warc.gz",
        },
    ]
    parts = []
    for i, doc in enumerate(twins):
        path = tmp_path / f"twin{i}.parquet"
        pq.write_table(pa.Table.from_pylist([doc], schema=DOCUMENT_SCHEMA), path)
        parts.append(str(path))
    across = MinhashDedup(build_config(MinhashDedup.Config, {"per_dump": False}, "t"))
    _, together = run_stage(across, parts, tmp_path / "global")
    assert together["b"] == ("minhash_dedup:near_duplicate", "a")
    _, apart = run_stage(MinhashDedup(), parts, tmp_path / "dumps")  # per dump by default, as FineWeb
    assert apart == {"a": ("kept", None), "b": ("kept", None)}


def test_exact_dedup_uses_normalised_text(tmp_path):
    docs = [
        {"id": "x2", "url": "http://x/2", "text": "Café opens at 9:30! The Mayor said so."},
        {"id": "x1", "url": "http://x/1", "text": "cafe opens at 7:15 -- the mayor said so"},
        {"id": "x3", "url": "http://x/3", "text": "Cafe opens at noon. The mayor said so."},
        {"id": "x4", "url": "http://x/4", "text": ""},
        {"id": "x5", "url": "http://x/5", "text": "   "},
    ]
    stats, verdicts = run_stage(ExactDedup(), write_parts(tmp_path, docs, per_part=2), tmp_path / "w")
    assert verdicts["x1"] == ("kept", None)
    assert verdicts["x2"] == ("exact_dedup:duplicate", "x1")
    assert verdicts["x3"] == ("kept", None)
    assert (
        verdicts["x4"] == verdicts["x5"] == ("kept", None)
    )  # empty texts are never duplicates of each other
    assert stats["duplicates"] == 1


def test_spill_partitions_do_not_change_decisions(tmp_path, planted):
    parts = write_parts(tmp_path, planted * 1)
    one = MinhashDedup(build_config(MinhashDedup.Config, {"spill_partitions": 1}, "t"))
    many = MinhashDedup(build_config(MinhashDedup.Config, {"spill_partitions": 7}, "t"))
    assert run_stage(one, parts, tmp_path / "one")[1] == run_stage(many, parts, tmp_path / "many")[1]


def test_components_match_union_find():
    rng = np.random.default_rng(3)
    n = 3000
    edges = rng.integers(0, n, size=(1200, 2))
    labels = components(n, edges)
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    assert all(labels[i] == find(i) for i in range(n))


def test_bad_dedup_config_names_the_key():
    with pytest.raises(ConfigError, match="keep must be one of"):
        build_config(MinhashDedup.Config, {"keep": "newest"}, "t")
    with pytest.raises(ConfigError, match="exceeds num_perm"):
        build_config(MinhashDedup.Config, {"bands": 20, "rows": 8}, "t")
    with pytest.raises(ConfigError, match="unknown parameter 'band'"):
        build_config(MinhashDedup.Config, {"band": 20}, "t")


def test_short_documents_follow_datatrove_unless_asked(tmp_path):
    # fewer words than the 5-gram: datatrove computes no signature, so such copies are never removed
    docs = [
        {"id": "s1", "url": "http://s/1", "text": "Open at noon today."},
        {"id": "s2", "url": "http://s/2", "text": "open at NOON today"},
    ]
    parts = write_parts(tmp_path, docs)
    _, skipped = run_stage(MinhashDedup(), parts, tmp_path / "skip")
    assert skipped == {"s1": ("kept", None), "s2": ("kept", None)}
    one = MinhashDedup(build_config(MinhashDedup.Config, {"short_documents": "one_shingle"}, "t"))
    _, matched = run_stage(one, parts, tmp_path / "one")
    assert matched["s2"] == ("minhash_dedup:near_duplicate", "s1")
    with pytest.raises(ConfigError, match="short_documents must be one of skip, one_shingle"):
        build_config(MinhashDedup.Config, {"short_documents": "pad"}, "t")


def test_fineweb_settings_are_the_default():
    config = MinhashDedup().config
    assert (config.hash, config.per_dump, config.short_documents) == ("sha1_64", True, "skip")
    assert (config.ngram, config.bands, config.rows, config.seed) == (5, 14, 8, 1)


def _survivors(parts: list[str], stage, workdir, out_dir) -> list[str]:
    """Apply one stage and write each part's survivors under out_dir (same part names)."""
    out_dir.mkdir()
    stage.workdir = str(workdir)
    stage.ensure_setup()
    written = []
    for part in parts:
        stage.start_part(part_key(part))
        kept = stage.process(pq.read_table(part).combine_chunks().to_batches()[0]).kept
        path = out_dir / Path(part).name
        pq.write_table(pa.Table.from_batches([kept]), path)
        written.append(str(path))
    return written


def test_adjacent_stages_in_one_pass_equal_running_them_one_after_the_other(tmp_path, planted):
    exact_copy = {**planted[4], "id": "e00", "url": "http://e/copy"}  # an exact copy of u00 (smaller id)
    reworded = {**planted[0], "id": "d00", "text": planted[0]["text"].upper()}  # exact copy of d03
    parts = write_parts(tmp_path, [*planted, exact_copy, reworded], per_part=3)
    stats, joint = run_stages([ExactDedup(), MinhashDedup()], parts, tmp_path / "joint")

    # the same, one stage after the other, the second reading the survivors of the first
    (exact_stats,), exact = run_stages([ExactDedup()], parts, tmp_path / "seq")
    survivors = _survivors(parts, ExactDedup(), tmp_path / "seq" / "exact_dedup", tmp_path / "s1")
    (minhash_stats,), minhash = run_stages([MinhashDedup()], survivors, tmp_path / "seq")
    sequential = [v for v in exact if v[1] != "kept"] + minhash
    assert joint == sorted(sequential, key=lambda v: (v[0], v[1]))
    assert stats == [exact_stats, minhash_stats]
    assert ("u00", "exact_dedup:duplicate", "e00") in joint and ("e00", "kept", None) in joint
    # d00 (d03's text in capitals) removes d03 as an exact copy, then survives MinHash in its place
    assert ("d03", "exact_dedup:duplicate", "d00") in joint and ("d00", "kept", None) in joint
    assert ("d01", "minhash_dedup:near_duplicate", "d00") in joint
    assert stats[1]["documents"] == stats[0]["documents"] - stats[0]["duplicates"]


def test_decisions_are_partitioned_by_part(tmp_path, planted):
    parts = write_parts(tmp_path, planted, per_part=4)
    run_stage(MinhashDedup(), parts, tmp_path / "w")
    files = sorted(p.name for p in (tmp_path / "w" / "decisions").iterdir())
    assert files == ["0000.parquet"]  # d03, d01, d07, d05 are all in the first part; no file for the others
    table = pq.read_table(tmp_path / "w" / "decisions" / "0000.parquet").to_pydict()
    assert table == {
        "row": [0, 2, 3],  # d03, d07, d05 (d01 survives)
        "duplicate_of": ["d01"] * 3,
        "cluster_size": [4] * 3,
        "same_record": [False] * 3,
    }


def test_the_same_record_read_twice_is_kept_once(tmp_path, planted):
    # the same WARC record in two inputs (overlapping inputs, or `curate dedup` over two runs)
    again = [dict(planted[4]), dict(planted[5])]
    again[1]["text"] = "\n".join(article(999))  # the same record extracted differently: still the same id
    parts = write_parts(tmp_path, planted + again, per_part=8)  # the copies are in the third part
    stats, verdicts = run_stages([ExactDedup(), MinhashDedup()], parts, tmp_path / "w")
    mine = [v for v in verdicts if v[0] in ("u00", "u01")]
    assert mine == [
        ("u00", "exact_dedup:same_record", "u00"),
        ("u00", "kept", None),
        ("u01", "exact_dedup:same_record", "u01"),
        ("u01", "kept", None),
    ]
    assert stats[0]["same_record"] == 2 and stats[0]["duplicates"] == 2
    assert sum(1 for v in verdicts if v[1] == "kept") == len(planted) - 3  # d01 and u00..u11 survive once


def test_curate_dedup_over_two_copies_of_a_run_keeps_each_document_once(tmp_path, planted):
    import shutil

    import pyarrow.dataset as ds

    from pipeline.cli import main

    first = tmp_path / "run1" / "documents"
    first.mkdir(parents=True)
    write_parts(first, planted, per_part=5)
    shutil.copytree(first, tmp_path / "run2" / "documents")  # the same records again
    args = [
        "dedup",
        "--no-progress",
        "--workers",
        "1",
        "--input",
        str(first),
        str(tmp_path / "run2" / "documents"),
    ]
    assert main([*args, "--output", str(tmp_path / "out")]) == 0
    kept = ds.dataset(tmp_path / "out" / "documents").to_table().column("id").to_pylist()
    assert sorted(kept) == ["d01", *(f"u{i:02d}" for i in range(12))]  # once each, d01 for its cluster
    exact = ds.dataset(tmp_path / "out" / "rejected" / "exact_dedup").to_table().to_pylist()
    assert {r["reason"] for r in exact} == {"exact_dedup:same_record"}
    assert sorted(r["id"] for r in exact) == sorted(d["id"] for d in planted)
    assert all(r["duplicate_of"] == r["id"] for r in exact)
    near = ds.dataset(tmp_path / "out" / "rejected" / "minhash_dedup").to_table().to_pylist()
    assert sorted((r["id"], r["duplicate_of"]) for r in near) == [
        ("d03", "d01"),
        ("d05", "d01"),
        ("d07", "d01"),
    ]
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["accounting_ok"] and stats["final_documents"] == 13
    assert [s["analysis"]["same_record"] for s in stats["stages"]] == [16, 0]
    assert stats["stages"][1]["analysis"]["analysed_with"] == "exact_dedup"
    # a rerun writes the same bytes
    assert main([*args, "--output", str(tmp_path / "again")]) == 0
    for part in sorted((tmp_path / "out").glob("[dr]*/**/part-*.parquet")):
        assert part.read_bytes() == (tmp_path / "again" / part.relative_to(tmp_path / "out")).read_bytes()


@pytest.mark.parametrize("mode", ["sha1_32", "fast64", "rensa"])
def test_other_hash_modes_find_the_same_planted_cluster(tmp_path, planted, mode):
    if mode == "rensa":
        pytest.importorskip("rensa", reason="the rensa package is not installed (pip install rensa==0.5.0)")
    stage = MinhashDedup(build_config(MinhashDedup.Config, {"hash": mode}, "t"))
    stats, verdicts = run_stage(stage, write_parts(tmp_path, planted), tmp_path / "w")
    assert stats["cluster_sizes"] == {"4": 1}
    assert {doc: v for doc, v in verdicts.items() if v[0] != "kept"} == {
        doc: ("minhash_dedup:near_duplicate", "d01") for doc in ("d03", "d05", "d07")
    }
