"""Tokenized shards in the `curate tokenize` contract, written from token-id lists (tests and bench).

    write_shards(SHARDDIR, train_docs, val_docs, vocab_size=..., eot_id=...)   # ids you choose
    write_text_shards(SHARDDIR, texts, tokenizer)                              # texts, tokenized
    python -m devdata.shards --output SHARDDIR --tokens 20000000 [--vocab-size 50257]   # random ids, fast

Each document is a list of token ids without the end-of-text id; the writer appends it, as `curate
tokenize` does. Parquet shards get row groups bounded by `row_group_tokens` (at document boundaries)
so small fixtures still have many row groups; llm.c `.bin` shards get the 256-int32 header.
`byte_level_tokenizer` trains a real byte-level BPE (HF tokenizers) in-process on synthetic text, so
shards are self-contained with a tokenizer.json, like real ones. Stands in for `curate tokenize`
until tests run end to end on its output. `write_random_shards` writes many tokens quickly (random
ids, GPT-2's vocabulary size by default) for throughput measurements, where content does not matter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EOT = "<|endoftext|>"
LLMC_MAGIC, LLMC_VERSION = 20240520, 1

_SUBJECTS = [
    "the cat",
    "a small dog",
    "the old farmer",
    "my neighbour",
    "the river",
    "a young girl",
    "the wind",
]
_VERBS = ["sees", "follows", "carries", "finds", "remembers", "paints", "visits"]
_OBJECTS = [
    "the red barn",
    "a quiet village",
    "the long road",
    "an apple tree",
    "the blue boat",
    "a warm fire",
]
_ENDINGS = ["every morning", "before the rain", "after dinner", "in the spring", "at night", "with care"]


def synthetic_texts(documents: int, seed: int = 0, sentences: tuple[int, int] = (2, 6)) -> list[str]:
    """Short English-like documents from fixed word banks (seeded: same arguments, same texts)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(documents):
        parts = [
            f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_ENDINGS)}."
            for _ in range(rng.randint(*sentences))
        ]
        texts.append(" ".join(parts))
    return texts


