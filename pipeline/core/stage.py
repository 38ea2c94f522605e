"""The stage interface: a function over Arrow record batches.

A stage takes a `pyarrow.RecordBatch` of documents and returns the kept rows plus the rejected rows,
each rejected row carrying a `reason` (and, when a threshold tripped, the `value` of its signal).
Stages hold no state beyond what `setup()` loads once per process (a model, a blocklist), so the
local runner and the Spark engine can run the very same stage objects.

Two ways to write one:
- `DocumentFilter`: implement `filter(doc)` returning None (keep), a reason string, or a
  `Rejection(reason, value)`. It may also rewrite `doc.text` (e.g. C4 removes lines).
- `Stage`: implement `process(batch)` for stages that gain from whole batches (language ID, MinHash).

Signals: a stage may declare the values it thresholds on (`signals = (Signal(...), ...)`) and call
`self.observe(name, value)` for every document it judges (kept or rejected); the runner merges these
fixed-bin histograms into stats.json, and the report draws them with the configured thresholds.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from pipeline.core.schema import REASON_FIELD, VALUE_FIELD
from pipeline.core.stats import Histogram


@dataclass(frozen=True)
class Rejection:
    reason: str
    value: float | None = None


@dataclass(frozen=True)
class Signal:
    """A value a stage computes per document and thresholds on, histogrammed in fixed bins.

    `thresholds` name Config fields ("min_words", or "top_n_grams[2]" for a dict entry) or give
    numbers; a field that is missing, None, 0 or negative (a rule turned off) is left out. The bins
    are fixed here, not fitted to the data, so that per-file histograms merge exactly (and equal on
    both engines).
    """

    name: str
    low: float
    high: float
    bins: int = 50
    thresholds: tuple[str | float, ...] = ()
    log: bool = False
    label: str = ""

    def histogram(self, config: Any) -> Histogram:
        values = []
        for t in self.thresholds:
            value = _config_value(config, t) if isinstance(t, str) else t
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                values.append(float(value))
        return Histogram(self.name, self.low, self.high, self.bins, self.log, values, self.label)


def _config_value(config: Any, path: str) -> Any:
    """`field` or `field[key]` of a stage config (an int-looking key is tried as an int too)."""
    name, _, key = path.partition("[")
    value = getattr(config, name, None)
    if not key:
        return value
    key = key.rstrip("]")
    if not isinstance(value, dict):
        return None
    return value.get(int(key), value.get(key)) if key.lstrip("-").isdigit() else value.get(key)


@dataclass
class StageOutput:
    kept: pa.RecordBatch
    rejected: pa.RecordBatch  # the rejected input rows plus `reason` and `value` columns


@dataclass
class EmptyConfig:
    """A stage without parameters."""


class Stage:
    """Base class of every stage. Subclasses set `name` and `Config` and implement `process`."""

    name: ClassVar[str] = ""
    Config: ClassVar[type] = EmptyConfig
    # "html" for stages that run before extraction (they see the raw page and no text yet).
    needs: ClassVar[str] = "text"
    # The signals this stage observes (histograms in stats.json and the report).
    signals: ClassVar[tuple[Signal, ...]] = ()
    # Every reason code it can give a dropped document (`()`: it drops none); `{param}` stands for a
    # parameter's value or a value from the data (`language:score<{threshold}`). Shown by `curate
    # stages`; the tests check that every stage declares them and every reason they see is declared.
    reasons: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.Config()
        self.counters: Counter[str] = Counter()  # extra per-stage statistics, merged into stats.json
        self.histograms: dict[str, Histogram] = {s.name: s.histogram(self.config) for s in self.signals}
        self._ready = False

    # -- signals ---------------------------------------------------------------------------------
    def observe(self, name: str, value: float) -> None:
        """Record one document's value of a declared signal (cheap: one bin increment)."""
        self.histograms[name].add(value)

    def observe_many(self, name: str, values: Any) -> None:
        """Record a whole batch of values (a numpy array) of a declared signal."""
        self.histograms[name].add_many(values)

    def reset_signals(self) -> None:
        """Empty histograms before an input file (rebuilt: the config may have changed since __init__)."""
        self.histograms = {s.name: s.histogram(self.config) for s in self.signals}

    # -- lifecycle -------------------------------------------------------------------------------
    def setup(self) -> None:
        """Load models or lists; called once per process before the first batch."""

    def ensure_setup(self) -> None:
        if not self._ready:
            self.setup()
            self._ready = True

    def start_shard(self) -> None:
        """Called before each input file: reset per-file state (e.g. trafilatura's caches)."""

    # -- the work --------------------------------------------------------------------------------
    def process(self, batch: pa.RecordBatch) -> StageOutput:
        raise NotImplementedError

    def added_fields(self) -> list[pa.Field]:
        """Annotation columns this stage appends to kept documents (they travel to documents/)."""
        return []

    def rejected_fields(self) -> list[pa.Field]:
        """Extra columns of this stage's rejected rows (e.g. dedup's `duplicate_of`)."""
        return []

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **dataclasses.asdict(self.config)}

    def __getstate__(self) -> dict[str, Any]:
        # Loaded models stay behind when a stage is sent to another process; setup() reloads them.
        state = self.__dict__.copy()
        state["_ready"] = False
        for key in getattr(self, "_unpicklable", ()):
            state.pop(key, None)
        return state


