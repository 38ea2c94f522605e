"""Generate text from a trained checkpoint.

    curate pretrain sample RUNDIR --prompt "Once upon a time" [--max-new-tokens N --temperature T --top-k K --seed S]

Uses RUNDIR's latest checkpoint (or --step) and the tokenizer.json the run copied from its shards.
The prompt is read as the start of a document: it follows an end-of-text id, as every document did in
training. Generation stops at the next end-of-text or after --max-new-tokens.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from pretraining.model import GPT, GPTConfig
from pretraining.options import SampleOptions, add_sample_arguments, sample_options_from_args
from pretraining.rundir import TOKENIZER_FILE, checkpoints, load_checkpoint


def load_model(rundir: str | Path, step: int | None = None, device: str = "cpu") -> tuple[GPT, int, int]:
    """The model of RUNDIR's checkpoint at `step` (default: the latest), in eval mode; (model, step,
    end-of-text id)."""
    root = Path(rundir)
    if not root.is_dir():
        raise FileNotFoundError(f"run directory {root} does not exist")
    found = dict(checkpoints(root))
    if not found:
        raise FileNotFoundError(
            f"{root} holds no checkpoint (ckpt-<step>/): train first with `curate pretrain`"
        )
    if step is None:
        step = max(found)
    elif step not in found:
        raise FileNotFoundError(
            f"{root} has no checkpoint of step {step} (it has: {', '.join(map(str, sorted(found)))})"
        )
    blob = load_checkpoint(found[step], "model")
    model = GPT(GPTConfig(**blob["config"]))
    model.load_state_dict(blob["model"])
    return model.to(device).eval(), step, int(blob["eot_id"])


def generate_text(options: SampleOptions) -> str:
    from tokenizers import Tokenizer

    if options.max_new_tokens < 0:
        raise ValueError(f"--max-new-tokens must be 0 or more, got {options.max_new_tokens}")
    device = "cuda" if options.device == "auto" and torch.cuda.is_available() else options.device
    if device == "auto":
        device = "cpu"
    tokenizer_path = Path(options.rundir) / TOKENIZER_FILE
    model, _, eot_id = load_model(options.rundir, options.step, device)
    if not tokenizer_path.is_file():
        raise FileNotFoundError(f"{tokenizer_path} not found: the run's shards had no tokenizer.json to copy")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    ids = [eot_id, *tokenizer.encode(options.prompt, add_special_tokens=False).ids]
    idx = torch.tensor([ids], dtype=torch.long, device=device)
    generator = torch.Generator(device=device).manual_seed(options.seed)
    out = model.generate(
        idx, options.max_new_tokens, options.temperature, options.top_k, generator, stop_id=eot_id
    )
    return tokenizer.decode(out[0, 1:].tolist(), skip_special_tokens=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pretraining.sample", description=__doc__.splitlines()[0])
    add_sample_arguments(parser)
    args = parser.parse_args(argv)
    try:
        print(generate_text(sample_options_from_args(args)))
    except (ValueError, FileNotFoundError) as err:
        print(f"pretraining.sample: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
