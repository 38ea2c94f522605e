"""The analysis of a segment's global stages on the local engine: keys -> clusters -> per-part decisions.

One read of the corpus serves every global stage of the segment (exact, then MinHash): each batch
of each part is keyed by every stage, and each stage's (key, document) records go to its own spill
files on disk, by key. The stages are then clustered in recipe order; the documents an earlier
stage removed are left out of the later stages' records, so the result is the one of running them
one after the other. Documents are dense integers inside this module (part offset + row); ids,
URLs and order keys are read for cluster members only.

Memory bound (N documents, K keys per document, D documents that have a duplicate):
- spill partitions are sized from N (footers) so that one holds at most PARTITION_BYTES (128 MB)
  of 24-byte records (K x N x 24 bytes on disk in all; at least the stage's `spill_partitions`
  files); one is in memory at a time (about 3x its size while sorted), and each bucket of two or
  more documents yields edges (member, first member);
- edges are deduplicated 64-bit codes (8 bytes each, at most K per member); components are found
  over the members only (vectorised min-label propagation);
- members' order keys, ids and URLs (~200 bytes each): O(D), read part by part;
- one byte per document marks what earlier stages removed.
So memory grows with the duplicates, not with the corpus. Decisions are written per part
(pipeline/core/clusters.py), so applying them costs each task its own part's list.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.clusters import (
    SAMPLE_DUPLICATES,
    analysis_stats,
    part_key,
    part_keys,
    renumber,
    write_part_decisions,
)
from pipeline.core.stage import GlobalStage
from pipeline.io.storage import Location

RECORD = np.dtype([("hi", "<u8"), ("lo", "<u8"), ("doc", "<i8")])
PARTITION_BYTES = 128 << 20  # records of one spill partition, loaded alone
# open files per stage at most (the usual limit is 1,024): past ~190 M MinHash documents a partition
# grows beyond PARTITION_BYTES instead
MAX_PARTITIONS = 512
_DOC_BITS = np.uint64(32)  # edge code = member << 32 | first member (dense documents < 2^32)


def analyze_locally(stages: list[GlobalStage], parts: list[str], workdirs: list[str]) -> list[dict[str, Any]]:
    """Write each stage's per-part decisions over the documents in `parts`; return their statistics."""
    part_keys(parts)
    rows = [pq.ParquetFile(Location(p).source()).metadata.num_rows for p in parts]  # footers only
    offsets = np.concatenate([[0], np.cumsum(rows, dtype=np.int64)])
    n_docs = int(offsets[-1])
    if n_docs >= 1 << 32:
        raise ValueError(f"{n_docs:,} documents: the local analysis numbers them in 32 bits; use Spark")
    removed = np.zeros(n_docs, dtype=bool)  # by earlier stages of the segment
    results = []
    with ExitStack() as stack:
        spills = [
            Spill(
                stack.enter_context(_spill_directory(w)), n_docs, getattr(stage.config, "spill_partitions", 1)
            )
            for stage, w in zip(stages, workdirs)
        ]
        for spill in spills:
            stack.callback(spill.close)
        _key_pass(stages, parts, spills)
        for stage, spill, workdir in zip(stages, spills, workdirs):
            before = int(removed.sum())
            nodes, labels = _clusters(spill, removed)
            results.append(_decide(stage, parts, offsets, nodes, labels, removed, workdir, n_docs - before))
    return results


class Spill:
    """One stage's (key, document) records, in partition files chosen by key."""

    def __init__(self, directory: Path, n_docs: int, min_partitions: int = 1) -> None:
        self.directory = directory
        self.n_docs = n_docs
        self.min_partitions = min_partitions
        self.paths: list[Path] = []
        self.files: list[BinaryIO] = []

    def write(self, hi: np.ndarray, lo: np.ndarray, docs: np.ndarray, keys_per_doc: int) -> None:
        if not self.files:  # sized at the first batch, when the keys per document are known
            needed = math.ceil(self.n_docs * keys_per_doc * RECORD.itemsize / PARTITION_BYTES)
            count = max(self.min_partitions, min(needed, MAX_PARTITIONS))
            self.paths = [self.directory / f"p{i:04d}.bin" for i in range(count)]
            self.files = [open(p, "wb") for p in self.paths]  # noqa: SIM115 - closed in close()
        records = np.empty(hi.size, dtype=RECORD)
        records["hi"], records["lo"], records["doc"] = hi, lo, docs
        partition = records["hi"] % np.uint64(len(self.files))
        order = np.argsort(partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(len(self.files) + 1))
        records = records[order]
        for i, handle in enumerate(self.files):
            if bounds[i + 1] > bounds[i]:
                handle.write(records[bounds[i] : bounds[i + 1]].tobytes())

    def partitions(self) -> Iterator[np.ndarray]:
        for handle in self.files:
            handle.close()
        for path in self.paths:
            yield np.fromfile(path, dtype=RECORD)
            os.remove(path)
        self.paths, self.files = [], []

    def close(self) -> None:
        for handle in self.files:
            handle.close()
        for path in self.paths:
            path.unlink(missing_ok=True)


