"""Deduplication as global stages: `exact_dedup` (128-bit hash of normalised text) and
`minhash_dedup` (MinHash LSH, FineWeb's parameters).

Both find groups of duplicate documents, join overlapping groups into clusters (connected
components) and keep one document per cluster, chosen by content so that every engine and input
order keeps the same one: the smallest id (default) or the oldest (`keep: oldest`, WARC date, then
id). The others become rejected rows with `duplicate_of` naming the kept document.

Local analysis, and its memory bound (N = documents reaching the stage, B = bands):
- pass 1 streams the parts batch by batch, computes each document's bucket keys (one per band,
  128-bit) and appends (key, doc number) records to `spill_partitions` files chosen by key, on disk;
- each partition file is then loaded alone (about 24 * B * N / spill_partitions bytes), sorted, and
  every bucket with two or more documents yields edges from its members to its first member;
- components come from vectorised min-label propagation over those edges: 8 bytes per document for
  the labels plus 16 bytes per edge (edges exist only for documents that have a duplicate);
- pass 2 reads the `id` (and `warc_date`) of documents in non-trivial clusters to choose the kept one.
So RAM is O(N) small integers plus one partition; signatures are never all held in memory.

Spark analysis: the same keys in `mapInArrow`, buckets by `groupBy`, and connected components by
iterated min-label propagation in DataFrames (no graphframes), with the kept document's key as label.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from filters import minhash
from filters.ngrams import normalize
from pipeline.config import ConfigError
from pipeline.registry import register
from pipeline.stage import GlobalStage, Rejection, StageOutput, split_batch
from pipeline.storage import Location

RECORD = np.dtype([("hi", "<u8"), ("lo", "<u8"), ("doc", "<i8")])
DECISIONS = "decisions.parquet"
DECISIONS_SCHEMA = pa.schema(
    [("id", pa.string()), ("duplicate_of", pa.string()), ("cluster_size", pa.int64())]
)
KEEP_CHOICES = ("smallest_id", "oldest")
_DUMP = re.compile(r"CC-MAIN-\d{4}-\d{2}")
SAMPLE_CLUSTERS = 5


@dataclass
class DedupConfig:
    keep: str = "smallest_id"  # which document of a cluster survives: smallest_id | oldest
    per_dump: bool = False  # only documents of the same CommonCrawl dump (CC-MAIN-YYYY-WW) can be duplicates
    batch_size: int = 2048
    spill_partitions: int = 16  # more partitions: less memory per partition during the local analysis

    def __post_init__(self) -> None:
        if self.keep not in KEEP_CHOICES:
            raise ConfigError(f"keep must be one of {', '.join(KEEP_CHOICES)}, got {self.keep!r}")
        if self.spill_partitions < 1:
            raise ConfigError("spill_partitions must be at least 1")


@dataclass
class MinhashDedupConfig(DedupConfig):
    # FineWeb: word 5-grams, 112 permutations = 14 bands x 8 rows, seed 1, 64-bit sha1 hashing.
    # Default hashing is the datasketch-compatible one (`sha1_32`); `sha1_64` is FineWeb's precision.
    ngram: int = 5
    num_perm: int = 112
    bands: int = 14
    rows: int = 8
    seed: int = 1
    hash: str = "sha1_32"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hash not in minhash.MODES:
            raise ConfigError(f"hash must be one of {', '.join(minhash.MODES)}, got {self.hash!r}")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")


def _dump_salt(source_files: list[str | None]) -> np.ndarray:
    """A per-document 64-bit salt naming its CommonCrawl dump, so dumps never share buckets."""
    salts = []
    for source in source_files:
        match = _DUMP.search(source or "")
        salts.append(xxhash.xxh64_intdigest((match.group(0) if match else "").encode()))
    return np.array(salts, dtype=np.uint64)


class DuplicateRemover(GlobalStage):
    """Shared machinery: bucket keys -> clusters -> decisions; `process` applies the decisions."""

    Config: ClassVar[type] = DedupConfig
    reason: ClassVar[str] = "duplicate"
    _unpicklable = ("_decisions", "_hasher")

    # -- keys: what makes two documents candidates --------------------------------------------
    def bucket_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo) uint64 arrays of shape (n, bands), and a mask of documents that take part."""
        raise NotImplementedError

    def _keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        texts = [t or "" for t in batch.column("text").to_pylist()]
        hi, lo, valid = self.bucket_keys(texts)
        if self.config.per_dump:
            hi = hi ^ _dump_salt(batch.column("source_file").to_pylist())[:, None]
        return hi, lo, valid

    def order_keys(self, batch: pa.RecordBatch) -> list[str]:
        """The key that picks the survivor of a cluster (smallest wins)."""
        ids = batch.column("id").to_pylist()
        if self.config.keep == "oldest":
            dates = batch.column("warc_date").to_pylist()
            return [f"{d or '9999'}|{i}" for d, i in zip(dates, ids)]
        return ids

    # -- local analysis ------------------------------------------------------------------------
    def _batches(self, parts: list[str], columns: list[str]) -> Iterator[pa.RecordBatch]:
        for part in parts:
            yield from pq.ParquetFile(Location(part).source()).iter_batches(
                batch_size=self.config.batch_size, columns=columns
            )

    def analyze(self, parts: list[str], workdir: str) -> dict[str, Any]:
        with _spill_directory(workdir) as spill:
            labels = self._label_documents(parts, spill)
        return self._decide(parts, labels, workdir)

    def _label_documents(self, parts: list[str], spill: Path) -> np.ndarray:
        """Pass 1: every document's component label (see the module docstring for the memory bound)."""
        columns = ["text", "source_file"] if self.config.per_dump else ["text"]
        n_docs = 0
        with ExitStack() as stack:
            paths = [spill / f"p{i:03d}.bin" for i in range(self.config.spill_partitions)]
            files = [stack.enter_context(open(p, "wb")) for p in paths]
            for batch in self._batches(parts, columns):
                hi, lo, valid = self._keys(batch)
                docs = np.arange(n_docs, n_docs + batch.num_rows, dtype=np.int64)
                n_docs += batch.num_rows
                records = np.empty(hi[valid].size, dtype=RECORD)
                records["hi"] = hi[valid].ravel()
                records["lo"] = lo[valid].ravel()
                records["doc"] = np.repeat(docs[valid], hi.shape[1])
                partition = records["hi"] % np.uint64(len(files))
                for i, handle in enumerate(files):
                    handle.write(records[partition == i].tobytes())
        edges = [
            self._bucket_edges(np.fromfile(spill / f"p{i:03d}.bin", dtype=RECORD)) for i in range(len(files))
        ]
        for i in range(len(files)):
            os.remove(spill / f"p{i:03d}.bin")
        edges_all = np.concatenate([e for e in edges] or [np.empty((0, 2), np.int64)])
        return components(n_docs, edges_all)

    @staticmethod
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

    def _decide(self, parts: list[str], labels: np.ndarray, workdir: str) -> dict[str, Any]:
        """Pick each cluster's survivor by its order key and write the decisions."""
        sizes = np.bincount(labels, minlength=len(labels))
        in_cluster = sizes[labels] > 1
        keys: dict[int, str] = {}
        info: dict[int, tuple[str, str | None]] = {}
        columns = ["id", "url"] + (["warc_date"] if self.config.keep == "oldest" else [])
        start = 0
        for batch in self._batches(parts, columns):
            docs = np.arange(start, start + batch.num_rows)
            start += batch.num_rows
            chosen = np.flatnonzero(in_cluster[docs])
            if chosen.size == 0:
                continue
            order = self.order_keys(batch)
            ids = batch.column("id").to_pylist()
            urls = batch.column("url").to_pylist()
            for i in chosen:
                keys[int(docs[i])] = order[i]
                info[int(docs[i])] = (ids[i], urls[i])
        clusters: dict[int, list[int]] = {}
        for doc in keys:
            clusters.setdefault(int(labels[doc]), []).append(doc)
        rows = {"id": [], "duplicate_of": [], "cluster_size": []}
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
                    "duplicates": [{"id": info[d][0], "url": info[d][1]} for d in members[1:6]],
                }
            )
        histogram = Counter(len(m) for m in clusters.values())
        return self._write_decisions(workdir, rows, histogram, samples, len(labels))

    def _write_decisions(
        self, workdir: str, rows: dict[str, list], histogram: Counter, samples: list[dict], n_docs: int
    ) -> dict[str, Any]:
        order = np.argsort(np.array(rows["id"], dtype=object)) if rows["id"] else []
        table = pa.table(
            {k: [v[i] for i in order] for k, v in rows.items()},
            schema=DECISIONS_SCHEMA,
        )
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

    # -- applying the decisions (both engines) ---------------------------------------------------
    def setup(self) -> None:
        if self.workdir is None:
            raise RuntimeError(f"{self.name}: decisions not computed (the runner sets workdir)")
        table = pq.read_table((Location(self.workdir) / DECISIONS).source())
        self._decisions = {
            i: (d, s)
            for i, d, s in zip(*(table.column(c).to_pylist() for c in ("id", "duplicate_of", "cluster_size")))
        }

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        ids = batch.column("id").to_pylist()
        verdicts: list[Rejection | None] = []
        duplicate_of: list[str] = []
        for doc_id in ids:
            hit = self._decisions.get(doc_id)
            if hit is None:
                verdicts.append(None)
            else:
                verdicts.append(Rejection(f"{self.name}:{self.reason}", float(hit[1])))
                duplicate_of.append(hit[0])
        out = split_batch(batch, verdicts)
        rejected = out.rejected.append_column("duplicate_of", pa.array(duplicate_of, pa.string()))
        return StageOutput(kept=out.kept, rejected=rejected)

    def rejected_fields(self) -> list[pa.Field]:
        return [pa.field("duplicate_of", pa.string())]

    # -- Spark analysis --------------------------------------------------------------------------
    def analyze_spark(self, spark: Any, parts: list[str], workdir: str) -> dict[str, Any]:
        from filters.dedup_spark import analyze_with_spark

        return analyze_with_spark(self, spark, parts, workdir)


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


