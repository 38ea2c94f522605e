"""Deduplication as global stages: `exact_dedup` (128-bit hash of normalised text; our addition, not
in FineWeb) and `minhash_dedup` (MinHash LSH, FineWeb's parameters and hashing).

What they compute (see `GlobalStage`): each document's bucket keys (one 128-bit hash of the
normalised text; or, for MinHash, one key per band of its signature), plus one key per record id;
documents sharing a key are linked, links form clusters (connected components), and one document
per cluster survives, chosen by content so that every engine and input order keeps the same one:
the smallest id (default) or the oldest (`keep: oldest`, WARC date, then id); ties (the same id
twice) go to the first in part order. The others become rejected rows with `duplicate_of` naming
the kept document. A row with the survivor's own id is the same record read twice (overlapping
inputs, `curate dedup` over two runs): it is dropped once as `<stage>:same_record`, the first copy
stays, and the id key links the copies even when their texts differ. With `per_dump` (default, as
FineWeb) only documents of the same CommonCrawl dump are compared. How the clusters are found is
the engines' business: pipeline/engines/local_dedup.py (spill files and numpy, with its memory
bound) and pipeline/engines/spark_dedup.py (DataFrames); both write per-part decisions
(pipeline/core/clusters.py) that `process` applies.
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
from pipeline.core.clusters import PartDecisions
from pipeline.core.config import ConfigError
from pipeline.core.registry import register
from pipeline.core.stage import GlobalStage, Rejection, StageOutput, split_batch

KEEP_CHOICES = ("smallest_id", "oldest")
_DUMP = re.compile(r"CC-MAIN-\d{4}-\d{2}")
_LOW64 = (1 << 64) - 1


@dataclass
class DedupConfig:
    keep: str = "smallest_id"  # which document of a cluster survives: smallest_id | oldest
    # Only documents of the same CommonCrawl dump (CC-MAIN-YYYY-WW in `source_file`) can be duplicates,
    # as FineWeb deduplicated each dump on its own; inputs without a dump id form one group.
    per_dump: bool = True
    batch_size: int = 2048  # documents per batch when the analysis reads the parts
    # spill files of the local analysis, at least (it adds more to keep each under 128 MB in memory)
    spill_partitions: int = 16

    def __post_init__(self) -> None:
        if self.keep not in KEEP_CHOICES:
            raise ConfigError(f"keep must be one of {', '.join(KEEP_CHOICES)}, got {self.keep!r}")
        if self.spill_partitions < 1:
            raise ConfigError("spill_partitions must be at least 1")


SHORT_DOCUMENTS = ("skip", "one_shingle")


@dataclass
class MinhashDedupConfig(DedupConfig):
    # FineWeb: word 5-grams, 112 permutations = 14 bands x 8 rows, seed 1, sha1 at 64-bit precision.
    ngram: int = 5  # word n-gram size of the shingles
    num_perm: int = 112  # MinHash permutations per document
    bands: int = 14  # LSH bands: documents sharing all rows of one band are linked
    rows: int = 8  # rows (hashes) per band
    seed: int = 1  # seed of the permutations
    # shingle hash: sha1_64 (FineWeb) | sha1_32 (datasketch's MinHash) | xxh64 | fast64 | rensa (the
    # fastest, >10x datasketch, needs the rensa package; fast64 is the fastest without it)
    hash: str = "sha1_64"
    # A text with fewer than `ngram` words: `skip` (datatrove: no shingle, no signature, never a
    # duplicate) or `one_shingle` (one shingle of all its words, so short copies can match).
    short_documents: str = "skip"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hash not in minhash.MODES:
            raise ConfigError(f"hash must be one of {', '.join(minhash.MODES)}, got {self.hash!r}")
        if self.hash == "rensa":
            minhash.rensa_minhash()  # a clear error now, not in the workers
        if self.short_documents not in SHORT_DOCUMENTS:
            raise ConfigError(
                f"short_documents must be one of {', '.join(SHORT_DOCUMENTS)}, got {self.short_documents!r}"
            )
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")


def _dump_salt(source_files: list[str | None]) -> np.ndarray:
    """A per-document 64-bit salt naming its CommonCrawl dump, so dumps never share buckets."""
    salts = []
    for source in source_files:
        match = _DUMP.search(source or "")
        salts.append(xxhash.xxh64_intdigest((match.group(0) if match else "").encode()))
    return np.array(salts, dtype=np.uint64)


def _record_keys(ids: list[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One 128-bit key per document id (its record): rows with the same id are always linked.

    The prefix keeps them apart from text keys (normalised text holds no NUL) and, their low half
    being non-zero but with probability 2^-64, from MinHash band keys (whose low half is 0).
    """
    digests = [xxhash.xxh3_128_intdigest(b"\0record\0" + i.encode()) if i else 0 for i in ids]
    hi = np.array([d >> 64 for d in digests], dtype=np.uint64)
    lo = np.array([d & _LOW64 for d in digests], dtype=np.uint64)
    return hi, lo, np.array([bool(i) for i in ids], dtype=bool)


