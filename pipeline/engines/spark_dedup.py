"""The analysis of a segment's global stages on Spark DataFrames: the same decisions as local_dedup.py.

One `mapInArrow` pass over the parts (a task per part, reading it with pyarrow) computes every
stage's keys: compact rows (stage int, key hi/lo int64, document int64), the document being
`part_index << 32 | row` (pipeline.core.clusters.doc_key). Per stage, in recipe order:
- the documents earlier stages removed are left out (an anti-join on the document);
- buckets are a `groupBy` of the key (min and count, aggregated map-side); a bucket of two or more
  documents links its members to its smallest one (a join back, which Spark's adaptive execution
  splits when one bucket is huge); connected components come from iterated min-label propagation with pointer jumping
  (no graphframes jar), lineage cut every round;
- only then are strings read: the members' order keys, ids and URLs, by tasks that each read the
  rows they need of their own parts (members repartitioned by part);
- each cluster's survivor is its member with the smallest (order key, document), as on the local
  engine.
The decisions of all stages go out partitioned by part: a task per group of parts writes each
part's file of each stage (rows renumbered for a later stage, pipeline.core.clusters.renumber), so
nothing runs in a single task; the driver collects only counts, the histogram and 5 sample clusters.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.clusters import (
    ROW_BITS,
    ROW_MASK,
    SAMPLE_CLUSTERS,
    SAMPLE_DUPLICATES,
    analysis_stats,
    part_keys,
    renumber,
    write_part_decisions,
)
from pipeline.core.stage import GlobalStage
from pipeline.io.storage import Location

MAX_ROUNDS = 200
KEY_SCHEMA = pa.schema([("stage", pa.int32()), ("hi", pa.int64()), ("lo", pa.int64()), ("doc", pa.int64())])
MEMBER_SCHEMA = pa.schema(
    [("node", pa.int64()), ("okey", pa.string()), ("id", pa.string()), ("url", pa.string())]
)


def _row_counts(batches: Any) -> Any:
    for batch in batches:
        for path in batch.column("path").to_pylist():
            rows = pq.ParquetFile(Location(path).source()).metadata.num_rows
            yield pa.RecordBatch.from_pylist([{"rows": rows}])


def _key_rows(batches: Any, stages: list[GlobalStage]) -> Any:
    """Every stage's keys of every document of the parts named in the input rows (one read)."""
    columns = list(dict.fromkeys(c for stage in stages for c in stage.key_columns))
    for batch in batches:
        for part, path in zip(batch.column("part").to_pylist(), batch.column("path").to_pylist()):
            row = 0
            reader = pq.ParquetFile(Location(path).source())
            for docs_batch in reader.iter_batches(batch_size=stages[0].read_batch_size, columns=columns):
                docs = (part << ROW_BITS) | np.arange(row, row + docs_batch.num_rows, dtype=np.int64)
                row += docs_batch.num_rows
                for index, stage in enumerate(stages):
                    hi, lo, valid = stage.bucket_keys(docs_batch)
                    valid = np.broadcast_to(valid.reshape(len(docs), -1), hi.shape)
                    n = int(valid.sum())
                    yield pa.RecordBatch.from_arrays(
                        [
                            pa.array(np.full(n, index, dtype=np.int32)),
                            pa.array(hi[valid].view(np.int64)),
                            pa.array(lo[valid].view(np.int64)),
                            pa.array(np.broadcast_to(docs[:, None], hi.shape)[valid]),
                        ],
                        schema=KEY_SCHEMA,
                    )


def _member_rows(batches: Any, stage: GlobalStage) -> Any:
    """Order key, id and URL of the member rows (node, row, path) this task holds, part by part."""
    table = pa.Table.from_batches(list(batches))
    if table.num_rows == 0:
        return
    table = table.sort_by([("path", "ascending"), ("row", "ascending")])
    columns = list(dict.fromkeys(["id", "url", *stage.order_columns]))
    paths = table.column("path").to_pylist()
    starts = [i for i in range(len(paths)) if i == 0 or paths[i] != paths[i - 1]]
    for start, end in zip(starts, [*starts[1:], len(paths)]):
        rows = table.column("row").slice(start, end - start)
        part = pq.read_table(Location(paths[start]).source(), columns=columns).take(rows)
        part = part.combine_chunks().to_batches()[0]
        yield pa.RecordBatch.from_arrays(
            [
                table.column("node").slice(start, end - start).combine_chunks(),
                pa.array(stage.order_keys(part), pa.string()),
                part.column("id"),
                part.column("url"),
            ],
            schema=MEMBER_SCHEMA,
        )


def _write_decisions(batches: Any, workdirs: list[str]) -> Any:
    """Write the decisions of the parts this task holds: per part, each stage's file."""
    table = pa.Table.from_batches(list(batches))
    if table.num_rows:
        table = table.sort_by([("key", "ascending"), ("stage", "ascending"), ("row", "ascending")])
        keys = table.column("key").to_pylist()
        stages = table.column("stage").to_numpy()
        starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]
        for start, end in zip(starts, [*starts[1:], len(keys)]):
            earlier = np.empty(0, dtype=np.int64)  # rows (file positions) removed by earlier stages
            for stage in np.unique(stages[start:end]):
                lo, hi = start + np.searchsorted(stages[start:end], [stage, stage + 1])
                piece = table.slice(lo, hi - lo)
                rows = piece.column("row").to_numpy()
                renumbered = piece.set_column(
                    piece.schema.get_field_index("row"), "row", pa.array(renumber(rows, earlier))
                )
                write_part_decisions(workdirs[stage], keys[start], renumbered)
                earlier = np.union1d(earlier, rows)
    yield pa.RecordBatch.from_pylist([{"rows": table.num_rows}])


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