def _key_pass(stages: list[GlobalStage], parts: list[str], spills: list[Spill]) -> None:
    """The one read of the corpus: every stage's keys of every document."""
    columns = list(dict.fromkeys(c for stage in stages for c in stage.key_columns))
    start = 0
    for part in parts:
        reader = pq.ParquetFile(Location(part).source())
        for batch in reader.iter_batches(batch_size=stages[0].read_batch_size, columns=columns):
            docs = np.arange(start, start + batch.num_rows, dtype=np.int64)
            start += batch.num_rows
            for stage, spill in zip(stages, spills):
                hi, lo, valid = stage.bucket_keys(batch)
                valid = np.broadcast_to(valid.reshape(len(docs), -1), hi.shape)
                docs_per_key = np.broadcast_to(docs[:, None], hi.shape)
                spill.write(hi[valid], lo[valid], docs_per_key[valid], hi.shape[1])


def _clusters(spill: Spill, removed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(members, labels): the documents linked to another one, and their component's smallest member."""
    codes = []
    for records in spill.partitions():
        records = records[~removed[records["doc"]]]  # an earlier stage's removals take no part
        codes.append(_bucket_edges(records))
    edges = np.unique(np.concatenate(codes)) if codes else np.empty(0, np.uint64)
    a = (edges >> _DOC_BITS).astype(np.int64)
    b = (edges & np.uint64(0xFFFFFFFF)).astype(np.int64)
    nodes = np.unique(np.concatenate([a, b]))
    pairs = np.stack([np.searchsorted(nodes, a), np.searchsorted(nodes, b)], axis=1)
    return nodes, nodes[components(len(nodes), pairs)]


def _bucket_edges(records: np.ndarray) -> np.ndarray:
    """Edges (member, first member) of every bucket holding two or more documents, as 64-bit codes."""
    if records.size < 2:
        return np.empty(0, dtype=np.uint64)
    order = np.lexsort((records["doc"], records["lo"], records["hi"]))
    hi, lo, docs = records["hi"][order], records["lo"][order], records["doc"][order]
    del records, order
    same = (hi[1:] == hi[:-1]) & (lo[1:] == lo[:-1])
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first_of = np.repeat(docs[starts], np.diff(np.append(starts, docs.size)))
    mask = docs != first_of
    return np.unique((docs[mask].astype(np.uint64) << _DOC_BITS) | first_of[mask].astype(np.uint64))


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


def _member_columns(
    stage: GlobalStage, parts: list[str], offsets: np.ndarray, members: np.ndarray
) -> tuple[list[str], list[str], list[str | None]]:
    """Order keys, ids and URLs of the member documents (sorted dense numbers), part by part."""
    columns = list(dict.fromkeys(["id", "url", *stage.order_columns]))
    owner = np.searchsorted(offsets, members, side="right") - 1
    okeys: list[str] = []
    ids: list[str] = []
    urls: list[str | None] = []
    for part_index in np.unique(owner):
        rows = members[owner == part_index] - offsets[part_index]
        table = pq.read_table(Location(parts[part_index]).source(), columns=columns).take(pa.array(rows))
        batch = table.combine_chunks().to_batches()[0] if table.num_rows else None
        if batch is None:
            continue
        okeys += stage.order_keys(batch)
        ids += batch.column("id").to_pylist()
        urls += batch.column("url").to_pylist()
    return okeys, ids, urls


def _decide(
    stage: GlobalStage,
    parts: list[str],
    offsets: np.ndarray,
    members: np.ndarray,
    labels: np.ndarray,
    removed: np.ndarray,
    workdir: str,
    n_docs: int,
) -> dict[str, Any]:
    """Pick each cluster's survivor (smallest order key, then first in part order), write the
    decisions per part, mark the removed documents in `removed`, return the statistics."""
    if not len(members):
        return analysis_stats(n_docs, 0, 0, {}, [])
    okeys, ids, urls = _member_columns(stage, parts, offsets, members)
    ranks = np.empty(len(okeys), dtype=np.int64)
    ranks[sorted(range(len(okeys)), key=okeys.__getitem__)] = np.arange(len(okeys))
    order = np.lexsort((members, ranks, labels))  # by cluster, then order key, then position
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_labels[1:] != sorted_labels[:-1])))
    sizes = np.diff(np.append(starts, len(order)))
    survivor = np.repeat(order[starts], sizes)  # per position in `order`: its cluster's survivor
    size_of = np.repeat(sizes, sizes)
    dropped = order[order != survivor]
    dropped_survivor = survivor[order != survivor]
    dropped_size = size_of[order != survivor]
    duplicate_of = [ids[s] for s in dropped_survivor]
    same = np.array([ids[d] == ids[s] for d, s in zip(dropped, dropped_survivor)], dtype=bool)
    _write_decisions(parts, offsets, members[dropped], duplicate_of, dropped_size, same, removed, workdir)
    removed[members[dropped]] = True
    samples = []
    for cluster in _largest(starts, sizes, ids, order):
        first = order[starts[cluster]]
        shown = order[starts[cluster] + 1 : starts[cluster] + min(sizes[cluster], 1 + SAMPLE_DUPLICATES)]
        samples.append(
            {
                "size": int(sizes[cluster]),
                "kept": {"id": ids[first], "url": urls[first]},
                "duplicates": [{"id": ids[d], "url": urls[d]} for d in shown],
            }
        )
    histogram = Counter(sizes.tolist())
    return analysis_stats(n_docs, len(dropped), int(same.sum()), dict(histogram), samples)


