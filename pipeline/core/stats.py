"""Run statistics: per input file, merged into DIR/stats.json, and the accounting rule.

Accounting rule (DESIGN.md): for every stage, in = out + sum(dropped); for the run, every document
record read is a final document, a rejected row or a counted skip.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Histogram:
    """Counts of one signal in fixed bins, so that merging the histograms of input files is exact.

    `bins` equal-width bins cover [low, high] (in log10 space when `log`); values below `low` (and
    values <= 0 on a log scale) count as `under`, values above `high` as `over`; NaN is not counted.
    `thresholds` are the stage's configured cut-offs for this signal, drawn on the report's plots.
    """

    __slots__ = (
        "_hi",
        "_lo",
        "_scale",
        "bins",
        "counts",
        "high",
        "label",
        "log",
        "low",
        "name",
        "thresholds",
    )

    def __init__(
        self,
        name: str,
        low: float,
        high: float,
        bins: int,
        log: bool = False,
        thresholds: list[float] | None = None,
        label: str = "",
    ) -> None:
        if not high > low or bins < 1 or (log and low <= 0):
            raise ValueError(f"histogram {name}: need low < high, bins >= 1 and low > 0 on a log scale")
        self.name, self.low, self.high, self.bins, self.log = name, low, high, bins, log
        self.thresholds = list(thresholds or [])
        self.label = label
        self._lo = math.log10(low) if log else float(low)
        self._hi = math.log10(high) if log else float(high)
        self._scale = bins / (self._hi - self._lo)
        self.counts = [0] * (bins + 2)  # [under, bin 0 .. bin bins-1, over]

    def add(self, value: float) -> None:
        """Count one value: a few float operations and one list increment, no allocation."""
        if self.log:
            if not value > 0:
                if value == value:  # not NaN
                    self.counts[0] += 1
                return
            value = math.log10(value)
        if value < self._lo:
            self.counts[0] += 1
        elif value > self._hi:
            self.counts[-1] += 1
        elif value == value:
            self.counts[min(int((value - self._lo) * self._scale), self.bins - 1) + 1] += 1

    def add_many(self, values: Any) -> None:
        """Count a numpy array of values (one bincount per batch)."""
        import numpy as np

        x = np.asarray(values, dtype=np.float64)
        x = x[~np.isnan(x)]
        under = np.zeros(x.shape, dtype=bool)
        if self.log:
            under = x <= 0
            x = np.log10(np.where(under, 1.0, x))
        under |= x < self._lo
        over = ~under & (x > self._hi)
        index = np.minimum(((x - self._lo) * self._scale).astype(np.int64), self.bins - 1) + 1
        index = np.where(under, 0, np.where(over, self.bins + 1, index))
        for i, n in enumerate(np.bincount(index, minlength=self.bins + 2).tolist()):
            self.counts[i] += n

    def reset(self) -> None:
        self.counts = [0] * (self.bins + 2)

    @property
    def total(self) -> int:
        return sum(self.counts)

    def edges(self) -> list[float]:
        """The bins+1 bin edges in the signal's own units."""
        step = (self._hi - self._lo) / self.bins
        points = [self._lo + i * step for i in range(self.bins + 1)]
        return [10**p for p in points] if self.log else points

    def same_bins(self, other: Histogram) -> bool:
        return (self.low, self.high, self.bins, self.log) == (other.low, other.high, other.bins, other.log)

    def merge(self, other: Histogram) -> None:
        if not self.same_bins(other):
            raise ValueError(f"histogram {self.name}: cannot merge different bins")
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]

    def copy(self) -> Histogram:
        twin = Histogram(self.name, self.low, self.high, self.bins, self.log, self.thresholds, self.label)
        twin.counts = list(self.counts)
        return twin

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "bins": self.bins, "log": self.log}
        if self.label:
            out["label"] = self.label
        out["thresholds"] = self.thresholds
        out["n"] = self.total
        out["under"], out["over"] = self.counts[0], self.counts[-1]
        out["counts"] = self.counts[1:-1]
        return out

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> Histogram:
        hist = cls(
            name,
            data["low"],
            data["high"],
            data["bins"],
            data["log"],
            data["thresholds"],
            data.get("label", ""),
        )
        hist.counts = [data["under"], *data["counts"], data["over"]]
        return hist


