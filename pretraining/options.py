"""The settings of a training run: the command-line options (shared by `curate pretrain` and
`python -m pretraining.train`), their per-model defaults, and which of them define the run; and the
options of `pretrain sample`.

No torch here, so `curate --help` stays fast and works without the `train` extra.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from typing import Any

CONFIG_NAMES = ("tiny", "gpt2-124m", "gpt2-350m")  # pretraining.model.CONFIGS (a test keeps them equal)

# Per-model defaults. gpt2-124m / gpt2-350m: GPT-3 paper (Brown et al. 2020) table 2.1 for models of
# that size: batch 0.5M tokens, peak learning rate 6e-4 and 3e-4. Micro-batches fit an 80 GB GPU in
# bf16 with flash attention. tiny: a few CPU steps per second.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "tiny": {"micro_batch": 8, "batch_tokens": 2048, "lr": 3e-3, "eval_tokens": 1 << 15},
    "gpt2-124m": {"micro_batch": 32, "batch_tokens": 524288, "lr": 6e-4, "eval_tokens": 1 << 20},
    "gpt2-350m": {"micro_batch": 16, "batch_tokens": 524288, "lr": 3e-4, "eval_tokens": 1 << 20},
}
# Model-independent defaults, also GPT-3's: AdamW betas (0.9, 0.95), weight decay 0.1, clip 1.0;
# the learning rate decays to 10% of its peak.
COMMON_DEFAULTS: dict[str, Any] = {
    "min_lr_ratio": 0.1,
    "schedule": "cosine",
    "decay_fraction": 0.2,
    "weight_decay": 0.1,
    "beta1": 0.9,
    "beta2": 0.95,
    "grad_clip": 1.0,
    "dropout": 0.0,
    "seed": 1337,
}
MAX_DEFAULT_WARMUP = 700  # llm.c's GPT-2 124M recipe; shorter runs warm up over 5% of their steps

# Settings that define the run: a --resume must not change them (the losses would no longer continue
# the same run). `steps` may change on resume (to extend a run); everything else is how to run it.
HYPERPARAMETERS = (
    "config",
    "context",
    "micro_batch",
    "batch_tokens",
    "lr",
    "min_lr_ratio",
    "warmup_steps",
    "schedule",
    "decay_fraction",
    "weight_decay",
    "beta1",
    "beta2",
    "grad_clip",
    "dropout",
    "seed",
    "world_size",
)


@dataclass
class TrainOptions:
    data: str
    output: str
    config: str
    steps: int | None = None  # None: one epoch of the train split
    stop_at: int | None = None
    resume: bool = False
    overwrite: bool = False
    context: int | None = None
    micro_batch: int | None = None
    batch_tokens: int | None = None
    lr: float | None = None
    min_lr_ratio: float | None = None
    warmup_steps: int | None = None
    schedule: str | None = None
    decay_fraction: float | None = None
    weight_decay: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    grad_clip: float | None = None
    dropout: float | None = None
    seed: int | None = None
    ckpt_every: int = 1000
    keep_ckpts: int = 3
    eval_every: int = 250
    eval_tokens: int | None = None  # per model: 32K for tiny (CPU), 1M for the GPT-2 sizes
    log_every: int = 1
    compile: bool | None = None  # None: on for CUDA, off on CPU
    device: str = "auto"
    peak_tflops: float | None = None
    progress: bool = True
    world_size: int = 1  # set by train() from the environment, recorded for resume

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def resolve(options: TrainOptions, train_tokens: int, block_size: int, world_size: int) -> TrainOptions:
    """A copy with every default filled in: per model, then common, then what depends on the data."""
    if options.config not in MODEL_DEFAULTS:
        raise ValueError(f"unknown model config {options.config!r}; choose one of: {', '.join(CONFIG_NAMES)}")
    filled = dataclasses.replace(options, world_size=world_size)
    for name, value in {**MODEL_DEFAULTS[options.config], **COMMON_DEFAULTS}.items():
        if getattr(filled, name) is None:
            setattr(filled, name, value)
    if filled.context is None:
        filled.context = block_size
    per_step = filled.micro_batch * filled.context * world_size
    if filled.batch_tokens % per_step:
        raise ValueError(
            f"--batch-tokens {filled.batch_tokens} is not a multiple of micro-batch x context x processes = "
            f"{filled.micro_batch} x {filled.context} x {world_size} = {per_step}"
        )
    if filled.steps is None:
        filled.steps = max(1, train_tokens // filled.batch_tokens)
    if filled.warmup_steps is None:
        filled.warmup_steps = min(MAX_DEFAULT_WARMUP, round(0.05 * filled.steps))
    for name in ("steps", "ckpt_every", "keep_ckpts", "eval_every", "log_every", "eval_tokens"):
        if getattr(filled, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(filled, name)}")
    if filled.stop_at is not None and not 1 <= filled.stop_at <= filled.steps:
        raise ValueError(f"--stop-at {filled.stop_at} is outside 1..{filled.steps} (--steps)")
    if filled.schedule not in ("cosine", "wsd"):
        raise ValueError(f"--schedule must be cosine or wsd, got {filled.schedule!r}")
    return filled


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options. --data/--output/--config are checked by the caller (so that a parser
    may also offer `sample RUNDIR` without them)."""
    run = parser.add_argument_group("run")
    run.add_argument(
        "--data", metavar="SHARDDIR", help="tokenized shards (manifest.json), from `curate tokenize`"
    )
    run.add_argument("--output", metavar="RUNDIR", help="run directory: checkpoints, log.jsonl, run.json")
    run.add_argument("--config", metavar="NAME", help=f"model shape: {', '.join(CONFIG_NAMES)}")
    run.add_argument("--steps", type=int, help="optimizer steps (default: one epoch of the train split)")
    run.add_argument(
        "--stop-at",
        type=int,
        metavar="STEP",
        help="checkpoint and exit after this step (continue with --resume)",
    )
    run.add_argument(
        "--resume", action="store_true", help="continue the run in RUNDIR from its latest checkpoint"
    )
    run.add_argument("--overwrite", action="store_true", help="replace the run in RUNDIR")
    hp = parser.add_argument_group("model and optimisation (defaults per --config; fixed for a run)")
    hp.add_argument("--context", type=int, help="tokens per sequence (default: the config's, 1024 for GPT-2)")
    hp.add_argument("--micro-batch", type=int, metavar="N", help="sequences per forward pass per process")
    hp.add_argument(
        "--batch-tokens",
        type=int,
        metavar="N",
        help="tokens per optimizer step (gradient accumulation fills it)",
    )
    hp.add_argument("--lr", type=float, help="peak learning rate")
    hp.add_argument("--min-lr-ratio", type=float, help="final learning rate / peak (default 0.1)")
    hp.add_argument("--warmup-steps", type=int, help="linear warm-up (default: 5%% of steps, at most 700)")
    hp.add_argument(
        "--schedule", choices=["cosine", "wsd"], help="cosine decay, or warmup-stable-decay (default cosine)"
    )
    hp.add_argument(
        "--decay-fraction", type=float, help="wsd: share of the steps spent decaying (default 0.2)"
    )
    hp.add_argument("--weight-decay", type=float, help="AdamW weight decay on 2-D weights (default 0.1)")
    hp.add_argument("--beta1", type=float, help="AdamW beta1 (default 0.9)")
    hp.add_argument("--beta2", type=float, help="AdamW beta2 (default 0.95)")
    hp.add_argument("--grad-clip", type=float, help="clip the gradient norm to this (0: off; default 1.0)")
    hp.add_argument("--dropout", type=float, help="dropout (default 0)")
    hp.add_argument("--seed", type=int, help="seed of initialisation and data order (default 1337)")
    how = parser.add_argument_group("checkpoints, evaluation, logging, hardware")
    how.add_argument(
        "--ckpt-every", type=int, default=1000, metavar="N", help="checkpoint every N steps (and at the end)"
    )
    how.add_argument(
        "--keep-ckpts", type=int, default=3, metavar="K", help="keep the last K checkpoints (default 3)"
    )
    how.add_argument(
        "--eval-every",
        type=int,
        default=250,
        metavar="N",
        help="validation loss every N steps (and at the end)",
    )
    how.add_argument(
        "--eval-tokens",
        type=int,
        metavar="N",
        help="validation tokens per evaluation (default: 32K tiny, 1M others)",
    )
    how.add_argument(
        "--log-every", type=int, default=1, metavar="N", help="print every N steps (log.jsonl has every step)"
    )
    how.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile the model (default: on with CUDA, off on CPU)",
    )
    how.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    how.add_argument(
        "--peak-tflops",
        type=float,
        help="accelerator's dense bf16 peak for MFU (default: from the GPU's name)",
    )
    how.add_argument("--no-progress", action="store_true", help="no progress bar")


