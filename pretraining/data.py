"""Token streams over tokenized shards (SHARDDIR/manifest.json, the `curate tokenize` contract).

A split (train or val) is cut into *chunks*: one Parquet row group (~1M tokens, as `curate tokenize`
writes them) or a ~1M-token slice of an llm.c `.bin` shard ending at a document end (read through a
numpy memmap). Chunks are the
unit of sharding across ranks: each epoch the chunk list is put in a seeded order (or kept as listed
for validation) and rank r takes every world_size-th chunk of it. A rank concatenates its chunks'
tokens (documents as stored, each ending with its end-of-text id) and cuts the stream into samples
of context+1 tokens, back to back, so every token of an epoch reaches exactly one rank exactly once;
the stream runs on into the next epoch, so no tail is dropped (the one sample that straddles the
boundary holds the end of one epoch and the start of the next). The ranks' shares of an epoch differ by
up to a chunk, so under DDP one rank may begin its next epoch a few steps before another.

The position in the stream is (epoch, chunk index in this rank's order, token offset in the chunk):
`TokenLoader.state_dict()` returns it for the last batch handed out, and a loader built with that
state continues with exactly the next token. A background thread reads and packs ahead.

Memory: one chunk at a time (~1M tokens: 2 MB as uint16) plus `prefetch` batches of
micro_batch x (context+1) int64 ids. Shard token lists are never held whole.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

LLMC_MAGIC, LLMC_VERSION, LLMC_HEADER_INTS = 20240520, 1, 256
LLMC_HEADER_BYTES = LLMC_HEADER_INTS * 4
LLMC_CHUNK_TOKENS = 1 << 20  # llm.c shards have no row groups: read them in slices of about this many tokens
LLMC_ALIGN_SEARCH = 1 << 16  # tokens searched past a nominal slice end for a document end
SPLITS = ("train", "val")


@dataclass(frozen=True)
class ShardEntry:
    split: str
    path: Path
    tokens: int


@dataclass(frozen=True)
class Manifest:
    root: Path
    format: str  # "parquet" | "llmc"
    vocab_size: int
    dtype: str
    eot_id: int
    shards: tuple[ShardEntry, ...]
    raw: dict[str, Any]

    def split_shards(self, split: str) -> list[ShardEntry]:
        return [s for s in self.shards if s.split == split]

    def split_tokens(self, split: str) -> int:
        return sum(s.tokens for s in self.split_shards(split))

    def fingerprint(self) -> list[list[Any]]:
        """What identifies the data of a run (resume refuses a different one): per shard split, path,
        tokens and checksum."""
        return [[s.get("split"), s.get("path"), s.get("tokens"), s.get("sha256")] for s in self.raw["shards"]]


def read_manifest(sharddir: str | Path) -> Manifest:
    root = Path(sharddir)
    path = root / "manifest.json"
    if not root.is_dir():
        raise FileNotFoundError(f"shard directory {root} does not exist")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: SHARDDIR must be the output of `curate tokenize ... --output SHARDDIR`"
        )
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    for key in ("vocab_size", "dtype", "eot_id", "shards"):
        if key not in raw:
            raise ValueError(f"{path} has no {key!r} key")
    fmt = raw.get("format", "parquet")
    if fmt not in ("parquet", "llmc"):
        raise ValueError(f"{path}: unknown format {fmt!r} (expected parquet or llmc)")
    if raw["dtype"] not in ("uint16", "uint32"):
        raise ValueError(f"{path}: unknown dtype {raw['dtype']!r} (expected uint16 or uint32)")
    if fmt == "llmc" and raw["dtype"] != "uint16":
        raise ValueError(f"{path}: llmc shards hold uint16 tokens, the manifest says {raw['dtype']}")
    shards = []
    for i, entry in enumerate(raw["shards"]):
        missing = [k for k in ("split", "path", "tokens") if k not in entry]
        if missing:
            raise ValueError(f"{path}: shards[{i}] has no {', '.join(missing)}")
        shard_path = root / entry["path"]
        if not shard_path.is_file():
            raise FileNotFoundError(f"shard {shard_path} listed in {path} does not exist")
        shards.append(ShardEntry(entry["split"], shard_path, int(entry["tokens"])))
    return Manifest(root, fmt, int(raw["vocab_size"]), raw["dtype"], int(raw["eot_id"]), tuple(shards), raw)


@dataclass(frozen=True)
class Chunk:
    """A slice of a shard read in one go: a Parquet row group, or tokens [start, start+tokens) of a .bin."""

    path: Path
    row_group: int  # -1 for llmc
    start: int
    tokens: int


def list_chunks(manifest: Manifest, split: str, llmc_chunk_tokens: int = LLMC_CHUNK_TOKENS) -> list[Chunk]:
    """The chunks of a split in manifest order, from file metadata only (Parquet footers, .bin headers);
    checks that each shard holds the tokens the manifest says."""
    chunks: list[Chunk] = []
    for shard in manifest.split_shards(split):
        found = (
            _parquet_chunks(shard.path)
            if manifest.format == "parquet"
            else _llmc_chunks(shard.path, llmc_chunk_tokens, manifest.eot_id)
        )
        total = sum(c.tokens for c in found)
        if total != shard.tokens:
            raise ValueError(
                f"shard {shard.path} holds {total} tokens, its manifest entry says {shard.tokens}"
            )
        chunks += [c for c in found if c.tokens]
    return chunks


def _parquet_chunks(path: Path) -> list[Chunk]:
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    column = next((i for i, n in enumerate(names) if n.startswith("input_ids.")), None)
    if column is None:
        raise ValueError(f"shard {path} has no input_ids column (columns: {', '.join(names)})")
    # Leaf values of the list column = tokens (every document is non-empty: it ends with end-of-text).
    return [
        Chunk(path, g, 0, meta.row_group(g).column(column).num_values) for g in range(meta.num_row_groups)
    ]


def _llmc_header(path: Path) -> int:
    header = np.fromfile(path, dtype="<i4", count=LLMC_HEADER_INTS)
    if header.size < LLMC_HEADER_INTS or header[0] != LLMC_MAGIC or header[1] != LLMC_VERSION:
        raise ValueError(f"{path} is not an llm.c token shard (magic {LLMC_MAGIC}, version {LLMC_VERSION})")
    tokens = int(header[2])
    size = path.stat().st_size
    if size != LLMC_HEADER_BYTES + 2 * tokens:
        raise ValueError(
            f"{path}: header says {tokens} tokens, the file has {(size - LLMC_HEADER_BYTES) // 2}"
        )
    return tokens


def _llmc_chunks(path: Path, chunk_tokens: int, eot_id: int) -> list[Chunk]:
    """Slices of about chunk_tokens, each cut just after an end-of-text id found within
    LLMC_ALIGN_SEARCH tokens of the nominal cut (so chunks hold whole documents, as row groups do;
    a document longer than that is cut where it is)."""
    tokens = _llmc_header(path)
    ids = np.memmap(path, dtype="<u2", mode="r", offset=LLMC_HEADER_BYTES, shape=(tokens,))
    chunks, start = [], 0
    while start < tokens:
        nominal = start + chunk_tokens
        if nominal >= tokens:
            end = tokens
        else:
            hits = np.flatnonzero(ids[nominal - 1 : nominal - 1 + LLMC_ALIGN_SEARCH] == eot_id)
            end = nominal + int(hits[0]) if hits.size else nominal
        chunks.append(Chunk(path, -1, start, end - start))
        start = end
    return chunks


def read_chunk(chunk: Chunk) -> np.ndarray:
    """The chunk's token ids, 1-D, in the file's dtype."""
    if chunk.row_group < 0:
        ids = np.memmap(chunk.path, dtype="<u2", mode="r", offset=LLMC_HEADER_BYTES)
        return np.array(ids[chunk.start : chunk.start + chunk.tokens])
    table = pq.ParquetFile(chunk.path).read_row_group(chunk.row_group, columns=["input_ids"])
    ids = table.column(0).combine_chunks().flatten().to_numpy(zero_copy_only=False)
    if ids.size != chunk.tokens:
        raise ValueError(
            f"{chunk.path} row group {chunk.row_group}: read {ids.size} tokens, expected {chunk.tokens}"
        )
    return ids


class DataSplit:
    """One split's chunks, listed once and shared by the loaders over it."""

    def __init__(self, manifest: Manifest, split: str, llmc_chunk_tokens: int = LLMC_CHUNK_TOKENS) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})")
        self.manifest, self.split = manifest, split
        self.chunks = list_chunks(manifest, split, llmc_chunk_tokens)

    @property
    def tokens(self) -> int:
        return sum(c.tokens for c in self.chunks)

    def rank_chunks(self, epoch: int, rank: int, world_size: int, shuffle: bool, seed: int) -> list[Chunk]:
        """This rank's chunks for an epoch, in reading order: every world_size-th of the epoch's order."""
        order = np.arange(len(self.chunks))
        if shuffle:
            order = np.random.default_rng([seed, epoch]).permutation(len(self.chunks))
        return [self.chunks[i] for i in order[rank::world_size]]


