"""`curate tokenize`: documents to tokenized training shards (the SHARDDIR contract).

Two phases. Phase 1 (tokenizer_training.parts) tokenizes every input part independently into a work
file under SHARDDIR/_work/ (local processes or Spark tasks: the same function). Phase 2
(tokenizer_training.shards) reads the work files in a fixed order and writes train/ and val/ shards,
then manifest.json (keys sorted, written last and atomically), a copy of tokenizer.json and
report.html, and removes _work/. The manifest holds no timings, engine or worker count, so a run
gives the same bytes everywhere.

--resume: SHARDDIR/_work/settings.json records the fingerprint of the settings and inputs; a rerun
with the same ones keeps the finished work files and redoes the rest, then rewrites every shard
(phase 2 is a copy, and rewriting gives identical files).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizer_training.documents import find_parts, part_sizes
from tokenizer_training.encoder import TOKENIZER_FILE, LoadedTokenizer, load_tokenizer
from tokenizer_training.mixture import Source, SourcePlan, check_sources, plan
from tokenizer_training.parts import TEMP_MARK, PartTask, run_local, work_path
from tokenizer_training.shards import SplitTally, SplitWriter, bucket_tokens, write_train, write_val

MANIFEST = "manifest.json"
REPORT = "report.html"
WORK = "_work"
OWN_ENTRIES = (MANIFEST, REPORT, TOKENIZER_FILE, "train", "val", WORK)
FORMATS = ("parquet", "llmc")


class ShardDirError(ValueError):
    """SHARDDIR holds something this run must not overwrite or mix with."""


@dataclass
class TokenizeConfig:
    tokenizer: str
    sources: list[Source]
    output: str
    format: str = "parquet"
    shard_tokens: int = 100_000_000
    val_fraction: float = 0.005
    total_tokens: int | None = None  # train tokens of the mixture (None: the most without repeating)
    row_group_tokens: int = 1_000_000
    engine: str = "local"
    workers: int | None = None
    master: str | None = None
    resume: bool = False
    overwrite: bool = False
    progress: bool = True

    def validate(self, tokenizer: LoadedTokenizer) -> None:
        check_sources(self.sources)
        if self.format not in FORMATS:
            raise ValueError(f"--format {self.format!r}: choose parquet or llmc")
        if self.format == "llmc" and tokenizer.vocab_size > 1 << 16:
            raise ValueError(
                f"--format llmc stores uint16 tokens; the tokenizer has {tokenizer.vocab_size:,} ids (at most 65,536)"
            )
        if self.shard_tokens <= 0 or self.row_group_tokens <= 0:
            raise ValueError("--shard-tokens and --row-group-tokens must be positive")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"--val-fraction {self.val_fraction} must be in [0, 1)")
        if self.engine not in ("local", "spark"):
            raise ValueError(f"--engine {self.engine!r}: choose local or spark")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"--workers {self.workers} must be at least 1")
        if self.resume and self.overwrite:
            raise ValueError("--resume and --overwrite exclude each other")


def dtype_for(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 1 << 16 else "uint32"


def fingerprint(config: TokenizeConfig, tokenizer: LoadedTokenizer, parts: list[list[Path]]) -> str:
    """What decides the output bytes: tokenizer, inputs (path, size, rows of each part), settings."""
    described = {
        "tokenizer": tokenizer.sha256,
        "sources": [
            {"name": s.name, "weight": s.weight, "parts": part_sizes(p)}
            for s, p in zip(config.sources, parts)
        ],
        "settings": [
            config.format,
            config.shard_tokens,
            config.val_fraction,
            config.total_tokens,
            config.row_group_tokens,
        ],
        "version": 1,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def prepare_output(config: TokenizeConfig, print_: Any, key: str) -> bool:
    """Make SHARDDIR ready; True when it already holds this exact finished run (nothing to do)."""
    out = Path(config.output)
    if out.is_file():
        raise ShardDirError(f"--output {out} is a file; give a folder (SHARDDIR)")
    settings = out / WORK / "settings.json"
    manifest = out / MANIFEST
    if out.is_dir() and any(out.iterdir()):
        if config.overwrite:
            for name in OWN_ENTRIES:
                target = out / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
        elif not config.resume:
            raise ShardDirError(
                f"{out} is not empty; pass --resume to continue the run there or --overwrite to replace it"
            )
        else:
            recorded = None
            if settings.is_file():
                recorded = json.loads(settings.read_text()).get("fingerprint")
            elif manifest.is_file():
                recorded = json.loads(manifest.read_text()).get("fingerprint")
            if recorded is None:
                raise ShardDirError(
                    f"{out} holds no curate tokenize run to resume; use --overwrite to replace it"
                )
            if recorded != key:
                raise ShardDirError(
                    f"{out} holds a run with other inputs, tokenizer or settings; --resume needs the same ones "
                    "(use --overwrite to replace it)"
                )
            if manifest.is_file() and not settings.is_file():
                print_(f"{out} already holds this finished run; nothing to do")
                return True
    (out / WORK / "tokens").mkdir(parents=True, exist_ok=True)
    for leftover in out.rglob(f"*{TEMP_MARK}*"):  # half-written files of a killed run
        leftover.unlink()
    for split in ("train", "val"):  # shards are always rewritten by phase 2
        shutil.rmtree(out / split, ignore_errors=True)
    if not settings.is_file():
        _write_atomic(settings, json.dumps({"fingerprint": key}, indent=2) + "\n")
    return False


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class TokenizeResult:
    manifest: dict[str, Any]
    seconds: dict[str, float]  # total, phase 1 (tokenizing), phase 2 (writing shards); not in the manifest
    already_done: bool = False


def tokenize(config: TokenizeConfig) -> TokenizeResult:
    """Run both phases; returns the manifest and timings."""
    from tqdm import tqdm

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    started = time.perf_counter()
    tokenizer = load_tokenizer(config.tokenizer)
    config.validate(tokenizer)
    dtype = dtype_for(tokenizer.vocab_size)
    parts = [find_parts(list(source.inputs)) for source in config.sources]
    key = fingerprint(config, tokenizer, parts)
    out = Path(config.output)
    if prepare_output(config, say, key):
        return TokenizeResult(json.loads((out / MANIFEST).read_text()), {}, already_done=True)

    work_dir = out / WORK / "tokens"
    tasks = [
        PartTask(s, i, str(part), str(work_path(work_dir, s, i)))
        for s, source_parts in enumerate(parts)
        for i, part in enumerate(source_parts)
    ]
    todo = [t for t in tasks if not Path(t.work).is_file()]
    if len(todo) < len(tasks):
        say(f"resuming: {len(tasks) - len(todo)} of {len(tasks)} parts were already tokenized")
    phase1_started = time.perf_counter()
    if todo:
        if config.engine == "spark":
            from tokenizer_training.spark import run_spark

            run_spark(todo, str(tokenizer.path), dtype, config.val_fraction, config.master, config.progress)
        else:
            workers = config.workers or os.cpu_count() or 1
            run_local(todo, str(tokenizer.path), dtype, config.val_fraction, workers, config.progress)
    phase1_seconds = time.perf_counter() - phase1_started

    phase2_started = time.perf_counter()
    work_files = [[Path(t.work) for t in tasks if t.source == s] for s in range(len(config.sources))]
    plans, total = plan(config.sources, [bucket_tokens(files) for files in work_files], config.total_tokens)
    writers = {
        split: SplitWriter(out, split, config.format, dtype, config.shard_tokens, config.row_group_tokens)
        for split in ("train", "val")
    }
    try:
        with tqdm(
            total=sum(p.planned_tokens for p in plans),
            unit="tok",
            unit_scale=True,
            desc="writing shards",
            disable=not config.progress,
            file=sys.stderr,
        ) as bar:
            train = write_train(writers["train"], work_files, plans, bar)
        val = write_val(writers["val"], work_files)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise

    manifest = build_manifest(config, tokenizer, dtype, plans, total, train, val, writers, key)
    shutil.copyfile(tokenizer.path, out / f".{TOKENIZER_FILE}{TEMP_MARK}")
    os.replace(out / f".{TOKENIZER_FILE}{TEMP_MARK}", out / TOKENIZER_FILE)
    from tokenizer_training.report import render_report

    _write_atomic(out / REPORT, render_report(manifest, train.histogram + val.histogram))
    _write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    shutil.rmtree(out / WORK)
    finished = time.perf_counter()
    seconds = {
        "total": round(finished - started, 3),
        "tokenize": round(phase1_seconds, 3),
        "write_shards": round(finished - phase2_started, 3),
    }
    return TokenizeResult(manifest, seconds)


def build_manifest(
    config: TokenizeConfig,
    tokenizer: LoadedTokenizer,
    dtype: str,
    plans: list[SourcePlan],
    total: int,
    train: SplitTally,
    val: SplitTally,
    writers: dict[str, SplitWriter],
    key: str,
) -> dict[str, Any]:
    train_tokens = sum(train.tokens)
    weight_sum = sum(s.weight for s in config.sources)
    sources = []
    for i, (source, source_plan) in enumerate(zip(config.sources, plans)):
        sources.append(
            {
                "name": source.name,
                "inputs": list(source.inputs),
                "weight": source.weight,
                "target_share": round(source.weight / weight_sum, 6),
                "available_tokens": source_plan.available_tokens,
                "epochs": round(train.tokens[i] / source_plan.available_tokens, 6),
                "documents": train.documents[i],
                "tokens": train.tokens[i],
                "share": round(train.tokens[i] / train_tokens, 6) if train_tokens else 0.0,
                "val_documents": val.documents[i],
                "val_tokens": val.tokens[i],
            }
        )
    shards = writers["train"].shards + writers["val"].shards
    totals: dict[str, Any] = {
        "tokens": sum(s["tokens"] for s in shards),
        "documents": sum(s["documents"] for s in shards),
    }
    for split in ("train", "val"):
        mine = [s for s in shards if s["split"] == split]
        totals[split] = {
            "tokens": sum(s["tokens"] for s in mine),
            "documents": sum(s["documents"] for s in mine),
            "shards": len(mine),
        }
    return {
        "format": config.format,
        "version": 1,
        "tokenizer": {
            "sha256": tokenizer.sha256,
            "vocab_size": tokenizer.vocab_size,
            "eot_token": "<|endoftext|>",
            "eot_id": tokenizer.eot_id,
            "source": config.tokenizer,
        },
        "vocab_size": tokenizer.vocab_size,
        "dtype": dtype,
        "eot_id": tokenizer.eot_id,
        "val_fraction": config.val_fraction,
        "shard_tokens": config.shard_tokens,
        "row_group_tokens": config.row_group_tokens,
        "total_tokens_target": total,
        "sources": sources,
        "shards": shards,
        "totals": totals,
        "fingerprint": key,
    }
