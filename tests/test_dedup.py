"""Exact and MinHash dedup as global stages: planted duplicates, clusters, survivors, memory options."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.dedup import ExactDedup, MinhashDedup
from pipeline.core.config import ConfigError, build_config
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.engines.local_dedup import components
from tests.helpers.dedup import article, run_stage, write_parts


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
