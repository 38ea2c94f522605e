"""`quality_classifier`: a fastText model's score for every document; drops those below a threshold.

The score is the model's probability of `label` (default `__label__hq`) for the document's text after
`classifiers.preprocess` (the very function its training used). Kept documents carry it in the
annotation column `column` (default `quality_score`, float32); a document scoring below `threshold`
is rejected as `quality_classifier:score<THRESHOLD` with the score as its `value`. The score is a
signal (0..1), so the report draws its histogram with the threshold. An empty text is scored like
any other (for our models: as an empty line, usually low).

`model` is a supervised fastText file: ours (`curate classifier train` / `bootstrap`, with a card
beside it) or any other, e.g. DCLM's (`__label__hq` / `__label__cc`). It is checked when the recipe is
loaded, before any work: see `classifiers.quality.check_model`. Give it with
`--set quality_classifier.model=PATH` (a local path, an object-store URI, or on Spark the name of a
file shipped with `--files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from classifiers.quality import ModelError, QualityScorer, check_model, describe_model
from pipeline.core.registry import register
from pipeline.core.schema import DOCUMENT_FIELDS, REJECTION_FIELDS
from pipeline.core.stage import Rejection, Signal, Stage, StageOutput, split_batch

_TAKEN_COLUMNS = {f.name for f in DOCUMENT_FIELDS} | {f.name for f in REJECTION_FIELDS}


@dataclass
class QualityClassifierConfig:
    model: str | None = None  # path or URI of a supervised fastText model (required)
    label: str = "__label__hq"  # the label whose probability is the score
    threshold: float = 0.5  # documents scoring below it are rejected (0 keeps all: annotate only)
    column: str = "quality_score"  # the annotation column of kept documents

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold: must be between 0 and 1, got {self.threshold}")
        if not self.column or not self.column.isidentifier() or self.column in _TAKEN_COLUMNS:
            raise ValueError(
                f"column: {self.column!r} must be a new column name (not one of {sorted(_TAKEN_COLUMNS)})"
            )
        if not self.model:
            raise ValueError(
                "model: no quality model given; set one with --set quality_classifier.model=PATH "
                "(train one with `curate classifier train` or `curate classifier bootstrap`)"
            )
        try:
            # Checked here, on the driver, so a bad model stops the run before any work.
            self._facts = describe_model(check_model(self.model, self.label))
        except ModelError as err:
            raise ValueError(str(err)) from None


@register
class QualityClassifier(Stage):
    name = "quality_classifier"
    Config = QualityClassifierConfig
    reasons = ("quality_classifier:score<{threshold}",)
    signals = (
        Signal("quality_score", 0, 1, thresholds=("threshold",), label="the model's probability of `label`"),
    )
    _unpicklable = ("_scorer",)

    def setup(self) -> None:
        c: QualityClassifierConfig = self.config
        self._scorer = QualityScorer(c.model, c.label)  # checks again: this process's copy of the file

    def describe(self) -> dict[str, Any]:
        # The model's size and hash join the recipe fingerprint: a retrained file is a different recipe.
        return {**super().describe(), **getattr(self.config, "_facts", {})}

    def added_fields(self) -> list[pa.Field]:
        return [pa.field(self.config.column, pa.float32())]

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        self.ensure_setup()
        c: QualityClassifierConfig = self.config
        scores = self._scorer.score(batch.column("text"))
        self.observe_many("quality_score", scores)
        if not self.config._facts["model_card"]:  # as checked on the driver (an executor may lack the card)
            self.counters["scored_without_model_card"] += batch.num_rows
        field, values = pa.field(c.column, pa.float32()), pa.array(scores, type=pa.float32())
        index = batch.schema.get_field_index(c.column)  # documents scored before (a rerun on Parquet)
        batch = batch.append_column(field, values) if index < 0 else batch.set_column(index, field, values)
        reason = f"quality_classifier:score<{c.threshold}"
        verdicts = [None if s >= c.threshold else Rejection(reason, s) for s in scores.tolist()]
        return split_batch(batch, verdicts)
