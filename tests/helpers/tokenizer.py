"""Shared builders for the tokenizer tests: a small synthetic corpus and a tokenizer trained on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from devdata.text_corpus import write_documents

REPO = Path(__file__).resolve().parents[2]
VOCAB = 1024


def make_corpus(root: Path, chars: int = 300_000, parts: int = 6, seed: int = 3) -> Path:
    """root/documents/part-*.parquet (small row groups, so parts hold several batches)."""
    documents = root / "documents"
    write_documents(documents, chars, parts=parts, seed=seed, docs_per_group=20)
    return documents


def train_small(documents: Path, out: Path, vocab: int = VOCAB, *extra: str) -> Path:
    from tokenizer_training.train import TrainConfig, train_tokenizer

    train_tokenizer(
        TrainConfig(
            inputs=[str(documents)],
            output=str(out),
            vocab_size=vocab,
            holdout_fraction=0.05,
            progress=False,
            special_tokens=list(extra),
        )
    )
    return out


def documents_by_id(documents: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in sorted(documents.glob("*.parquet")):
        table = pq.read_table(part, columns=["id", "text"])
        found.update(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))
    return found


def curate(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m pipeline ARGS` in a subprocess (what a user runs)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, env=env, cwd=REPO
    )
    if check and result.returncode != 0:
        raise AssertionError(f"curate {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def curate_here(*args: str) -> tuple[int, str, str]:
    """`curate ARGS` in this process (quick): (exit code, stdout, stderr)."""
    import contextlib
    import io

    from pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below root by relative path (to compare two outputs byte for byte)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