@dataclass
class StageStats:
    name: str
    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    bytes_out: int = 0  # UTF-8 bytes of text kept after this stage
    counters: Counter[str] = field(default_factory=Counter)
    # signal name -> values of every document the stage judged (see pipeline.core.stage.Signal)
    histograms: dict[str, Histogram] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "in": self.docs_in,
            "out": self.docs_out,
            "dropped": dict(sorted(self.dropped.items())),
            "seconds": round(self.seconds, 4),
            "bytes_out": self.bytes_out,
        }
        if self.counters:
            out["counters"] = dict(sorted(self.counters.items()))
        if self.histograms:
            out["histograms"] = {name: h.to_dict() for name, h in self.histograms.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageStats:
        return cls(
            name=data["name"],
            docs_in=data["in"],
            docs_out=data["out"],
            dropped=Counter(data.get("dropped", {})),
            seconds=data.get("seconds", 0.0),
            bytes_out=data.get("bytes_out", 0),
            counters=Counter(data.get("counters", {})),
            histograms={n: Histogram.from_dict(n, h) for n, h in data.get("histograms", {}).items()},
        )

    def merge(self, other: StageStats) -> None:
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.seconds += other.seconds
        self.bytes_out += other.bytes_out
        self.counters.update(other.counters)
        self.merge_histograms(other.histograms)

    def merge_histograms(self, histograms: dict[str, Histogram]) -> None:
        for name, hist in histograms.items():
            if name in self.histograms:
                self.histograms[name].merge(hist)
            else:
                self.histograms[name] = hist.copy()


def merge_records(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "read": 0,
        "documents": 0,
        "skipped": Counter(),
        "other_records": Counter(),
        "info": Counter(),
    }
    errors: list[dict[str, str]] = []
    for part in parts:
        merged["read"] += part["read"]
        merged["documents"] += part["documents"]
        for key in ("skipped", "other_records", "info"):
            merged[key].update(part.get(key, {}))
        errors.extend(part.get("errors", []))
    for key in ("skipped", "other_records", "info"):
        merged[key] = dict(sorted(merged[key].items()))
    merged["errors"] = errors
    return merged


def merge_shard_stats(segments: list[list[dict[str, Any]]], stage_names: list[str]) -> dict[str, Any]:
    """Combine per-input-file stats into the run's stats.json body.

    `segments[k]` holds the per-shard stats of recipe segment k (segment 0 read the WARC records;
    later ones applied a global stage's decisions); the last segment's survivors are the final documents.
    """
    stages = {name: StageStats(name) for name in stage_names}
    for shards in segments:
        for shard in shards:
            for stage in shard["stages"]:
                stages[stage["name"]].merge(StageStats.from_dict(stage))
    first = segments[0] if segments else []
    records = merge_records([shard["records"] for shard in first])
    last = segments[-1] if segments else []
    return {
        "records": records,
        "stages": [stages[name].to_dict() for name in stage_names],
        "final_documents": sum(shard["final_documents"] for shard in last),
        "input_files": len(first),
        "input_errors": list(records["errors"]),
        # inputs of which nothing could be read (empty, not a WARC, a WAT, cut in their first record)
        "unreadable_inputs": [shard["input"] for shard in first if shard.get("read_failed")],
    }


def accounting_problems(stats: dict[str, Any]) -> list[str]:
    """Every way `stats` breaks the accounting rule (empty when it holds)."""
    problems = []
    records = stats["records"]
    skipped = sum(records["skipped"].values())
    if records["read"] != records["documents"] + skipped:
        problems.append(
            f"records: read {records['read']} != documents {records['documents']} + skipped {skipped}"
        )
    expected_in = records["documents"]
    rejected = 0
    for stage in stats["stages"]:
        dropped = sum(stage["dropped"].values())
        rejected += dropped
        if stage["in"] != stage["out"] + dropped:
            problems.append(
                f"stage {stage['name']}: in {stage['in']} != out {stage['out']} + dropped {dropped}"
            )
        if stage["in"] != expected_in:
            problems.append(f"stage {stage['name']}: in {stage['in']} != previous out {expected_in}")
        expected_in = stage["out"]
    if stats["final_documents"] != expected_in:
        problems.append(f"final_documents {stats['final_documents']} != last stage out {expected_in}")
    if records["read"] != stats["final_documents"] + rejected + skipped:
        problems.append(
            f"run: read {records['read']} != final {stats['final_documents']} + rejected {rejected} + skipped {skipped}"
        )
    return problems