def analyze_with_spark(
    stages: list[GlobalStage], spark: Any, parts: list[str], workdirs: list[str]
) -> list[dict[str, Any]]:
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    # Parts are opened by pyarrow in the tasks (like every input), not by a Hadoop connector.
    rows = [(i, p, key) for i, (p, key) in enumerate(zip(parts, part_keys(parts)))]
    paths = spark.sparkContext.parallelize(rows, max(1, len(parts))).toDF("part int, path string, key string")
    n_docs = paths.mapInArrow(_row_counts, "rows long").agg(F.sum("rows")).first()[0] or 0  # footers only
    keyed = paths.mapInArrow(
        partial(_key_rows, stages=stages), from_arrow_schema(KEY_SCHEMA)
    ).localCheckpoint()
    removed = None  # documents removed by the earlier stages of the segment
    removed_count = 0
    decisions = []
    results = []
    for index, stage in enumerate(stages):
        keys = keyed.where(F.col("stage") == index).select("hi", "lo", "doc")
        if removed is not None:
            keys = keys.join(removed, "doc", "left_anti")
        # a bucket's smallest document and size: partial aggregates, so a bucket of millions of copies
        # (boilerplate pages) is never one task's list; the join back is skew-split by Spark's AQE
        roots = keys.groupBy("hi", "lo").agg(F.min("doc").alias("root"), F.count("*").alias("n"))
        edges = keys.join(roots.where("n > 1"), ["hi", "lo"]).where(F.col("doc") != F.col("root"))
        labels = connected_components(
            edges.select(F.col("doc").alias("src"), F.col("root").alias("dst")).distinct()
        )
        members = _members(labels, paths, stage).localCheckpoint()
        survivors = members.groupBy("label").agg(
            F.min(F.struct("okey", "node", "id", "url")).alias("kept"), F.count("*").alias("cluster_size")
        )
        members = members.join(survivors, "label").localCheckpoint()
        dropped = members.where(F.col("node") != F.col("kept.node")).select(
            F.lit(index).alias("stage"),
            "node",
            F.shiftright("node", ROW_BITS).cast("int").alias("part"),
            (F.col("node").bitwiseAND(ROW_MASK)).alias("row"),
            F.col("kept.id").alias("duplicate_of"),
            "cluster_size",
            (F.col("id") == F.col("kept.id")).alias("same_record"),
        )
        dropped = dropped.localCheckpoint()
        decisions.append(dropped)
        counts = dropped.agg(F.count("*").alias("n"), F.sum(F.col("same_record").cast("long")).alias("same"))
        count_row = counts.first()
        results.append(
            analysis_stats(
                n_docs - removed_count,
                count_row["n"],
                int(count_row["same"] or 0),
                _histogram(survivors),
                _samples(members, survivors),
            )
        )
        removed_count += count_row["n"]
        removed = (
            dropped.select(F.col("node").alias("doc"))
            if removed is None
            else removed.union(dropped.select(F.col("node").alias("doc")))
        )
    _write_all(decisions, paths, workdirs)
    return results


def _members(labels: Any, paths: Any, stage: GlobalStage) -> Any:
    """labels(node, label) -> members(node, label, okey, id, url), reading each part's rows where it is."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    located = labels.select(
        "node",
        F.shiftright("node", ROW_BITS).cast("int").alias("part"),
        F.col("node").bitwiseAND(ROW_MASK).alias("row"),
    ).join(F.broadcast(paths.select("part", "path")), "part")
    info = located.select("node", "row", "path").repartition("path")
    info = info.mapInArrow(partial(_member_rows, stage=stage), from_arrow_schema(MEMBER_SCHEMA))
    return labels.join(info, "node")


def _histogram(survivors: Any) -> dict[int, int]:
    rows = survivors.groupBy("cluster_size").count().collect()
    return {row["cluster_size"]: row["count"] for row in rows}


def _samples(members: Any, survivors: Any) -> list[dict[str, Any]]:
    """The largest clusters (ties by the survivor's id), each with its first duplicates."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    top = survivors.orderBy(F.desc("cluster_size"), F.col("kept.id")).limit(SAMPLE_CLUSTERS).collect()
    labels = [row["label"] for row in top]
    first = Window.partitionBy("label").orderBy("okey", "node")
    shown = (
        members.where(F.col("label").isin(labels) & (F.col("node") != F.col("kept.node")))
        .withColumn("rank", F.row_number().over(first))
        .where(F.col("rank") <= SAMPLE_DUPLICATES)
        .select("label", "rank", "id", "url")
        .collect()
    )
    by_label: dict[int, list[dict[str, Any]]] = {}
    for dup in sorted(shown, key=lambda d: (d["label"], d["rank"])):
        by_label.setdefault(dup["label"], []).append({"id": dup["id"], "url": dup["url"]})
    return [
        {
            "size": row["cluster_size"],
            "kept": {"id": row["kept"]["id"], "url": row["kept"]["url"]},
            "duplicates": by_label.get(row["label"], []),
        }
        for row in top
    ]


def _write_all(decisions: list[Any], paths: Any, workdirs: list[str]) -> None:
    """Every stage's decisions, partitioned by part, written by the tasks holding each part."""
    from pyspark.sql import functions as F

    frame = decisions[0]
    for more in decisions[1:]:
        frame = frame.union(more)
    frame = frame.join(F.broadcast(paths.select("part", "key")), "part")
    frame = frame.select("key", "stage", "row", "duplicate_of", "cluster_size", "same_record")
    frame.repartition("key").mapInArrow(partial(_write_decisions, workdirs=workdirs), "rows long").collect()