@dataclass
class LoaderState:
    epoch: int = 0
    chunk: int = 0  # index into this rank's chunk order of the epoch
    offset: int = 0  # tokens of that chunk already handed out

    def to_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "chunk": self.chunk, "offset": self.offset}


class TokenLoader:
    """Batches (micro_batch, context+1) of int64 ids for one rank, in a fixed order, read ahead on a
    thread. `state_dict()` is the position after the last batch returned; pass it back as `state` to
    continue from there. Iterating never ends: the stream wraps around into the next epoch."""

    def __init__(
        self,
        data: DataSplit,
        micro_batch: int,
        context: int,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
        seed: int = 0,
        state: dict[str, Any] | None = None,
        prefetch: int = 4,
    ) -> None:
        if not data.chunks:
            raise ValueError(f"the {data.split} split of {data.manifest.root} holds no tokens")
        if len(data.chunks) < world_size:
            raise ValueError(
                f"the {data.split} split of {data.manifest.root} has {len(data.chunks)} chunk(s) (row groups) "
                f"for {world_size} ranks: every rank needs one; write smaller row groups or more shards"
            )
        self.data, self.micro_batch, self.context = data, micro_batch, context
        self.rank, self.world_size, self.shuffle, self.seed = rank, world_size, shuffle, seed
        start = LoaderState()
        if state is not None:
            self._check_state(state)
            start = LoaderState(int(state["epoch"]), int(state["chunk"]), int(state["offset"]))
        self._state = start
        self._queue: queue.Queue[tuple[np.ndarray, LoaderState] | BaseException] = queue.Queue(
            maxsize=prefetch
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(start,), daemon=True, name="token-loader")
        self._thread.start()

    def _check_state(self, state: dict[str, Any]) -> None:
        expected = {"split": self.data.split, "rank": self.rank, "world_size": self.world_size}
        for key, value in expected.items():
            if state.get(key) != value:
                raise ValueError(
                    f"the saved data position is for {key}={state.get(key)!r}, this run has {key}={value!r}: "
                    "resume with the same number of processes"
                )

    def state_dict(self) -> dict[str, Any]:
        return {
            **self._state.to_dict(),
            "split": self.data.split,
            "rank": self.rank,
            "world_size": self.world_size,
        }

    def __iter__(self) -> Iterator[np.ndarray]:
        return self

    def __next__(self) -> np.ndarray:
        item = self._queue.get()
        if isinstance(item, BaseException):
            self.close()
            raise item
        batch, self._state = item
        return batch

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def __enter__(self) -> TokenLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- producer thread --------------------------------------------------------------------------
    def _produce(self, start: LoaderState) -> None:
        try:
            for item in self._batches(start):
                if not self._put(item):
                    return
        except BaseException as err:  # handed to the consumer, which raises it
            self._put(err)

    def _put(self, item: tuple[np.ndarray, LoaderState] | BaseException) -> bool:
        """Queue item, waiting for room; False when the loader was closed meanwhile."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _batches(self, pos: LoaderState) -> Iterator[tuple[np.ndarray, LoaderState]]:
        size = self.micro_batch * (self.context + 1)
        buffer, filled = np.empty(size, dtype=np.int64), 0
        epoch, index, offset = pos.epoch, pos.chunk, pos.offset
        chunks = self.data.rank_chunks(epoch, self.rank, self.world_size, self.shuffle, self.seed)
        while not self._stop.is_set():
            if index >= len(chunks):  # end of this rank's epoch: the stream runs on into the next
                epoch, index, offset = epoch + 1, 0, 0
                chunks = self.data.rank_chunks(epoch, self.rank, self.world_size, self.shuffle, self.seed)
            chunk = chunks[index]
            ids = read_chunk(chunk)[offset:] if offset < chunk.tokens else ids_empty()
            while ids.size:
                take = min(size - filled, ids.size)
                buffer[filled : filled + take] = ids[:take]
                filled, offset, ids = filled + take, offset + take, ids[take:]
                if filled == size:
                    nxt = (index + 1, 0) if offset == chunk.tokens else (index, offset)
                    yield buffer.reshape(self.micro_batch, self.context + 1), LoaderState(epoch, *nxt)
                    buffer, filled = np.empty(size, dtype=np.int64), 0
            index, offset = index + 1, 0


def ids_empty() -> np.ndarray:
    return np.empty(0, dtype=np.int64)