def options_from_args(args: argparse.Namespace) -> TrainOptions:
    missing = [
        flag
        for flag, value in (("--data", args.data), ("--output", args.output), ("--config", args.config))
        if not value
    ]
    if missing:
        raise ValueError(f"training needs {', '.join(missing)} (see --help)")
    fields = {f.name for f in dataclasses.fields(TrainOptions)} - {"progress", "world_size"}
    values = {name: getattr(args, name) for name in fields}
    return TrainOptions(**values, progress=not args.no_progress)


@dataclass
class SampleOptions:
    rundir: str
    prompt: str = ""
    max_new_tokens: int = 200
    temperature: float = 0.8
    top_k: int | None = 200
    seed: int = 1337
    step: int | None = None
    device: str = "auto"


def add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rundir", metavar="RUNDIR", help="a run directory of `curate pretrain`")
    parser.add_argument("--prompt", default="", help="text to continue (default: start a new document)")
    parser.add_argument("--max-new-tokens", type=int, default=200, metavar="N")
    parser.add_argument("--temperature", type=float, default=0.8, metavar="T", help="0: greedy")
    parser.add_argument(
        "--top-k", type=int, default=200, metavar="K", help="sample among the K likeliest (0: all)"
    )
    parser.add_argument("--seed", type=int, default=1337, metavar="S")
    parser.add_argument("--step", type=int, help="checkpoint step (default: the latest)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")


def sample_options_from_args(args: argparse.Namespace) -> SampleOptions:
    return SampleOptions(
        rundir=args.rundir,
        prompt=args.prompt,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_k=args.top_k or None,
        seed=args.seed,
        step=args.step,
        device=args.device,
    )
