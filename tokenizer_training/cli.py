"""`curate tokenizer train|eval` and `curate tokenize`: added to the curate CLI by `add_commands`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

TRAIN_EPILOG = """\
examples:
  curate tokenizer train --input out/demo/documents --vocab-size 2048 --output out/tok
  curate tokenizer train --input out/a/documents out/b/documents --vocab-size 65536 --output out/tok65k \\
      --max-chars 2e9 --special '<|bos|>' '<|user|>'
"""

EVAL_EPILOG = """\
example:
  curate tokenizer eval out/tok --input out/demo/documents
"""

TOKENIZE_EPILOG = """\
examples:
  curate tokenize --tokenizer out/tok --input out/demo/documents --output out/shards
  curate tokenize --tokenizer out/tok --mix web=out/web/documents:0.8 code=out/code/documents:0.2 \\
      --output out/mix --total-tokens 1e9 --workers 8
  curate tokenize --tokenizer out/tok --input out/demo/documents --output out/llmc --format llmc
  curate tokenize --tokenizer out/tok --input out/demo/documents --output out/shards --engine spark --master local[2]

mixtures: a source's weight is its target share of the train tokens (weights are normalised to sum
to 1). Each source's epochs follow: epochs = weight * total / its train tokens; a source is repeated
(epochs > 1: whole passes, then a part of the next pass) or subsampled (epochs < 1) to reach its
share, the part chosen by a hash of the document id. Without --total-tokens the total is the largest
mixture that repeats no source. --mix-file takes YAML:
  total_tokens: 1e9            # optional
  sources:
    - {name: web, inputs: [out/web/documents], weight: 0.8}
    - {name: code, inputs: [out/code/documents], weight: 0.2}