@register
class ExactDedup(DuplicateRemover):
    """Exact duplicates of the normalised text (lower case, no punctuation, digits as 0, no accents)."""

    name = "exact_dedup"
    Config = DedupConfig

    def bucket_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        digests = [xxhash.xxh3_128_intdigest(normalize(t).encode()) for t in texts]
        hi = np.array([d >> 64 for d in digests], dtype=np.uint64)[:, None]
        lo = np.array([d & ((1 << 64) - 1) for d in digests], dtype=np.uint64)[:, None]
        valid = np.array([bool(t.strip()) for t in texts], dtype=bool)
        return hi, lo, valid


@register
class MinhashDedup(DuplicateRemover):
    """Near duplicates: MinHash LSH over word n-grams of the normalised text."""

    name = "minhash_dedup"
    Config = MinhashDedupConfig
    reason = "near_duplicate"

    def setup_hasher(self) -> minhash.MinHasher:
        hasher = getattr(self, "_hasher", None)
        if hasher is None:
            c = self.config
            hasher = self._hasher = minhash.MinHasher(
                num_perm=c.num_perm, seed=c.seed, ngram=c.ngram, hash=c.hash
            )
        return hasher

    def bucket_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        signatures = self.setup_hasher().signatures(texts)
        hi = minhash.bands(signatures, self.config.bands, self.config.rows)
        valid = ~np.asarray(minhash.is_empty(signatures))
        return hi, np.zeros_like(hi), valid