class DuplicateRemover(GlobalStage):
    """Shared by both dedup stages: keys per document (subclasses hash the text, plus one key per
    record id), the survivor's order key, and `process`, which applies one part's decisions."""

    Config: ClassVar[type] = DedupConfig
    reason: ClassVar[str] = "duplicate"
    _unpicklable = ("_part", "_hasher")

    def text_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo) uint64 arrays of shape (n, bands), and a mask of the texts that take part."""
        raise NotImplementedError

    @property
    def key_columns(self) -> list[str]:
        return ["id", "text", "source_file"] if self.config.per_dump else ["id", "text"]

    @property
    def order_columns(self) -> list[str]:
        return ["id", "warc_date"] if self.config.keep == "oldest" else ["id"]

    @property
    def read_batch_size(self) -> int:
        return self.config.batch_size

    def document_keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The content keys of each row (the text's), before the record key is added."""
        return self.text_keys([t or "" for t in batch.column("text").to_pylist()])

    def bucket_keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        hi, lo, valid = self.document_keys(batch)
        id_hi, id_lo, id_valid = _record_keys(batch.column("id").to_pylist())
        hi = np.concatenate([hi, id_hi[:, None]], axis=1)
        lo = np.concatenate([lo, id_lo[:, None]], axis=1)
        valid = np.concatenate(
            [np.repeat(valid[:, None], hi.shape[1] - 1, axis=1), id_valid[:, None]], axis=1
        )
        if self.config.per_dump:
            hi ^= _dump_salt(batch.column("source_file").to_pylist())[:, None]
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
        self._part: PartDecisions | None = None

    def start_part(self, key: str) -> None:
        assert self.workdir is not None
        self._part = PartDecisions.load(self.workdir, key)  # this part's removals only

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        if self._part is None:
            raise RuntimeError(f"{self.name}: rows came before start_part named their part")
        ids = batch.column("id").to_pylist()
        verdicts: list[Rejection | None] = [None] * batch.num_rows
        duplicate_of: list[str] = []
        for offset, survivor, size, same in self._part.take(batch.num_rows):
            if same and ids[offset] != survivor:  # decisions of another version of this part
                raise RuntimeError(f"{self.name}: decisions do not match the part's rows (row {offset})")
            reason = "same_record" if same else self.reason
            verdicts[offset] = Rejection(f"{self.name}:{reason}", float(size))
            duplicate_of.append(survivor)
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
    reasons = ("exact_dedup:duplicate", "exact_dedup:same_record")

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
    reasons = ("minhash_dedup:near_duplicate", "minhash_dedup:same_record")

    def setup_hasher(self) -> minhash.MinHasher:
        hasher = getattr(self, "_hasher", None)
        if hasher is None:
            c = self.config
            hasher = self._hasher = minhash.MinHasher(
                num_perm=c.num_perm,
                seed=c.seed,
                ngram=c.ngram,
                hash=c.hash,
                short=c.short_documents == "one_shingle",
            )
        return hasher

    def text_keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        signatures = self.setup_hasher().signatures(texts)
        hi = minhash.bands(signatures, self.config.bands, self.config.rows)
        valid = ~np.asarray(minhash.is_empty(signatures))
        return hi, np.zeros_like(hi), valid
