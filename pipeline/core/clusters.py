"""The decisions of a global stage's analysis, as every engine writes them and the stage applies them.

Decisions are partitioned by input part, so that applying them costs each task only its own part's
list, whatever the size of the run. For a stage with work directory W and a part whose key is K
(`part_key`: `part-K.parquet`), `W/decisions/K.parquet` holds one row per removed row of that part,
sorted by `row`:
- `row`: the row's position among the rows of the part that reach this stage, in file order: its
  row in the part file for the first global stage of a segment; for a later one (MinHash after
  exact, in the same segment), its position once the earlier stages' removals are left out
  (`renumber`), which is exactly the order the stage sees them in when applying;
- `duplicate_of`: the id of its cluster's survivor; `cluster_size`;
- `same_record`: the row has the survivor's own id: the same record read twice (overlapping inputs,
  `curate dedup` over two runs); it goes with reason `<stage>:same_record`, and the first copy stays.
A part that loses no row has no file. Inside the analyses a document is the integer
`part_index << 32 | row` (`doc_key`), never a string; ids and URLs are fetched for cluster members only.

The analysis statistics (stats.json `stages[].analysis`) are `documents`, `duplicates`,
`same_record`, `clusters`, `cluster_sizes` (a histogram) and `sample_clusters` (the largest clusters,
at most SAMPLE_CLUSTERS, each with its survivor and up to SAMPLE_DUPLICATES duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.output import PARQUET_OPTIONS
from pipeline.io.storage import Location

DECISIONS_DIR = "decisions"
DECISIONS_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("duplicate_of", pa.string()),
        ("cluster_size", pa.int64()),
        ("same_record", pa.bool_()),
    ]
)
SAMPLE_CLUSTERS = 5
SAMPLE_DUPLICATES = 5  # duplicates shown per sampled cluster
ROW_BITS = 32  # doc_key = part_index << ROW_BITS | row
ROW_MASK = (1 << ROW_BITS) - 1


def part_key(path: str) -> str:
    """`part-K.parquet` -> `K`: the key of a part, as the segment that reads it names the shard."""
    return Location(path).name.removesuffix(".parquet").removeprefix("part-")


def part_keys(parts: list[str]) -> list[str]:
    """The keys of a segment's parts; two parts with one key would share a decisions file."""
    keys = [part_key(p) for p in parts]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"parts with the same name would share decisions: part-{twice[0]}.parquet")
    return keys


def doc_key(part_index: int | np.ndarray, row: int | np.ndarray) -> Any:
    return (np.int64(part_index) << ROW_BITS) | np.int64(row) if np.ndim(row) else (part_index << 32) | row


def decisions_path(workdir: str, key: str) -> Location:
    return Location(workdir) / DECISIONS_DIR / f"{key}.parquet"


def renumber(rows: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Rows of a part (file positions) as a later stage sees them: minus the earlier removals before each.

    `earlier` (sorted) are the rows the segment's earlier global stages removed from the same part.
    """
    return rows - np.searchsorted(earlier, rows)


def write_part_decisions(workdir: str, key: str, table: pa.Table) -> None:
    """Write one part's decisions (sorted here by row) atomically."""
    table = table.select(DECISIONS_SCHEMA.names).cast(DECISIONS_SCHEMA).sort_by("row")
    target = decisions_path(workdir, key)
    with target.atomic_output() as sink:
        pq.write_table(table, sink, **PARQUET_OPTIONS)


@dataclass
class PartDecisions:
    """One part's decisions, applied batch by batch in file order (`take`)."""

    rows: np.ndarray
    duplicate_of: list[str]
    cluster_size: np.ndarray
    same_record: np.ndarray
    next_row: int = 0

    @classmethod
    def load(cls, workdir: str, key: str) -> PartDecisions:
        path = decisions_path(workdir, key)
        if not path.exists():
            return cls(np.empty(0, np.int64), [], np.empty(0, np.int64), np.empty(0, bool))
        table = pq.read_table(path.source())
        return cls(
            table.column("row").to_numpy(),
            table.column("duplicate_of").to_pylist(),
            table.column("cluster_size").to_numpy(),
            table.column("same_record").to_numpy(zero_copy_only=False),
        )

    def take(self, n_rows: int) -> list[tuple[int, str, int, bool]]:
        """The decisions of the next `n_rows` rows: (offset in the batch, duplicate_of, size, same)."""
        start, end = self.next_row, self.next_row + n_rows
        first, last = np.searchsorted(self.rows, [start, end])
        self.next_row = end
        return [
            (
                int(self.rows[i]) - start,
                self.duplicate_of[i],
                int(self.cluster_size[i]),
                bool(self.same_record[i]),
            )
            for i in range(first, last)
        ]


def analysis_stats(
    documents: int,
    duplicates: int,
    same_record: int,
    histogram: dict[int, int],
    samples: list[dict[str, Any]],
) -> dict[str, Any]:
    """The statistics both engines return, in one shape (samples sorted by size, then kept id)."""
    samples = sorted(samples, key=lambda s: (-s["size"], s["kept"]["id"]))[:SAMPLE_CLUSTERS]
    return {
        "documents": documents,
        "duplicates": duplicates,
        "same_record": same_record,
        "clusters": sum(histogram.values()),
        "cluster_sizes": {str(k): v for k, v in sorted(histogram.items())},
        "sample_clusters": samples,
    }
