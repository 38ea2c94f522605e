"""Pretrain a GPT on tokenized shards.

    python -m pretraining.train --data SHARDDIR --config gpt2-124m --output RUNDIR [--steps N] [--resume]
    torchrun --nproc_per_node=8 -m pretraining.train --data SHARDDIR --config gpt2-124m --output RUNDIR

(`curate pretrain ...` takes the same options.) Under torchrun each process is one rank of
DistributedDataParallel (RANK / WORLD_SIZE / LOCAL_RANK from the environment; NCCL on GPUs, gloo on
CPU); rank r reads every world_size-th chunk of the data. One optimizer step sees --batch-tokens
tokens: micro-batches of --micro-batch sequences, accumulated. On CUDA: bf16 autocast, TF32 for the
fp32 matmuls, fused AdamW, torch.compile (unless --no-compile).

Every step appends one JSON object to RUNDIR/log.jsonl: step, loss, lr, grad_norm, tokens,
tokens_per_s, mfu (null without a known peak), step_ms, data_ms (time waiting for and moving input),
data_fraction, val_loss on evaluation steps, and mem_gib (peak allocated) on CUDA. A resumed run reproduces the losses of an uninterrupted one exactly
(same model, optimizer, data position and RNG states; on GPU up to the nondeterminism of its kernels).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from pretraining.data import DataSplit, Manifest, TokenLoader, read_manifest
from pretraining.model import CONFIGS, GPT, GPTConfig, make_config
from pretraining.options import HYPERPARAMETERS, TrainOptions, add_train_arguments, options_from_args, resolve
from pretraining.rundir import (
    LOG_FILE,
    TOKENIZER_FILE,
    latest_checkpoint,
    load_checkpoint,
    prepare_rundir,
    save_checkpoint,
    truncate_log,
)
from pretraining.schedule import learning_rate
from pretraining.throughput import mfu, peak_tflops_for


@dataclass
class Distributed:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    ddp: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@dataclass
class TrainResult:
    rundir: Path
    step: int  # the last step done
    records: list[dict[str, Any]] = field(default_factory=list)  # logged by this invocation
    model: GPT | None = None  # the trained model (unwrapped), for callers in the same process
    stopped_early: bool = False


def setup_distributed(device: str) -> Distributed:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda, but torch sees no CUDA device (is this a CPU build of torch?)")
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if world_size == 1:
        return Distributed(0, 1, 0, torch.device("cuda" if use_cuda else "cpu"), False)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Distributed(
        rank, world_size, local_rank, torch.device(f"cuda:{local_rank}" if use_cuda else "cpu"), True
    )


def train(options: TrainOptions) -> TrainResult:
    env = setup_distributed(options.device)
    try:
        return _train(options, env)
    finally:
        if env.ddp:
            dist.destroy_process_group()


def _prepare(raw: TrainOptions, env: Distributed) -> tuple[Manifest, dict[str, Any], bool]:
    """Check the inputs, resolve the options and set up RUNDIR (on rank 0; the others get its result,
    or its error, so no rank waits forever for a rank that failed)."""
    outcome: list[Any] = [None]
    if env.is_main:
        try:
            outcome[0] = _prepare_main(raw, env)
        except (ValueError, FileNotFoundError) as err:
            outcome[0] = err
    if env.ddp:
        dist.broadcast_object_list(outcome, src=0)
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    record, resumed = outcome[0]
    return read_manifest(raw.data), record, resumed


def _prepare_main(raw: TrainOptions, env: Distributed) -> tuple[dict[str, Any], bool]:
    manifest = read_manifest(raw.data)
    if not manifest.split_shards("train"):
        raise ValueError(f"{manifest.root / 'manifest.json'} lists no train shards: nothing to train on")
    if raw.config not in CONFIGS:
        raise ValueError(f"unknown model config {raw.config!r}; choose one of: {', '.join(CONFIGS)}")
    options = resolve(raw, manifest.split_tokens("train"), CONFIGS[raw.config]["block_size"], env.world_size)
    model_config = make_config(options.config, manifest.vocab_size, options.context, options.dropout)
    record = {
        "options": options.to_dict(),
        "model": model_config.to_dict(),
        "data_fingerprint": manifest.fingerprint(),
        "eot_id": manifest.eot_id,
    }
    given = {name: getattr(raw, name) for name in HYPERPARAMETERS if getattr(raw, name, None) is not None}
    given["world_size"] = env.world_size
    rundir = Path(raw.output)
    record, resumed = prepare_rundir(rundir, record, given, raw.resume, raw.overwrite)
    if raw.resume and not resumed:
        print(f"note: {rundir} holds no run to resume: starting a new one", file=sys.stderr)
    tokenizer = manifest.root / TOKENIZER_FILE
    if tokenizer.is_file():
        shutil.copyfile(tokenizer, rundir / TOKENIZER_FILE)
    else:
        print(
            f"warning: {tokenizer} not found; `curate pretrain sample` needs it in {rundir}", file=sys.stderr
        )
    return record, resumed


def _rng_state(device: torch.device) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
    }


def _set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


def _train(raw: TrainOptions, env: Distributed) -> TrainResult:
    manifest, record, resumed = _prepare(raw, env)
    options = TrainOptions(**record["options"])
    rundir = Path(options.output)
    model_config = GPTConfig(**record["model"])
    device = env.device
    B, T = options.micro_batch, options.context
    accum = options.batch_tokens // (B * T * env.world_size)

    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 for the few fp32 matmuls outside autocast
    model = GPT(model_config).to(device)
    optimizer = model.configure_optimizer(
        options.lr, options.weight_decay, (options.beta1, options.beta2), device.type
    )

    start_step, data_state = 0, None
    checkpoint = latest_checkpoint(rundir) if resumed else None
    if checkpoint is not None:
        model.load_state_dict(load_checkpoint(checkpoint, "model")["model"])
        state = load_checkpoint(checkpoint, "state")
        optimizer.load_state_dict(state["optimizer"])
        start_step, data_state = state["step"], state["data"][env.rank]
        _set_rng_state(state["rng"], device)
    elif resumed and env.is_main:
        print(f"note: {rundir} has no checkpoint yet: its run starts again from step 0", file=sys.stderr)
    if env.is_main:
        truncate_log(rundir, start_step)  # steps logged after the checkpoint are redone

    use_compile = options.compile if options.compile is not None else device.type == "cuda"
    compiled = torch.compile(model) if use_compile else model
    trained = (
        DistributedDataParallel(compiled, device_ids=[env.local_rank] if device.type == "cuda" else None)
        if env.ddp
        else compiled
    )
    autocast = (
        torch.autocast(device_type="cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    )

    train_split = DataSplit(manifest, "train")
    loader = TokenLoader(
        train_split, B, T, env.rank, env.world_size, shuffle=True, seed=options.seed, state=data_state
    )
    val_split = DataSplit(manifest, "val") if manifest.split_shards("val") else None
    eval_batches = _eval_batches(val_split, options, env)

    flops_per_token = model.flops_per_token()
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    peak = options.peak_tflops or peak_tflops_for(device_name)
    if env.is_main:
        _print_plan(
            options, model, manifest, env, accum, use_compile, device_name, peak, start_step, eval_batches
        )

    result = TrainResult(rundir, start_step, model=model)
    log = (rundir / LOG_FILE).open("a") if env.is_main else None
    progress = _progress(options, env, start_step)
    try:
        for step in range(start_step, options.steps):
            started = time.perf_counter()
            lr = learning_rate(
                step, options.steps, options.lr, options.warmup_steps, options.min_lr_ratio,
                options.schedule, options.decay_fraction,
            )  # fmt: skip
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss_value, grad_norm, data_seconds = train_step(
                trained, model, optimizer, loader, accum, env, autocast, options.grad_clip
            )
            seconds = time.perf_counter() - started
            done = step + 1
            tokens_per_s = options.batch_tokens / seconds
            entry: dict[str, Any] = {
                "step": done,
                "loss": loss_value,
                "lr": lr,
                "grad_norm": grad_norm,
                "tokens": done * options.batch_tokens,
                "tokens_per_s": tokens_per_s,
                "mfu": mfu(flops_per_token, tokens_per_s, peak, env.world_size),
                "step_ms": 1000 * seconds,
                "data_ms": 1000 * data_seconds,
                "data_fraction": data_seconds / seconds,
            }
            if device.type == "cuda":
                entry["mem_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
            final = done == options.steps
            if val_split is not None and eval_batches and (done % options.eval_every == 0 or final):
                entry["val_loss"] = evaluate(compiled, val_split, options, env, autocast, eval_batches)
            result.records.append(entry)
            result.step = done
            if log is not None:
                log.write(json.dumps(entry) + "\n")
                log.flush()
                if done % options.log_every == 0 or final or "val_loss" in entry:
                    progress.write(format_entry(entry, options.steps))
            progress.update(1)
            if done % options.ckpt_every == 0 or final or done == options.stop_at:
                _checkpoint(rundir, done, model, optimizer, loader, options, env, record)
            if done == options.stop_at and done < options.steps:
                result.stopped_early = True
                if env.is_main:
                    progress.write(f"stopped after step {done} of {options.steps}; continue with --resume")
                break
    finally:
        progress.close()
        loader.close()
        if log is not None:
            log.close()
    return result


def train_step(
    trained: torch.nn.Module,
    model: GPT,
    optimizer: torch.optim.Optimizer,
    loader: TokenLoader,
    accum: int,
    env: Distributed,
    autocast: Any,
    grad_clip: float,
) -> tuple[float, float, float]:
    """One optimizer step over `accum` micro-batches per rank. Returns the mean loss (over micro-batches
    and ranks), the gradient norm before clipping, and the seconds spent waiting for input."""
    loss_sum, data_seconds = torch.zeros((), device=env.device), 0.0
    for micro in range(accum):
        waited = time.perf_counter()
        batch = torch.from_numpy(next(loader)).to(env.device, non_blocking=True)  # (B, context + 1)
        data_seconds += time.perf_counter() - waited
        # DDP: all-reduce the gradients only with the last micro-batch's backward.
        sync = nullcontext() if not env.ddp or micro == accum - 1 else trained.no_sync()
        with sync:
            with autocast:
                _, loss = trained(batch[:, :-1], batch[:, 1:])
            (loss / accum).backward()
        loss_sum += loss.detach()
    if env.ddp:
        dist.all_reduce(loss_sum)  # SUM: gloo has no AVG
        loss_sum /= env.world_size
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip or math.inf)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_sum.item() / accum, float(grad_norm), data_seconds  # .item() waits for the GPU


def _eval_batches(val_split: DataSplit | None, options: TrainOptions, env: Distributed) -> int:
    """Micro-batches per rank per evaluation: --eval-tokens worth, at most what the smallest rank's
    share of the val split holds (at least one); 0 when there is no usable val split."""
    if val_split is None or len(val_split.chunks) < env.world_size:
        if env.is_main:
            print(
                "note: no val split with a chunk per rank: validation loss is not computed", file=sys.stderr
            )
        return 0
    B, T = options.micro_batch, options.context
    wanted = math.ceil(options.eval_tokens / (B * T * env.world_size))
    smallest = min(
        sum(c.tokens for c in val_split.rank_chunks(0, r, env.world_size, False, 0))
        for r in range(env.world_size)
    )
    return max(1, min(wanted, smallest // (B * (T + 1))))


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    val_split: DataSplit,
    options: TrainOptions,
    env: Distributed,
    autocast: Any,
    batches: int,
) -> float:
    """Mean loss over the first `batches` micro-batches of each rank's share of the val split (the
    same tokens at every evaluation), averaged over ranks."""
    model.eval()
    total = torch.zeros((), device=env.device)
    with TokenLoader(
        val_split, options.micro_batch, options.context, env.rank, env.world_size, shuffle=False
    ) as loader:
        for _ in range(batches):
            batch = torch.from_numpy(next(loader)).to(env.device)
            with autocast:
                _, loss = model(batch[:, :-1], batch[:, 1:])
            total += loss.float()
    if env.ddp:
        dist.all_reduce(total)
        total /= env.world_size
    model.train()
    return total.item() / batches


def _checkpoint(
    rundir: Path,
    step: int,
    model: GPT,
    optimizer: torch.optim.Optimizer,
    loader: TokenLoader,
    options: TrainOptions,
    env: Distributed,
    record: dict[str, Any],
) -> None:
    positions: list[Any] = [None] * env.world_size
    if env.ddp:
        dist.all_gather_object(positions, loader.state_dict())
    else:
        positions = [loader.state_dict()]
    if env.is_main:
        model_blob = {
            "model": model.state_dict(),
            "config": record["model"],
            "eot_id": record["eot_id"],
            "step": step,
        }
        state_blob = {
            "optimizer": optimizer.state_dict(),
            "data": positions,
            "rng": _rng_state(env.device),
            "step": step,
            "tokens": step * options.batch_tokens,
        }
        save_checkpoint(rundir, step, model_blob, state_blob, options.keep_ckpts)
    if env.ddp:
        dist.barrier()


def format_entry(entry: dict[str, Any], steps: int) -> str:
    mfu_text = "n/a" if entry["mfu"] is None else f"{entry['mfu']:.1%}"
    text = (
        f"step {entry['step']:>6}/{steps} | loss {entry['loss']:.4f} | lr {entry['lr']:.2e} | "
        f"{entry['tokens_per_s']:,.0f} tok/s | mfu {mfu_text} | data {entry['data_fraction']:.1%}"
    )
    if "val_loss" in entry:
        text += f" | val {entry['val_loss']:.4f}"
    return text


def _print_plan(
    options: TrainOptions,
    model: GPT,
    manifest: Manifest,
    env: Distributed,
    accum: int,
    use_compile: bool,
    device_name: str | None,
    peak: float | None,
    start_step: int,
    eval_batches: int,
) -> None:
    c = model.config
    train_tokens = manifest.split_tokens("train")
    epochs = options.steps * options.batch_tokens / max(1, train_tokens)
    print(
        f"model {options.config}: {model.num_params() / 1e6:.1f}M parameters, {c.n_layer} layers x {c.n_embd} wide, "
        f"context {c.block_size}, vocab {c.vocab_size} (padded to {c.padded_vocab_size}), "
        f"{model.flops_per_token() / 1e6:.0f} MFLOP/token\n"
        f"data {manifest.root}: {train_tokens:,} train tokens; {options.steps} steps x {options.batch_tokens:,} tokens "
        f"= {epochs:.2f} epochs ({options.micro_batch} x {c.block_size} per micro-batch, {accum} accumulated, "
        f"{env.world_size} process(es))\n"
        f"device {device_name or env.device.type}{', compiled' if use_compile else ''}; "
        f"MFU against {f'{peak:g} TFLOP/s' if peak else 'no known peak (n/a; set --peak-tflops)'}; "
        f"{eval_batches} val micro-batches per evaluation\n"
        + (f"resuming after step {start_step}\n" if start_step else ""),
        end="",
        flush=True,
    )


class _NoProgress:
    def write(self, text: str) -> None:
        print(text, flush=True)

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(options: TrainOptions, env: Distributed, start_step: int) -> Any:
    if not (options.progress and env.is_main and sys.stderr.isatty()):
        return _NoProgress()
    from tqdm import tqdm

    bar = tqdm(total=options.steps, initial=start_step, unit="step", file=sys.stderr, dynamic_ncols=True)

    class _Bar(_NoProgress):
        def write(self, text: str) -> None:
            bar.write(text, file=sys.stdout)

        def update(self, n: int) -> None:
            bar.update(n)

        def close(self) -> None:
            bar.close()

    return _Bar()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pretraining.train",
        description="Pretrain a GPT on tokenized shards (same options as `curate pretrain`).",
    )
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        train(options_from_args(args))
    except (ValueError, FileNotFoundError) as err:
        print(f"pretraining.train: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