class GlobalStage(Stage):
    """A stage that must see every document before it can judge one (deduplication).

    It declares *what* it computes; each engine decides *how* (pipeline/engines/local_dedup.py with
    numpy and spill files, pipeline/engines/spark_dedup.py with DataFrames):
    - `bucket_keys(batch)`: each document's keys (one per band); documents sharing a key are linked;
    - clusters are the connected components of those links;
    - in each cluster the document with the smallest `order_keys` survives (ties: the first in part
      order), and every other member becomes a decision (row, duplicate_of, cluster_size) of its part
      in `workdir` (pipeline.core.clusters);
    - `process` is then an ordinary batch stage, the same on every engine, that applies the decisions
      of the part the runner announced with `start_part`.
    Adjacent global stages of a recipe are analysed together, in one pass over the corpus: a document
    one of them removes takes no part in the clusters of the next.
    """

    is_global: ClassVar[bool] = True

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.workdir: str | None = None  # set by the runner before the apply step

    @property
    def key_columns(self) -> list[str]:
        """The document columns `bucket_keys` reads."""
        return ["text"]

    @property
    def order_columns(self) -> list[str]:
        """The document columns `order_keys` reads."""
        return ["id"]

    @property
    def read_batch_size(self) -> int:
        """Rows per batch when an analysis streams the parts."""
        return 2048

    def bucket_keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo) uint64 arrays of shape (rows, keys), and a bool mask of the same shape: the keys
        that take part (a document without a signature has none)."""
        raise NotImplementedError

    def order_keys(self, batch: pa.RecordBatch) -> list[str]:
        """Per row, the key that picks the survivor of a cluster (the smallest wins)."""
        raise NotImplementedError

    def start_part(self, key: str) -> None:
        """Before the rows of part `key` (pipeline.core.clusters.part_key) come, in file order."""
        raise NotImplementedError


def rejection_columns(reasons: Sequence[Rejection]) -> tuple[pa.Array, pa.Array]:
    return (
        pa.array([r.reason for r in reasons], type=REASON_FIELD.type),
        pa.array([r.value for r in reasons], type=VALUE_FIELD.type),
    )


def split_batch(
    batch: pa.RecordBatch,
    verdicts: Sequence[Rejection | None],
    new_text: Sequence[str] | None = None,
) -> StageOutput:
    """Split `batch` by per-row verdicts (None = keep); optionally replace the text of kept rows."""
    if new_text is not None:
        idx = batch.schema.get_field_index("text")
        batch = batch.set_column(idx, batch.schema.field(idx), pa.array(new_text, type=pa.string()))
    keep = np.fromiter((v is None for v in verdicts), dtype=bool, count=len(verdicts))
    kept = batch.filter(pa.array(keep))
    rejected_rows = batch.filter(pa.array(~keep))
    reasons = [v for v in verdicts if v is not None]
    reason_col, value_col = rejection_columns(reasons)
    rejected = rejected_rows.append_column(REASON_FIELD, reason_col).append_column(VALUE_FIELD, value_col)
    return StageOutput(kept=kept, rejected=rejected)


def keep_all(batch: pa.RecordBatch) -> StageOutput:
    return split_batch(batch, [None] * batch.num_rows)


class Document:
    """A mutable per-row view handed to `DocumentFilter.filter`."""

    __slots__ = ("id", "language", "language_score", "text", "url")

    def __init__(
        self, id: str, url: str | None, text: str, language: str | None, language_score: float | None
    ):
        self.id = id
        self.url = url
        self.text = text
        self.language = language
        self.language_score = language_score


class DocumentFilter(Stage):
    """A stage written as one `filter(doc)` per document, lifted to batches here."""

    def filter(self, doc: Document) -> str | Rejection | None:
        raise NotImplementedError

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        columns = {name: batch.column(name).to_pylist() for name in Document.__slots__}
        verdicts: list[Rejection | None] = []
        new_text: list[str] | None = None
        for i in range(batch.num_rows):
            doc = Document(**{name: col[i] for name, col in columns.items()})
            text_before = doc.text
            verdict = self.filter(doc)
            if isinstance(verdict, str):
                verdict = Rejection(verdict)
            verdicts.append(verdict)
            if doc.text is not text_before and verdict is None:
                if new_text is None:
                    new_text = list(columns["text"])
                new_text[i] = doc.text
        return split_batch(batch, verdicts, new_text)
