"""The decisions of a global stage's analysis, as every engine writes them and the stage reads them.

`workdir/decisions.parquet` holds one row per removed document: its `id`, the `duplicate_of` id of
its cluster's survivor and the `cluster_size`, sorted by id. The analysis statistics (stats.json
`stages[].analysis`) are `documents`, `duplicates`, `clusters`, `cluster_sizes` (a histogram) and
`sample_clusters` (the largest clusters, at most SAMPLE_CLUSTERS, each with up to 5 duplicates).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.storage import Location

DECISIONS = "decisions.parquet"
DECISIONS_SCHEMA = pa.schema(
    [("id", pa.string()), ("duplicate_of", pa.string()), ("cluster_size", pa.int64())]
)
SAMPLE_CLUSTERS = 5
SAMPLE_DUPLICATES = 5  # duplicates shown per sampled cluster


def read_decisions(workdir: str) -> dict[str, tuple[str, int]]:
    """id -> (duplicate_of, cluster_size) of every removed document."""
    table = pq.read_table((Location(workdir) / DECISIONS).source())
    columns = (table.column(c).to_pylist() for c in ("id", "duplicate_of", "cluster_size"))
    return {i: (d, s) for i, d, s in zip(*columns)}