def byte_level_tokenizer(texts: Iterable[str], vocab_size: int = 384) -> Any:
    """A byte-level BPE `tokenizers.Tokenizer` trained on texts, with <|endoftext|> as a special token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def write_text_shards(
    sharddir: str | Path,
    texts: Sequence[str],
    tokenizer: Any,
    val_fraction: float = 0.1,
    **options: Any,
) -> dict[str, Any]:
    """Tokenize texts with tokenizer (a `tokenizers.Tokenizer`) and write them as shards; the last
    val_fraction of the documents (at least one) form the val split."""
    docs = [enc.ids for enc in tokenizer.encode_batch(list(texts), add_special_tokens=False)]
    n_val = max(1, round(len(docs) * val_fraction)) if val_fraction > 0 else 0
    return write_shards(
        sharddir,
        docs[: len(docs) - n_val],
        docs[len(docs) - n_val :],
        vocab_size=tokenizer.get_vocab_size(),
        eot_id=tokenizer.token_to_id(EOT),
        tokenizer_json=tokenizer.to_str(),
        **options,
    )


def write_shards(
    sharddir: str | Path,
    train_docs: Sequence[Sequence[int]],
    val_docs: Sequence[Sequence[int]],
    *,
    vocab_size: int,
    eot_id: int,
    tokenizer_json: str | None = None,
    fmt: str = "parquet",
    shard_tokens: int = 100_000_000,
    row_group_tokens: int = 1_000_000,
) -> dict[str, Any]:
    """Write SHARDDIR/{train,val}/shard-NNNNN.{parquet,bin} and manifest.json; returns the manifest."""
    root = Path(sharddir)
    root.mkdir(parents=True, exist_ok=True)
    dtype = "uint16" if vocab_size <= 65536 else "uint32"
    if fmt == "llmc" and dtype != "uint16":
        raise ValueError(f"llmc shards need vocab_size <= 65536, got {vocab_size}")
    tok_sha = ""
    if tokenizer_json is not None:
        (root / "tokenizer.json").write_text(tokenizer_json)
        tok_sha = hashlib.sha256(tokenizer_json.encode()).hexdigest()
    entries: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for split, docs in (("train", train_docs), ("val", val_docs)):
        with_eot = [[*doc, eot_id] for doc in docs]
        groups = _bounded(with_eot, shard_tokens)
        for i, shard_docs in enumerate(groups):
            rel = f"{split}/shard-{i:05d}.{'bin' if fmt == 'llmc' else 'parquet'}"
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "llmc":
                _write_llmc(path, shard_docs)
            else:
                ids = [f"{split}-{i}-{j}" for j in range(len(shard_docs))]
                _write_parquet(path, shard_docs, ids, dtype, row_group_tokens)
            entries.append(
                {
                    "split": split,
                    "path": rel,
                    "tokens": sum(len(d) for d in shard_docs),
                    "documents": len(shard_docs),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
            )
        totals[split] = {
            "tokens": sum(len(d) for d in with_eot),
            "documents": len(with_eot),
            "shards": len(groups),
        }
    n_tokens = totals["train"]["tokens"] + totals["val"]["tokens"]
    n_docs = totals["train"]["documents"] + totals["val"]["documents"]
    manifest = {
        "format": fmt,
        "version": 1,
        "tokenizer": {
            "sha256": tok_sha,
            "vocab_size": vocab_size,
            "eot_token": EOT,
            "eot_id": eot_id,
            "source": "devdata",
        },
        "vocab_size": vocab_size,
        "dtype": dtype,
        "eot_id": eot_id,
        "val_fraction": len(val_docs) / max(1, len(train_docs) + len(val_docs)),
        "shard_tokens": shard_tokens,
        "sources": [
            {
                "name": "devdata",
                "inputs": [],
                "weight": 1.0,
                "epochs": 1.0,
                "documents": n_docs,
                "tokens": n_tokens,
                "share": 1.0,
            }
        ],
        "shards": entries,
        "totals": {"tokens": n_tokens, "documents": n_docs, **totals},
    }
    _write_manifest(root, manifest)
    return manifest


def _bounded(docs: list[list[int]], limit: int) -> list[list[list[int]]]:
    """Consecutive groups of documents of at most `limit` tokens (a longer document is a group alone)."""
    groups: list[list[list[int]]] = []
    current: list[list[int]] = []
    size = 0
    for doc in docs:
        if current and size + len(doc) > limit:
            groups.append(current)
            current, size = [], 0
        current.append(doc)
        size += len(doc)
    if current:
        groups.append(current)
    return groups


def _write_parquet(
    path: Path, docs: list[list[int]], ids: list[str], dtype: str, row_group_tokens: int
) -> None:
    schema = pa.schema(
        [("input_ids", pa.list_(pa.uint16() if dtype == "uint16" else pa.uint32())), ("id", pa.string())]
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        start = 0
        for group in _bounded(docs, row_group_tokens):
            table = pa.table({"input_ids": group, "id": ids[start : start + len(group)]}, schema=schema)
            writer.write_table(table, row_group_size=len(group))
            start += len(group)


def _write_llmc(path: Path, docs: list[list[int]]) -> None:
    tokens = np.array([t for doc in docs for t in doc], dtype="<u2")
    header = np.zeros(256, dtype="<i4")
    header[:3] = (LLMC_MAGIC, LLMC_VERSION, tokens.size)
    with path.open("wb") as out:
        out.write(header.tobytes())
        out.write(tokens.tobytes())


def write_random_shards(
    sharddir: str | Path,
    train_tokens: int,
    val_tokens: int = 0,
    vocab_size: int = 50257,
    doc_tokens: int = 1000,
    shard_tokens: int = 100_000_000,
    row_group_tokens: int = 1 << 20,
    seed: int = 0,
) -> dict[str, Any]:
    """Parquet shards of documents of random ids (eot_id = vocab_size - 1, GPT-2's layout), written
    from numpy in row-group pieces: ~tens of millions of tokens per second, memory of one row group."""
    root = Path(sharddir)
    rng = np.random.default_rng(seed)
    eot_id = vocab_size - 1
    dtype = "uint16" if vocab_size <= 65536 else "uint32"
    value_type = pa.uint16() if dtype == "uint16" else pa.uint32()
    schema = pa.schema([("input_ids", pa.list_(value_type)), ("id", pa.string())])
    entries: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    docs_per_group = max(1, row_group_tokens // doc_tokens)
    for split, wanted in (("train", train_tokens), ("val", val_tokens)):
        n_docs = -(-wanted // doc_tokens) if wanted else 0
        written_docs, shard = 0, 0
        while written_docs < n_docs:
            rel = f"{split}/shard-{shard:05d}.parquet"
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            in_shard = min(n_docs - written_docs, max(1, shard_tokens // doc_tokens))
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for start in range(0, in_shard, docs_per_group):
                    count = min(docs_per_group, in_shard - start)
                    ids = rng.integers(0, eot_id, size=(count, doc_tokens), dtype=np.int64)
                    ids[:, -1] = eot_id
                    offsets = pa.array(np.arange(count + 1, dtype=np.int32) * doc_tokens)
                    lists = pa.ListArray.from_arrays(offsets, pa.array(ids.reshape(-1).astype(dtype)))
                    names = pa.array([f"{split}-{written_docs + start + i}" for i in range(count)])
                    writer.write_table(
                        pa.Table.from_arrays([lists, names], schema=schema), row_group_size=count
                    )
            entries.append(
                {
                    "split": split,
                    "path": rel,
                    "tokens": in_shard * doc_tokens,
                    "documents": in_shard,
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
            )
            written_docs += in_shard
            shard += 1
        totals[split] = {"tokens": n_docs * doc_tokens, "documents": n_docs, "shards": shard}
    n_tokens = totals["train"]["tokens"] + totals["val"]["tokens"]
    n_docs = totals["train"]["documents"] + totals["val"]["documents"]
    manifest = {
        "format": "parquet",
        "version": 1,
        "tokenizer": {
            "sha256": "",
            "vocab_size": vocab_size,
            "eot_token": EOT,
            "eot_id": eot_id,
            "source": "random",
        },
        "vocab_size": vocab_size,
        "dtype": dtype,
        "eot_id": eot_id,
        "val_fraction": totals["val"]["tokens"] / max(1, n_tokens),
        "shard_tokens": shard_tokens,
        "sources": [],
        "shards": entries,
        "totals": {"tokens": n_tokens, "documents": n_docs, **totals},
    }
    _write_manifest(root, manifest)
    return manifest


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, root / "manifest.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devdata.shards", description="Write shards of random token ids (for throughput runs)."
    )
    parser.add_argument("--output", required=True, metavar="SHARDDIR")
    parser.add_argument("--tokens", type=int, default=20_000_000, help="train tokens (default 20M)")
    parser.add_argument("--val-tokens", type=int, default=1 << 20)
    parser.add_argument("--vocab-size", type=int, default=50257, help="default: GPT-2's")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manifest = write_random_shards(args.output, args.tokens, args.val_tokens, args.vocab_size, seed=args.seed)
    print(f"{args.output}: {manifest['totals']['tokens']:,} tokens in {len(manifest['shards'])} shard(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
