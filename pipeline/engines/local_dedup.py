"""A global stage's analysis on the local engine: bucket keys -> clusters -> decisions, in one process.

Memory bound (N = documents reaching the stage, B = bands):
- pass 1 streams the parts batch by batch, computes each document's bucket keys (one per band,
  128-bit) and appends (key, doc number) records to `spill_partitions` files chosen by key, on disk;
- each partition file is then loaded alone (about 24 * B * N / spill_partitions bytes), sorted, and
  every bucket with two or more documents yields edges from its members to its first member;
- components come from vectorised min-label propagation over those edges: 8 bytes per document for
  the labels plus 16 bytes per edge (edges exist only for documents that have a duplicate);
- pass 2 reads the order keys (and `id`, `url`) of documents in non-trivial clusters only, to choose
  the survivor of each.
So RAM is O(N) small integers plus one partition; signatures are never all held in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.clusters import DECISIONS, DECISIONS_SCHEMA, SAMPLE_CLUSTERS, SAMPLE_DUPLICATES
from pipeline.core.stage import GlobalStage
from pipeline.io.storage import Location

RECORD = np.dtype([("hi", "<u8"), ("lo", "<u8"), ("doc", "<i8")])
DEFAULT_SPILL_PARTITIONS = 16


def analyze_locally(stage: GlobalStage, parts: list[str], workdir: str) -> dict[str, Any]:
    """Write `stage`'s decisions over the documents in `parts` to `workdir`; return its statistics."""
    with _spill_directory(workdir) as spill:
        labels = _label_documents(stage, parts, spill)
    return _decide(stage, parts, labels, workdir)


def _batches(stage: GlobalStage, parts: list[str], columns: list[str]) -> Iterator[pa.RecordBatch]:
    for part in parts:
        yield from pq.ParquetFile(Location(part).source()).iter_batches(
            batch_size=stage.read_batch_size, columns=columns
        )


def _label_documents(stage: GlobalStage, parts: list[str], spill: Path) -> np.ndarray:
    """Pass 1: every document's component label (see the module docstring for the memory bound)."""
    n_partitions = getattr(stage.config, "spill_partitions", DEFAULT_SPILL_PARTITIONS)
    n_docs = 0
    paths = [spill / f"p{i:03d}.bin" for i in range(n_partitions)]
    with ExitStack() as stack:
        files = [stack.enter_context(open(p, "wb")) for p in paths]
        for batch in _batches(stage, parts, stage.key_columns):
            hi, lo, valid = stage.bucket_keys(batch)
            docs = np.arange(n_docs, n_docs + batch.num_rows, dtype=np.int64)
            n_docs += batch.num_rows
            records = np.empty(hi[valid].size, dtype=RECORD)
            records["hi"] = hi[valid].ravel()
            records["lo"] = lo[valid].ravel()
            records["doc"] = np.repeat(docs[valid], hi.shape[1])
            partition = records["hi"] % np.uint64(len(files))
            for i, handle in enumerate(files):
                handle.write(records[partition == i].tobytes())
    edges = []
    for path in paths:  # one partition in memory at a time
        edges.append(_bucket_edges(np.fromfile(path, dtype=RECORD)))
        os.remove(path)
    return components(n_docs, np.concatenate(edges or [np.empty((0, 2), np.int64)]))


def _bucket_edges(records: np.ndarray) -> np.ndarray:
    """Edges (member, first member) of every bucket holding two or more documents."""
    if records.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((records["doc"], records["lo"], records["hi"]))
    records = records[order]
    same = (records["hi"][1:] == records["hi"][:-1]) & (records["lo"][1:] == records["lo"][:-1])
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first_of = np.repeat(records["doc"][starts], np.diff(np.append(starts, records.size)))
    members = records["doc"]
    mask = members != first_of
    return np.unique(np.stack([members[mask], first_of[mask]], axis=1), axis=0)


def components(n_docs: int, edges: np.ndarray) -> np.ndarray:
    """Connected components: label[i] = the smallest document number in i's component."""
    labels = np.arange(n_docs, dtype=np.int64)
    if edges.size == 0:
        return labels
    a, b = edges[:, 0], edges[:, 1]
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]  # pointer jumping: follow labels to their own labels
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def _decide(stage: GlobalStage, parts: list[str], labels: np.ndarray, workdir: str) -> dict[str, Any]:
    """Pass 2: pick each cluster's survivor by its order key and write the decisions."""
    sizes = np.bincount(labels, minlength=len(labels))
    in_cluster = sizes[labels] > 1
    keys: dict[int, str] = {}
    info: dict[int, tuple[str, str | None]] = {}
    columns = list(dict.fromkeys(["id", "url", *stage.order_columns]))
    start = 0
    for batch in _batches(stage, parts, columns):
        docs = np.arange(start, start + batch.num_rows)
        start += batch.num_rows
        chosen = np.flatnonzero(in_cluster[docs])
        if chosen.size == 0:
            continue
        order = stage.order_keys(batch)
        ids = batch.column("id").to_pylist()
        urls = batch.column("url").to_pylist()
        for i in chosen:
            keys[int(docs[i])] = order[i]
            info[int(docs[i])] = (ids[i], urls[i])
    clusters: dict[int, list[int]] = {}
    for doc in keys:
        clusters.setdefault(int(labels[doc]), []).append(doc)
    rows: dict[str, list[Any]] = {"id": [], "duplicate_of": [], "cluster_size": []}
    samples = []
    for members in clusters.values():
        members.sort(key=lambda d: keys[d])
        kept = members[0]
        for doc in members[1:]:
            rows["id"].append(info[doc][0])
            rows["duplicate_of"].append(info[kept][0])
            rows["cluster_size"].append(len(members))
        samples.append(
            {
                "size": len(members),
                "kept": {"id": info[kept][0], "url": info[kept][1]},
                "duplicates": [
                    {"id": info[d][0], "url": info[d][1]} for d in members[1 : 1 + SAMPLE_DUPLICATES]
                ],
            }
        )
    histogram = Counter(len(m) for m in clusters.values())
    return _write_decisions(workdir, rows, histogram, samples, len(labels))


def _write_decisions(
    workdir: str, rows: dict[str, list[Any]], histogram: Counter, samples: list[dict], n_docs: int
) -> dict[str, Any]:
    order = np.argsort(np.array(rows["id"], dtype=object)) if rows["id"] else []
    table = pa.table({k: [v[i] for i in order] for k, v in rows.items()}, schema=DECISIONS_SCHEMA)
    with (Location(workdir) / DECISIONS).atomic_output() as sink:
        pq.write_table(table, sink)
    samples.sort(key=lambda s: (-s["size"], s["kept"]["id"]))
    return {
        "documents": n_docs,
        "duplicates": len(rows["id"]),
        "clusters": sum(histogram.values()),
        "cluster_sizes": {str(k): v for k, v in sorted(histogram.items())},
        "sample_clusters": samples[:SAMPLE_CLUSTERS],
    }


@contextmanager
def _spill_directory(workdir: str) -> Iterator[Path]:
    """Bucket spill files: in the run's work directory when local, else in a local temporary one."""
    location = Location(workdir)
    if not location.is_local:
        with tempfile.TemporaryDirectory(prefix="curate-dedup-") as tmp:
            yield Path(tmp)
        return
    spill = location.as_path() / "buckets"
    spill.mkdir(parents=True, exist_ok=True)
    yield spill
    spill.rmdir()
