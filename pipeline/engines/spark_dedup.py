"""A global stage's analysis on Spark DataFrames: the same decisions as pipeline/engines/local_dedup.py.

Bucket keys come from the stage's own `bucket_keys` (inside `mapInArrow`, each task reading its parts), one row per (document, band);
documents sharing a bucket are linked to the bucket's smallest order key; connected components are
found by iterated min-label propagation (each round joins every node with its neighbours' labels,
until no label changes), with lineage cut every round. The label of a component is its smallest
order key, which is the surviving document; no graphframes jar is needed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.clusters import DECISIONS, DECISIONS_SCHEMA, SAMPLE_CLUSTERS
from pipeline.core.stage import GlobalStage
from pipeline.engines.spark import write_single_parquet
from pipeline.io.storage import Location

MAX_ROUNDS = 200
KEY_SCHEMA = pa.schema(
    [("key", pa.string()), ("id", pa.string()), ("url", pa.string()), ("hi", pa.int64()), ("lo", pa.int64())]
)


def _read_parts(batches: Any, columns: list[str], batch_size: int) -> Any:
    """Documents of the part files named in the `path` column, read where the task runs."""
    for batch in batches:
        for path in batch.column("path").to_pylist():
            yield from pq.ParquetFile(Location(path).source()).iter_batches(
                batch_size=batch_size, columns=columns
            )


def _row_counts(batches: Any) -> Any:
    for batch in batches:
        for path in batch.column("path").to_pylist():
            rows = pq.ParquetFile(Location(path).source()).metadata.num_rows
            yield pa.RecordBatch.from_pylist([{"rows": rows}])


def _bucket_rows(batches: Any, stage: GlobalStage, columns: list[str]) -> Any:
    for batch in _read_parts(batches, columns, stage.read_batch_size):
        hi, lo, valid = stage.bucket_keys(batch)
        order = np.array(stage.order_keys(batch), dtype=object)
        ids = np.array(batch.column("id").to_pylist(), dtype=object)
        urls = np.array(batch.column("url").to_pylist(), dtype=object)
        bands = hi.shape[1]
        rows = np.repeat(np.flatnonzero(valid), bands)
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(order[rows], pa.string()),
                pa.array(ids[rows], pa.string()),
                pa.array(urls[rows], pa.string()),
                pa.array(hi[valid].ravel().view(np.int64)),
                pa.array(lo[valid].ravel().view(np.int64)),
            ],
            schema=KEY_SCHEMA,
        )


def connected_components(edges: Any) -> Any:
    """edges(src, dst) -> labels(node, label): label = the smallest node of the node's component."""
    from pyspark.sql import functions as F

    both = edges.select("src", "dst").union(
        edges.select(F.col("dst").alias("src"), F.col("src").alias("dst"))
    )
    both = both.distinct().localCheckpoint()
    labels = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("label"))
    labels = labels.withColumnRenamed("src", "node").localCheckpoint()
    for _ in range(MAX_ROUNDS):
        neighbour = (
            both.join(labels, both.dst == labels.node).groupBy("src").agg(F.min("label").alias("seen"))
        )
        updated = labels.join(neighbour, labels.node == neighbour.src, "left").select(
            "node", F.least("label", F.coalesce("seen", "label")).alias("label")
        )
        # pointer jumping: adopt the label of one's label (halves the rounds on long chains)
        jumped = (
            updated.alias("u")
            .join(updated.alias("v"), F.col("u.label") == F.col("v.node"), "left")
            .select(
                F.col("u.node").alias("node"),
                F.least("u.label", F.coalesce("v.label", "u.label")).alias("label"),
            )
            .localCheckpoint()
        )
        changed = jumped.join(labels, "node").where(jumped.label != labels.label).limit(1).count()
        labels = jumped
        if changed == 0:
            return labels
    raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")


def analyze_with_spark(stage: GlobalStage, spark: Any, parts: list[str], workdir: str) -> dict[str, Any]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    # Parts are opened by pyarrow in the tasks (like every input), not by a Hadoop connector.
    columns = list(dict.fromkeys(["id", "url", *stage.key_columns, *stage.order_columns]))
    paths = spark.sparkContext.parallelize([(p,) for p in parts], max(1, len(parts))).toDF("path string")
    n_docs = paths.mapInArrow(_row_counts, "rows long").agg(F.sum("rows")).first()[0] or 0  # footers only
    keyed = paths.mapInArrow(
        partial(_bucket_rows, stage=stage, columns=columns), from_arrow_schema(KEY_SCHEMA)
    ).localCheckpoint()
    roots = keyed.groupBy("hi", "lo").agg(F.min("key").alias("root"), F.count("*").alias("n")).where("n > 1")
    edges = keyed.join(roots, ["hi", "lo"]).where(F.col("key") != F.col("root"))
    edges = edges.select(F.col("key").alias("src"), F.col("root").alias("dst")).distinct()
    labels = connected_components(edges)
    names = keyed.select("key", "id", "url").distinct()
    sizes = labels.groupBy("label").agg(F.count("*").alias("cluster_size"))
    members = labels.join(sizes, "label").join(names, labels.node == names.key)
    kept = names.select(
        F.col("key").alias("label"), F.col("id").alias("duplicate_of"), F.col("url").alias("kept_url")
    )
    members = members.join(kept, "label").localCheckpoint()
    duplicates = members.where(F.col("node") != F.col("label"))
    write_single_parquet(duplicates.orderBy("id"), Location(workdir) / DECISIONS, DECISIONS_SCHEMA)
    histogram = {
        str(r["cluster_size"]): r["count"]
        for r in sizes.groupBy("cluster_size").count().orderBy("cluster_size").collect()
    }
    top = (
        sizes.join(kept, "label")
        .orderBy(F.desc("cluster_size"), "duplicate_of")
        .limit(SAMPLE_CLUSTERS)
        .collect()
    )
    # the first 5 duplicates (by order key) of every sampled cluster, in one job
    first = Window.partitionBy("label").orderBy("node")
    shown = (
        members.where(F.col("label").isin([row["label"] for row in top]) & (F.col("node") != F.col("label")))
        .withColumn("rank", F.row_number().over(first))
        .where(F.col("rank") <= 5)
        .select("label", "rank", "id", "url")
        .collect()
    )
    by_label: dict[str, list[Any]] = {}
    for dup in sorted(shown, key=lambda d: (d["label"], d["rank"])):
        by_label.setdefault(dup["label"], []).append({"id": dup["id"], "url": dup["url"]})
    samples = [
        {
            "size": row["cluster_size"],
            "kept": {"id": row["duplicate_of"], "url": row["kept_url"]},
            "duplicates": by_label.get(row["label"], []),
        }
        for row in top
    ]
    return {
        "documents": n_docs,
        "duplicates": duplicates.count(),
        "clusters": sizes.count(),
        "cluster_sizes": histogram,
        "sample_clusters": samples,
    }
