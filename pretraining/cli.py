"""`curate pretrain`: train a GPT on tokenized shards, and `curate pretrain sample RUNDIR`.

    curate pretrain --data SHARDDIR --config tiny|gpt2-124m|gpt2-350m --output RUNDIR [--steps N] [--resume]
    curate pretrain sample RUNDIR --prompt "..." [--max-new-tokens N --temperature T --top-k K --seed S]

`pretrain` trains unless its first word is the `sample` action. torch is imported only when a command
runs, so `curate --help` works without the `train` extra.
"""

from __future__ import annotations

import argparse
from typing import Any

from pretraining.options import add_sample_arguments, add_train_arguments

EXAMPLES = """\
examples:
  curate pretrain --data shards/ --config tiny --output runs/tiny --steps 200
  curate pretrain --data shards/ --config gpt2-124m --output runs/124m --steps 5000 --eval-every 250
  curate pretrain --data shards/ --config gpt2-124m --output runs/124m --steps 5000 --resume
  torchrun --nproc_per_node=8 -m pretraining.train --data shards/ --config gpt2-124m --output runs/124m
  curate pretrain sample runs/124m --prompt "The river" --max-new-tokens 100 --temperature 0.8
"""


def add_commands(sub: Any) -> None:
    parser = sub.add_parser(
        "pretrain",
        help="train a GPT on tokenized shards (`pretrain sample RUNDIR` generates text)",
        description="Train a GPT-2-style model on SHARDDIR (the output of `curate tokenize`), writing "
        "checkpoints and log.jsonl to RUNDIR; or, with the `sample` action, generate text from RUNDIR.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_train_arguments(parser)
    actions = parser.add_subparsers(dest="pretrain_action", metavar="[sample]", title="optional action")
    sample = actions.add_parser(
        "sample",
        help="generate text from a run's checkpoint",
        description="Generate text from RUNDIR's latest checkpoint with the run's tokenizer.json.",
    )
    add_sample_arguments(sample)
    parser.set_defaults(handler=run_pretrain)


def run_pretrain(args: argparse.Namespace) -> int:
    if getattr(args, "pretrain_action", None) == "sample":
        from pretraining.options import sample_options_from_args
        from pretraining.sample import generate_text

        print(generate_text(sample_options_from_args(args)))
        return 0
    from pretraining.options import options_from_args

    options = options_from_args(args)
    from pretraining.train import train

    result = train(options)
    print(
        f"run: {result.rundir}/ (ckpt-{result.step}/, log.jsonl); sample with `curate pretrain sample {result.rundir}`"
    )
    return 0
