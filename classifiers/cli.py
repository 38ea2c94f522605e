"""`curate classifier train | bootstrap | score`: the fastText quality classifier's commands."""

from __future__ import annotations

import argparse
import json
from typing import Any

TRAIN_EPILOG = """\
sources (--positive, --negative, --input): a Parquet folder such as DIR/documents or a .parquet file,
JSONL (.jsonl/.ndjson/.json, field `text` or --text-field), or .txt with one document per non-empty
line; .gz is read too. Local paths or object-store URIs.

examples:
  curate classifier train --positive wiki.jsonl --negative out/crawl/documents --output hq.bin --threads 1
  curate classifier bootstrap out/run1 --output out/run1-qc.bin
  curate classifier score out/run1-qc.bin --input out/run2/documents
  curate run --recipe fineweb_qc --input crawl/*.warc.gz --output out/run2 \\
      --set quality_classifier.model=out/run1-qc.bin --set quality_classifier.threshold=0.3
"""

# The rule-based quality filters whose rejects make the negatives of `bootstrap`. Left out on purpose:
# url_filter (judges the URL, not the text), extract (empty pages), language (other languages are not
# low quality), dedup (copies of good pages), pii and decontamination (they judge other things).
HEURISTIC_STAGES = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")


def add_commands(sub: Any) -> None:
    parser = sub.add_parser(
        "classifier",
        help="train, bootstrap and try out a fastText quality classifier",
        description="A fastText quality classifier: train it on examples, bootstrap it from a run, score documents with it.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="classifier_command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train on positive (high quality) and negative documents",
        description="Train a fastText classifier: positives get --positive-label, negatives --negative-label. "
        "Prints held-out precision, recall, F1 and ROC AUC and writes MODEL.card.json beside the model.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--positive", nargs="+", required=True, metavar="P", help="high-quality documents")
    train.add_argument("--negative", nargs="+", required=True, metavar="N", help="low-quality documents")
    _training_options(train)
    train.set_defaults(handler=cmd_train)

    bootstrap = commands.add_parser(
        "bootstrap",
        help="train from a finished run: its final documents vs its heuristic rejects",
        description="Train from a finished `curate run` without reference data: DIR/documents are the "
        f"positives, the rows rejected by {', '.join(HEURISTIC_STAGES)} the negatives "
        "(not url_filter, extract, language, dedup, pii or decontamination: they judge other things).",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bootstrap.add_argument("dir", metavar="DIR", help="the output folder of a finished run")
    bootstrap.add_argument(
        "--stages",
        nargs="+",
        default=list(HEURISTIC_STAGES),
        metavar="STAGE",
        help=f"stages whose rejects are negatives (default: {' '.join(HEURISTIC_STAGES)})",
    )
    _training_options(bootstrap)
    bootstrap.set_defaults(handler=cmd_bootstrap)

    score = commands.add_parser(
        "score",
        help="score documents: histogram and top/bottom samples, to choose a threshold",
        description="Score documents with a model; print a score histogram (with the share a threshold at "
        "each bin would keep) and the highest- and lowest-scoring documents.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("model", metavar="MODEL.bin")
    score.add_argument("--input", nargs="+", required=True, metavar="PATH", help="documents to score")
    score.add_argument("--label", default="__label__hq", help="the label whose probability is the score")
    score.add_argument("--text-field", default="text", help="text column/field of Parquet and JSONL inputs")
    score.add_argument("--bins", type=int, default=20, help="histogram bins (a divisor of 1000)")
    score.add_argument("--samples", type=int, default=5, metavar="N", help="top and bottom documents to show")
    score.add_argument("--chars", type=int, default=160, metavar="N", help="characters of each sample")
    score.add_argument("--json", action="store_true", help="print the summary as JSON")
    score.add_argument("--no-progress", action="store_true", help="no progress bar")
    score.set_defaults(handler=cmd_score)


def _training_options(parser: argparse.ArgumentParser) -> None:
    from classifiers.train_options import FastTextParams, TrainOptions

    o, p = TrainOptions(), FastTextParams()
    parser.add_argument("--output", required=True, metavar="MODEL.bin", help="the model file to write")
    parser.add_argument("--text-field", default=o.text_field, help="text column/field of Parquet and JSONL")
    parser.add_argument("--positive-label", default=o.positive_label)
    parser.add_argument("--negative-label", default=o.negative_label)
    parser.add_argument(
        "--test-fraction", type=float, default=o.test_fraction, help="held-out share, chosen by text hash"
    )
    parser.add_argument(
        "--min-per-class",
        type=int,
        default=o.min_per_class,
        metavar="N",
        help=f"refuse to train with fewer documents in a class (default {o.min_per_class})",
    )
    parser.add_argument(
        "--no-balance", action="store_true", help="keep every document (default: cut the larger class down)"
    )
    parser.add_argument("--seed", type=int, default=o.seed)
    parser.add_argument(
        "--threads",
        type=int,
        default=o.threads,
        help="fastText threads; 1 gives a byte-identical model on rerun (default 0: all cores)",
    )
    parser.add_argument("--epoch", type=int, default=p.epoch)
    parser.add_argument("--lr", type=float, default=p.lr)
    parser.add_argument("--dim", type=int, default=p.dim)
    parser.add_argument("--word-ngrams", type=int, default=p.word_ngrams)
    parser.add_argument("--min-count", type=int, default=p.min_count)
    parser.add_argument("--bucket", type=int, default=p.bucket, help="hash buckets for word n-grams")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the model card as JSON")


def _train_options(args: argparse.Namespace) -> Any:
    from classifiers.train_options import FastTextParams, TrainOptions

    return TrainOptions(
        positive_label=args.positive_label,
        negative_label=args.negative_label,
        text_field=args.text_field,
        test_fraction=args.test_fraction,
        balance=not args.no_balance,
        min_per_class=args.min_per_class,
        seed=args.seed,
        threads=args.threads,
        params=FastTextParams(
            epoch=args.epoch,
            lr=args.lr,
            dim=args.dim,
            word_ngrams=args.word_ngrams,
            min_count=args.min_count,
            bucket=args.bucket,
        ),
        progress=not args.no_progress,
    )


def _print_result(result: Any, as_json: bool) -> None:
    from classifiers.quality import card_path

    card = result.card
    if as_json:
        print(json.dumps(card, indent=2, sort_keys=True))
        return
    docs = card["documents"]
    for name in ("positive", "negative"):
        d = docs[name]
        print(
            f"{name:<8} {card['labels'][name]:<14} read {d['read']:>9,}  empty {d['empty_after_preprocessing']:>7,}"
            f"  used {d['used']:>9,}  train {d['train']:>9,}  held out {d['test']:>7,}"
        )
    m = card["metrics"]

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    print(
        f"held-out ({m['positives']} positive, {m['negatives']} negative; score >= {m['threshold']} is positive): "
        f"precision {fmt(m['precision'])}  recall {fmt(m['recall'])}  F1 {fmt(m['f1'])}  "
        f"ROC AUC {fmt(m['roc_auc'])}"
    )
    if m["roc_auc"] is None:
        print(
            "  (ROC AUC needs both classes in the held-out set: give more documents or a larger --test-fraction)"
        )
    h = card["hyperparameters"]
    phases = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.phases.items())
    print(
        f"done in {result.seconds:.1f}s ({phases}); fastText used {h['threads']} thread(s)"
        + (" (deterministic)" if h["deterministic"] else " (not byte-deterministic: use --threads 1)")
    )
    print(f"model: {result.model}\ncard:  {card_path(result.model)}")


def cmd_train(args: argparse.Namespace) -> int:
    from classifiers.training import train

    result = train(args.positive, args.negative, args.output, _train_options(args))
    _print_result(result, args.json)
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from classifiers.bootstrap import bootstrap

    result = bootstrap(args.dir, args.output, args.stages, _train_options(args))
    _print_result(result, args.json)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from classifiers.scoring import FINE_BINS, format_summary, score_sources

    if args.bins < 1 or FINE_BINS % args.bins:
        raise ValueError(f"--bins must divide {FINE_BINS} (e.g. 10, 20, 25, 50, 100), got {args.bins}")
    summary = score_sources(
        args.model,
        args.input,
        label=args.label,
        text_field=args.text_field,
        samples=args.samples,
        chars=args.chars,
        progress=not args.no_progress,
    )
    if args.json:
        print(json.dumps(summary.to_dict(args.bins), indent=2))
    else:
        print(format_summary(summary, args.bins))
    return 0