def _largest(starts: np.ndarray, sizes: np.ndarray, ids: list[str], order: np.ndarray) -> list[int]:
    """Indices of the sampled clusters: the largest, ties by the survivor's id."""
    if not len(sizes):
        return []
    cutoff = np.sort(sizes)[-min(len(sizes), 5)]
    candidates = np.flatnonzero(sizes >= cutoff)
    return sorted(candidates.tolist(), key=lambda c: (-sizes[c], ids[order[starts[c]]]))[:5]


def _write_decisions(
    parts: list[str],
    offsets: np.ndarray,
    docs: np.ndarray,
    duplicate_of: list[str],
    sizes: np.ndarray,
    same: np.ndarray,
    removed: np.ndarray,
    workdir: str,
) -> None:
    """One file per part that loses rows; rows numbered as this stage sees them (`renumber`)."""
    order = np.argsort(docs)
    docs, sizes, same = docs[order], sizes[order], same[order]
    duplicate_of = [duplicate_of[i] for i in order]
    owner = np.searchsorted(offsets, docs, side="right") - 1
    bounds = np.searchsorted(owner, np.arange(len(parts) + 1))
    for part_index in np.unique(owner):
        lo, hi = bounds[part_index], bounds[part_index + 1]
        start, end = offsets[part_index], offsets[part_index + 1]
        earlier = np.flatnonzero(removed[start:end])  # rows removed by the segment's earlier stages
        rows = renumber(docs[lo:hi] - start, earlier)
        table = pa.table(
            {
                "row": rows,
                "duplicate_of": duplicate_of[lo:hi],
                "cluster_size": sizes[lo:hi],
                "same_record": same[lo:hi],
            }
        )
        write_part_decisions(workdir, part_key(parts[part_index]), table)


@contextmanager
def _spill_directory(workdir: str) -> Iterator[Path]:
    """Bucket spill files: in the stage's work directory when local, else in a local temporary one."""
    location = Location(workdir)
    if not location.is_local:
        with tempfile.TemporaryDirectory(prefix="curate-dedup-") as tmp:
            yield Path(tmp)
        return
    spill = location.as_path() / "buckets"
    spill.mkdir(parents=True, exist_ok=True)
    try:
        yield spill
    finally:
        for leftover in spill.glob("*.bin"):
            leftover.unlink()
        spill.rmdir()
