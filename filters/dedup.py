"""Deduplication as global stages: `exact_dedup` (128-bit hash of normalised text) and
`minhash_dedup` (MinHash LSH, FineWeb's parameters).

What they compute (see `GlobalStage`): each document's bucket keys (one 128-bit hash of the
normalised text; or, for MinHash, one key per band of its signature); documents sharing a key are
linked, links form clusters (connected components), and one document per cluster survives, chosen by
content so that every engine and input order keeps the same one: the smallest id (default) or the
oldest (`keep: oldest`, WARC date, then id). The others become rejected rows with `duplicate_of`
naming the kept document. How the clusters are found is the engines' business:
pipeline/engines/local_dedup.py (spill files and numpy, with its memory bound) and
pipeline/engines/spark_dedup.py (DataFrames).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
import xxhash

from filters import minhash
from filters.ngrams import normalize
from pipeline.core.clusters import read_decisions
from pipeline.core.config import ConfigError
from pipeline.core.registry import register
from pipeline.core.stage import GlobalStage, Rejection, StageOutput, split_batch

KEEP_CHOICES = ("smallest_id", "oldest")
_DUMP = re.compile(r"CC-MAIN-\d{4}-\d{2}")


@dataclass
class DedupConfig:
    keep: str = "smallest_id"  # which document of a cluster survives: smallest_id | oldest
    per_dump: bool = False  # only documents of the same CommonCrawl dump (CC-MAIN-YYYY-WW) can be duplicates
    batch_size: int = 2048  # documents per batch when the analysis reads the parts
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
    ngram: int = 5  # word n-gram size of the shingles
    num_perm: int = 112  # MinHash permutations per document
    bands: int = 14  # LSH bands: documents sharing all rows of one band are linked
    rows: int = 8  # rows (hashes) per band
    seed: int = 1  # seed of the permutations
    hash: str = "sha1_32"  # shingle hash: sha1_32 (datasketch) | sha1_64 (FineWeb) | xxh64 | fast64

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
    """Shared by both dedup stages: keys per document (subclasses hash the text), the survivor's order
    key, and `process`, which applies the decisions of the analysis."""

    Config: ClassVar[type] = DedupConfig
    reason: ClassVar[str] = "duplicate"
    _unpicklable = ("_decisions", "_hasher")

    def text_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo) uint64 arrays of shape (n, bands), and a mask of the texts that take part."""
        raise NotImplementedError

    @property
    def key_columns(self) -> list[str]:
        return ["text", "source_file"] if self.config.per_dump else ["text"]

    @property
    def order_columns(self) -> list[str]:
        return ["id", "warc_date"] if self.config.keep == "oldest" else ["id"]

    @property
    def read_batch_size(self) -> int:
        return self.config.batch_size

    def bucket_keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        texts = [t or "" for t in batch.column("text").to_pylist()]
        hi, lo, valid = self.text_keys(texts)
        if self.config.per_dump:
            hi = hi ^ _dump_salt(batch.column("source_file").to_pylist())[:, None]
        return hi, lo, valid

    def order_keys(self, batch: pa.RecordBatch) -> list[str]:
        ids = batch.column("id").to_pylist()
        if self.config.keep == "oldest":
            dates = batch.column("warc_date").to_pylist()
            return [f"{d or '9999'}|{i}" for d, i in zip(dates, ids)]
        return ids

    # -- applying the decisions (both engines) ---------------------------------------------------
    def setup(self) -> None:
        if self.workdir is None:
            raise RuntimeError(f"{self.name}: decisions not computed (the runner sets workdir)")
        self._decisions = read_decisions(self.workdir)

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


@register
class ExactDedup(DuplicateRemover):
    """Exact duplicates of the normalised text (lower case, no punctuation, digits as 0, no accents)."""

    name = "exact_dedup"
    Config = DedupConfig
    reasons = ("exact_dedup:duplicate",)

    def text_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    reasons = ("minhash_dedup:near_duplicate",)

    def setup_hasher(self) -> minhash.MinHasher:
        hasher = getattr(self, "_hasher", None)
        if hasher is None:
            c = self.config
            hasher = self._hasher = minhash.MinHasher(
                num_perm=c.num_perm, seed=c.seed, ngram=c.ngram, hash=c.hash
            )
        return hasher

    def text_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        signatures = self.setup_hasher().signatures(texts)
        hi = minhash.bands(signatures, self.config.bands, self.config.rows)
        valid = ~np.asarray(minhash.is_empty(signatures))
        return hi, np.zeros_like(hi), valid