"""


def _count(text: str) -> int:
    """An integer that may be written 2e9 or 2_000_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != int(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole non-negative number, got {text!r}")
    return int(value)


def add_commands(sub: Any) -> None:
    tokenizer = sub.add_parser("tokenizer", help="train or evaluate a byte-level BPE tokenizer")
    actions = tokenizer.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")

    train = actions.add_parser(
        "train",
        help="train a byte-level BPE tokenizer on documents",
        description=(
            "Train a byte-level BPE tokenizer (GPT-4-style split pattern, <|endoftext|> and any --special "
            "tokens after the merges) on documents sampled deterministically under a character budget. "
            "Writes TOKDIR/tokenizer.json (HF tokenizers / transformers), tokenizer.tiktoken (ranks), "
            "tokenizer_config.json and card.json (settings, sample, seconds, peak memory, held-out compression)."
        ),
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--input", nargs="+", required=True, metavar="DIR", help="documents/ folders or Parquet parts"
    )
    train.add_argument("--output", required=True, metavar="TOKDIR")
    train.add_argument(
        "--vocab-size",
        type=_count,
        metavar="N",
        default=65_536,
        help="tokens including specials (default 65536)",
    )
    train.add_argument(
        "--max-chars",
        type=_count,
        metavar="N",
        default=2_000_000_000,
        help="character budget of the sample (default 2e9)",
    )
    train.add_argument(
        "--doc-max-chars",
        type=_count,
        metavar="N",
        default=10_000,
        help="characters read per document (default 10000)",
    )
    train.add_argument("--special", nargs="*", default=[], metavar="TOKEN", help="more special tokens")
    train.add_argument(
        "--pattern",
        default="gpt4",
        help="split pattern: gpt4 (cl100k_base, default), nanochat (digits in runs of 1-2), or a regex",
    )
    train.add_argument(
        "--trainer", choices=["rustbpe", "hf"], default="rustbpe", help="BPE trainer (default rustbpe)"
    )
    train.add_argument(
        "--min-frequency", type=int, default=None, metavar="N", help="hf trainer: least pair count to merge"
    )
    train.add_argument(
        "--holdout-fraction",
        type=float,
        metavar="F",
        default=0.01,
        help="share of documents (by id hash) never trained on, for compression (default 0.01)",
    )
    train.add_argument("--overwrite", action="store_true", help="replace a tokenizer already in TOKDIR")
    train.add_argument("--no-progress", action="store_true")
    train.add_argument("--json", action="store_true", help="print card.json")
    train.set_defaults(handler=cmd_train)

    evaluate = actions.add_parser(
        "eval",
        help="bytes per token on held-out documents, next to cl100k_base",
        description=(
            "Compression (UTF-8 bytes per token) of TOKDIR's tokenizer on held-out documents, next to GPT-4's "
            "cl100k_base, GPT-2 (only when tiktoken has it cached) and the 1-byte-per-token fallback."
        ),
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("tokdir", metavar="TOKDIR")
    evaluate.add_argument("--input", nargs="+", required=True, metavar="DIR")
    evaluate.add_argument(
        "--max-chars",
        type=_count,
        metavar="N",
        default=10_000_000,
        help="characters to measure on (default 1e7)",
    )
    evaluate.add_argument(
        "--all-documents", action="store_true", help="every document, not only the held-out slice"
    )
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")
    evaluate.set_defaults(handler=cmd_eval)

    tokenize = sub.add_parser(
        "tokenize",
        help="tokenize documents into training shards (SHARDDIR)",
        description=(
            "Tokenize documents into shards: each document's ids followed by <|endoftext|>, a train/val "
            "split by a hash of the document id, shards bounded by --shard-tokens, manifest.json, "
            "report.html and a copy of tokenizer.json. The same input gives byte-identical shards for any "
            "--workers and on Spark."
        ),
        epilog=TOKENIZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tokenize.add_argument(
        "--tokenizer",
        required=True,
        metavar="TOKDIR",
        help="from `curate tokenizer train` (or a tokenizer.json)",
    )
    sources = tokenize.add_mutually_exclusive_group(required=True)
    sources.add_argument("--input", nargs="+", metavar="DIR", help="documents/ folders (one source)")
    sources.add_argument("--mix", nargs="+", metavar="NAME=DIR[,DIR]:WEIGHT", help="a weighted mixture")
    sources.add_argument("--mix-file", metavar="YAML", help="a mixture in YAML (see below)")
    tokenize.add_argument("--output", required=True, metavar="SHARDDIR")
    tokenize.add_argument(
        "--format",
        choices=["parquet", "llmc"],
        default="parquet",
        help="parquet (default) or llm.c .bin shards",
    )
    tokenize.add_argument(
        "--shard-tokens",
        type=_count,
        metavar="N",
        default=100_000_000,
        help="token budget per shard (default 1e8)",
    )
    tokenize.add_argument(
        "--val-fraction",
        type=float,
        metavar="F",
        default=0.005,
        help="share of documents in val (default 0.005)",
    )
    tokenize.add_argument(
        "--total-tokens",
        type=_count,
        default=None,
        metavar="N",
        help="mixtures: train tokens to reach (default: see below)",
    )
    tokenize.add_argument(
        "--row-group-tokens",
        type=_count,
        metavar="N",
        default=1_000_000,
        help="Parquet row group size in tokens (1e6)",
    )
    tokenize.add_argument("--engine", choices=["local", "spark"], default="local")
    tokenize.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local worker processes (default: all cores)"
    )
    tokenize.add_argument("--master", default=None, metavar="URL", help="Spark master URL (spark engine)")
    tokenize.add_argument("--resume", action="store_true", help="continue an interrupted run in SHARDDIR")
    tokenize.add_argument("--overwrite", action="store_true", help="replace the shards already in SHARDDIR")
    tokenize.add_argument("--no-progress", action="store_true")
    tokenize.add_argument("--json", action="store_true", help="print totals and seconds as JSON")
    tokenize.set_defaults(handler=cmd_tokenize)


def cmd_train(args: argparse.Namespace) -> int:
    from tokenizer_training.train import TrainConfig, train_tokenizer

    card = train_tokenizer(
        TrainConfig(
            inputs=args.input,
            output=args.output,
            vocab_size=args.vocab_size,
            max_chars=args.max_chars,
            doc_max_chars=args.doc_max_chars,
            special_tokens=args.special,
            pattern=args.pattern,
            trainer=args.trainer,
            min_frequency=args.min_frequency,
            holdout_fraction=args.holdout_fraction,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
    )
    if args.json:
        print(json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    training, holdout = card["training"], card["holdout"]
    print(
        f"trained {card['vocab_size']:,} tokens ({card['merges']:,} merges, {card['library']['trainer']} "
        f"{card['library']['version']}) on {training['documents']:,} documents, {training['chars']:,} chars "
        f"in {card['seconds']['training']:.1f}s; peak RSS {card['peak_rss_mb']:,.0f} MB"
    )
    if card["vocab_size"] < card["vocab_size_requested"]:
        print(f"note: the text ran out of pairs to merge before {card['vocab_size_requested']:,} tokens")
    if holdout["documents"]:
        print(
            f"held-out: {holdout['documents']:,} documents, {holdout['bytes_per_token']:.3f} bytes/token "
            f"(cl100k_base: {holdout['cl100k_base_bytes_per_token']:.3f})"
        )
    else:
        print("held-out: no documents fell in the held-out slice (raise --holdout-fraction for small inputs)")
    print(f"output: {args.output}/ (tokenizer.json, card.json)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from tokenizer_training.evaluate import EvalConfig, evaluate, format_table

    result = evaluate(
        EvalConfig(
            tokenizer=args.tokdir,
            inputs=args.input,
            max_chars=args.max_chars,
            all_documents=args.all_documents,
        )
    )
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else format_table(result))
    return 0


def cmd_tokenize(args: argparse.Namespace) -> int:
    from tokenizer_training.mixture import parse_mix_args, read_mix_file, single_source
    from tokenizer_training.tokenize import TokenizeConfig, tokenize

    if args.mix_file:
        sources, total = read_mix_file(args.mix_file)
        total = args.total_tokens if args.total_tokens is not None else total
    elif args.mix:
        sources, total = parse_mix_args(args.mix), args.total_tokens
    else:
        sources, total = single_source(args.input), args.total_tokens
    result = tokenize(
        TokenizeConfig(
            tokenizer=args.tokenizer,
            sources=sources,
            output=args.output,
            format=args.format,
            shard_tokens=args.shard_tokens,
            val_fraction=args.val_fraction,
            total_tokens=total,
            row_group_tokens=args.row_group_tokens,
            engine=args.engine,
            workers=args.workers,
            master=args.master,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
    )
    manifest = result.manifest
    if args.json:
        print(json.dumps({"totals": manifest["totals"], "seconds": result.seconds}, indent=2, sort_keys=True))
        return 0
    totals = manifest["totals"]
    for split in ("train", "val"):
        print(
            f"{split:<5} {totals[split]['tokens']:>14,} tokens {totals[split]['documents']:>10,} documents "
            f"{totals[split]['shards']:>5} shard(s)"
        )
    for source in manifest["sources"]:
        print(
            f"source {source['name']}: {source['tokens']:,} train tokens, share {source['share']:.3f} "
            f"(weight {source['weight']:g}, epochs {source['epochs']:.3f})"
        )
    if result.seconds:
        print(
            f"{result.seconds['total']:.1f}s: tokenizing {result.seconds['tokenize']:.1f}s ({args.engine}), "
            f"writing shards {result.seconds['write_shards']:.1f}s"
        )
    print(f"output: {args.output}/ (manifest.json, train/, val/, tokenizer.json, report.html)")
    return 0


def main(
    argv: list[str] | None = None,
) -> int:  # for `python -m tokenizer_training.cli` without the curate CLI
    parser = argparse.ArgumentParser(prog="curate")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"curate: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
