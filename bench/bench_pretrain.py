"""Benchmark of `curate pretrain`: the shard loader's throughput, and `tiny` training on this CPU.

    .venv/bin/python -m bench pretrain          # or: .venv/bin/python bench/bench_pretrain.py

Shards are written by devdata.shards. Loader: tokens/s a TokenLoader delivers (batches of 32 x 1025 ids, as gpt2-124m
reads them), best of 3 passes. Training: the `tiny` model for a few dozen steps on the CPU; the
median of tokens/s and of the data-loading share over the steps after the first 3 (start-up), on
synthetic-text shards (a 384-id byte-level BPE) and on random ids at GPT-2's vocabulary size. One
intra-op thread: per-core figures, like the other benchmarks.

No GPU is measured here. bench/gpu_pretrain.sh runs gpt2-124m for ~300 steps on one GPU and prints
tokens/s and MFU from log.jsonl; its figures belong in this section once a GPU session runs it.
Writes bench/results/pretrain.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.common import write_result  # noqa: E402

LOADER_BATCH, LOADER_CONTEXT, LOADER_BATCHES = 32, 1024, 60
TINY_STEPS, LARGE_VOCAB_STEPS, SKIP_STEPS = 40, 10, 3
GPU_RECIPE = """\
```
bench/gpu_pretrain.sh                  # random-id shards (160M tokens), then gpt2-124m for 300 steps
bench/gpu_pretrain.sh SHARDDIR 300     # the same on shards from `curate tokenize`
# the training command it runs (one GPU; torchrun --nproc_per_node=N -m pretraining.train ... for N):
python -m pretraining.train --data SHARDDIR --config gpt2-124m --output /tmp/curate-gpu-pretrain/run \\
    --steps 300 --batch-tokens 524288 --micro-batch 32 --eval-every 100 --ckpt-every 300 --log-every 10 \\
    --overwrite --no-progress
```"""


def loader_tokens_per_second(shards: Path) -> float:
    from pretraining.data import DataSplit, TokenLoader, read_manifest

    split = DataSplit(read_manifest(shards), "train")
    best = 0.0
    for seed in range(3):
        with TokenLoader(split, LOADER_BATCH, LOADER_CONTEXT, seed=seed) as loader:
            started = time.perf_counter()
            tokens = sum(next(loader).size for _ in range(LOADER_BATCHES))
            best = max(best, tokens / (time.perf_counter() - started))
    return best


def tiny_training(shards: Path, run: Path, steps: int, batch_tokens: int) -> dict[str, float]:
    import torch

    from pretraining.options import TrainOptions
    from pretraining.train import train

    result = train(
        TrainOptions(
            data=str(shards),
            output=str(run),
            config="tiny",
            steps=steps,
            micro_batch=8,
            batch_tokens=batch_tokens,
            eval_every=steps,
            eval_tokens=4096,
            ckpt_every=steps,
            log_every=10,
            overwrite=True,
            progress=False,
        )
    )
    steady = result.records[SKIP_STEPS:]
    return {
        "tokens_per_s": statistics.median(r["tokens_per_s"] for r in steady),
        "step_ms": statistics.median(r["step_ms"] for r in steady),
        "data_fraction": statistics.median(r["data_fraction"] for r in steady),
        "first_loss": result.records[0]["loss"],
        "last_loss": result.records[-1]["loss"],
        "torch": torch.__version__,
        "params": result.model.num_params(),
        "vocab": result.model.config.vocab_size,
        "steps": steps,
        "batch_tokens": batch_tokens,
    }


def _row(t: dict[str, float], what: str) -> str:
    return (
        f"| `tiny`, vocabulary {t['vocab']:,} ({t['params'] / 1e6:.1f}M parameters), {what} | "
        f"{t['tokens_per_s']:,.0f} tokens/s | {t['step_ms']:,.0f} ms | {t['data_fraction']:.1%} | "
        f"{t['first_loss']:.2f} -> {t['last_loss']:.2f} |"
    )


def run(out_dir: str | Path) -> str:
    import torch

    from devdata.shards import byte_level_tokenizer, synthetic_texts, write_random_shards, write_text_shards

    torch.set_num_threads(1)  # per-core figures, like the other benchmarks (and steady on a shared machine)
    load = os.getloadavg()[0]
    out = Path(out_dir)
    random_shards, text_shards = out / "random", out / "text"
    write_random_shards(random_shards, train_tokens=4_000_000, val_tokens=65_536)
    texts = synthetic_texts(3000, seed=11)
    write_text_shards(text_shards, texts, byte_level_tokenizer(texts[:500]), val_fraction=0.05)
    loader = loader_tokens_per_second(random_shards)
    small = tiny_training(text_shards, out / "run-text", TINY_STEPS, 2048)
    large = tiny_training(random_shards, out / "run-random", LARGE_VOCAB_STEPS, 1024)
    return "\n".join(
        [
            "## Pretraining (`curate pretrain`)\n",
            f"CPU {platform.machine()}, one core (torch {small['torch']}, 1 intra-op thread); context 128, "
            f"micro-batch 8; load average {load:.1f} on {os.cpu_count()} cores when it started (a shared "
            "machine gives lower figures). No GPU in this session: GPU figures are not measured here.\n",
            f"Shard loader (parquet, {LOADER_BATCH} x {LOADER_CONTEXT + 1} batches as gpt2-124m reads them, "
            f"its one background thread): **{loader / 1e6:.1f}M tokens/s**.\n",
            "| training run | tokens/s | step | data loading share | loss first -> last step |",
            "|---|---|---|---|---|",
            _row(small, f"synthetic text, {TINY_STEPS} steps of 2,048 tokens"),
            _row(large, f"random ids (GPT-2's vocabulary size), {LARGE_VOCAB_STEPS} steps of 1,024 tokens"),
            "",
            f"Medians over the steps after the first {SKIP_STEPS}. With a GPT-2-size vocabulary the output "
            "layer dominates the tiny model's work; random ids leave nothing to learn beyond their frequencies.\n",
            "gpt2-124m on one H100/H200 (not measured here; run this on a GPU machine and paste its output):\n",
            GPU_RECIPE,
        ]
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="curate-bench-pretrain-") as tmp:
        write_result("pretrain", run(tmp))


if __name__ == "__main__":
    main()
