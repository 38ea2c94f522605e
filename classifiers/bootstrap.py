"""`curate classifier bootstrap DIR`: a quality classifier from a finished run, without reference data.

Positives are the run's final documents (DIR/documents); negatives are the rows that the rule-based
quality filters rejected (DIR/rejected/<stage>/ for gopher_repetition, gopher_quality, c4_quality and
fineweb_quality by default). The classifier learns what those rules catch, as a smooth score that
also ranks the documents they let through. Balancing, the held-out split and training are those of
`classifiers.training.train`. A run with fewer than `min_per_class` documents on either side is
refused before anything is read, with the counts (from the Parquet footers).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow.parquet as pq

from classifiers.sources import source_files
from classifiers.training import NotEnoughDocuments, TrainOptions, TrainResult, train
from pipeline.io.storage import Location


def _rows(folder: Location) -> int:
    if not folder.is_dir():
        return 0
    try:
        files = source_files(str(folder))
    except FileNotFoundError:  # an empty folder
        return 0
    return sum(pq.ParquetFile(f.source()).metadata.num_rows for f, _ in files)


def bootstrap(
    run_dir: str, output: str, stages: Sequence[str], options: TrainOptions | None = None
) -> TrainResult:
    options = options or TrainOptions()
    if not stages:
        raise ValueError("--stages: name at least one stage whose rejects are the negatives")
    run = Location(run_dir)
    documents = run / "documents"
    if not documents.is_dir():
        raise FileNotFoundError(f"{run_dir}: not the folder of a finished run (it has no documents/)")
    positives = _rows(documents)
    per_stage = {stage: _rows(run / "rejected" / stage) for stage in stages}
    negatives = sum(per_stage.values())
    if min(positives, negatives) < options.min_per_class:
        detail = ", ".join(f"{stage} {n}" for stage, n in per_stage.items())
        raise NotEnoughDocuments(
            f"{run_dir}: too few documents to bootstrap a classifier: {positives} final documents (positives) "
            f"and {negatives} heuristic rejects (negatives: {detail}); each side needs at least "
            f"{options.min_per_class} (--min-per-class): run on more input, or lower --min-per-class"
        )
    negative_sources = [str(run / "rejected" / s) for s, n in per_stage.items() if n > 0]
    card_note = {
        "bootstrap": {
            "run": run_dir,
            "positives": "documents",
            "negative_stages": per_stage,
        }
    }
    return train([str(documents)], negative_sources, output, options, extra_card=card_note)
