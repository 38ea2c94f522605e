"""The fastText quality classifier: training seconds per 100 MB of text, scoring docs/s per core.

    .venv/bin/python -m bench classifier        # writes bench/results/classifier.md (joined into results.md)

Training: `classifiers.training.train` with its default fastText parameters (dim 32, word bigrams,
500k buckets, 5 epochs, lr 0.5) and one thread, on devdata's labelled text (train family), at two sizes; the
per-100 MB figure is scaled linearly from the larger one (each phase: read + preprocess + spool,
shuffle, fastText, held-out evaluation, writing the model). Wall-clock seconds: fastText trains in
a child process, so its CPU time is not this process's.

Scoring: ~3 KB texts (devdata documents joined to 3,000 characters, half prose, half low quality),
CPU time of this process (`time.process_time`: per core), best of 5 passes of 4,096 documents in
batches of 1,024: preprocessing alone, fastText `predict` alone (on preprocessed lines), the
scorer (both), and the `quality_classifier` stage's `process` (plus the Arrow column and the split).
Models: the default-sized one trained above (dim 32) and a dim-100 one (fastText's own default), as
the predict cost grows with the dimension. Target: >= 5,000 docs/s per core.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from bench.common import write_result  # noqa: E402
from classifiers.preprocess import preprocess  # noqa: E402
from classifiers.quality import QualityScorer  # noqa: E402
from classifiers.train_options import FastTextParams, TrainOptions  # noqa: E402
from classifiers.training import train  # noqa: E402
from devdata import quality_text  # noqa: E402
from pipeline.core.recipe import parse_recipe  # noqa: E402
from pipeline.core.schema import DOCUMENT_SCHEMA  # noqa: E402

TRAIN_SIZES_MB = (5, 20)
SCORE_DOCS = 4096
SCORE_BATCH = 1024
TEXT_CHARS = 3000
TARGET_DOCS_PER_S = 5000


def _write_corpus(folder: Path, megabytes: int) -> tuple[Path, Path, int]:
    """devdata train-family text of about `megabytes` MB as good.txt and bad.txt; (paths, bytes)."""
    good_path, bad_path = folder / f"good-{megabytes}.txt", folder / f"bad-{megabytes}.txt"
    total, seed = 0, 0
    with open(good_path, "w", encoding="utf-8") as good, open(bad_path, "w", encoding="utf-8") as bad:
        while total < megabytes * 1_000_000:
            for doc in quality_text.documents("train", 2000, seed=seed):
                line = " ".join(doc.text.split("\n")) + "\n"
                (good if doc.label == quality_text.GOOD else bad).write(line)
                total += len(line.encode("utf-8"))
            seed += 1
    return good_path, bad_path, total


def _train_rows(folder: Path) -> tuple[list[str], Path]:
    rows, model = [], folder / "m.bin"
    for megabytes in TRAIN_SIZES_MB:
        good, bad, size = _write_corpus(folder, megabytes)
        options = TrainOptions(threads=1, progress=False)
        result = train([str(good)], [str(bad)], str(model), options)
        per_100mb = result.seconds * 100e6 / size
        phases = ", ".join(f"{k} {v:.1f}" for k, v in result.phases.items())
        auc = result.card["metrics"]["roc_auc"]
        rows.append(
            f"| {size / 1e6:.1f} MB ({result.card['documents']['positive']['read'] + result.card['documents']['negative']['read']:,} docs) "
            f"| {result.seconds:.1f} s ({phases}) | {per_100mb:,.0f} s | {auc:.4f} |"
        )
    return rows, model


def _score_texts() -> list[str]:
    docs = quality_text.documents("test", 40_000, seed=7)
    texts, current = [], ""
    for doc in docs:
        current = f"{current}\n{doc.text}" if current else doc.text
        if len(current) >= TEXT_CHARS:
            texts.append(current[:TEXT_CHARS])
            current = ""
            if len(texts) == SCORE_DOCS:
                break
    return texts


def _best_rate(fn, batches: list, passes: int = 5) -> float:
    best = 0.0
    for _ in range(passes):
        started = time.process_time()
        n = sum(fn(b) for b in batches)
        elapsed = time.process_time() - started
        best = max(best, n / elapsed if elapsed else float("inf"))
    return best


def _score_rows(models: list[tuple[str, Path]], texts: list[str]) -> list[str]:
    batches = [pa.array(texts[i : i + SCORE_BATCH], pa.string()) for i in range(0, len(texts), SCORE_BATCH)]
    lines = [preprocess(b) for b in batches]
    record_batches = [
        pa.RecordBatch.from_pylist(
            [{"id": f"d{i}", "text": t} for i, t in enumerate(b.to_pylist())], schema=DOCUMENT_SCHEMA
        )
        for b in batches
    ]
    rate = _best_rate(lambda b: len(preprocess(b)), batches)
    rows = [f"| preprocessing alone | - | {rate:,.0f} |"]
    for name, path in models:
        rows += _model_rows(name, path, batches, lines, record_batches)
    return rows


def _model_rows(
    name: str,
    path: Path,
    batches: list[pa.Array],
    lines: list[list[str]],
    record_batches: list[pa.RecordBatch],
) -> list[str]:
    scorer = QualityScorer(str(path))
    recipe = {"stages": [{"quality_classifier": {"model": str(path), "threshold": 0.5}}]}
    stage = parse_recipe(recipe, "bench.yaml").stage("quality_classifier")
    stage.ensure_setup()

    def through_stage(batch: pa.RecordBatch) -> int:
        out = stage.process(batch)
        return out.kept.num_rows + out.rejected.num_rows

    predict = _best_rate(lambda b: len(scorer.score_preprocessed(b)), lines)
    both = _best_rate(lambda b: len(scorer.score(b)), batches)
    return [
        f"| fastText predict alone | {name} | {predict:,.0f} |",
        f"| scorer (preprocess + predict) | {name} | {both:,.0f} |",
        f"| `quality_classifier` stage `process` | {name} | {_best_rate(through_stage, record_batches):,.0f} |",
    ]


def run(out_dir: Path | str) -> str:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_rows, default_model = _train_rows(out)
    wide_model = out / "wide.bin"
    good, bad, _ = _write_corpus(out, TRAIN_SIZES_MB[0])
    train(
        [str(good)],
        [str(bad)],
        str(wide_model),
        TrainOptions(threads=1, progress=False, params=FastTextParams(dim=100, bucket=200_000)),
    )
    texts = _score_texts()
    mean_chars = sum(len(t) for t in texts) / len(texts)
    score_rows = _score_rows(
        [("dim 32, 500k buckets (default)", default_model), ("dim 100, 200k buckets", wide_model)], texts
    )
    largest = TRAIN_SIZES_MB[-1]
    return "\n".join(
        [
            "## Quality classifier (fastText): training and scoring",
            "",
            f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end (other work on the machine slows every figure). "
            "Written by `python -m bench classifier`.",
            "",
            f"Training, one fastText thread, default parameters (dim 32, wordNgrams 2, 500k buckets, 5 epochs, lr 0.5), "
            f"devdata text; per 100 MB scaled linearly from the measured size (the {largest} MB row is the basis):",
            "",
            "| text | wall time (phases, s) | per 100 MB | held-out ROC AUC |",
            "|---|---|---|---|",
            *train_rows,
            "",
            f"Scoring {SCORE_DOCS:,} texts of {mean_chars:,.0f} characters, batches of {SCORE_BATCH:,}, one core "
            f"(CPU time; target >= {TARGET_DOCS_PER_S:,} docs/s per core):",
            "",
            "| step | model | docs/s per core |",
            "|---|---|---|",
            *score_rows,
        ]
    )


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-classifier-"))
    try:
        write_result("classifier", run(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
