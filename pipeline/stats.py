"""Run statistics: per input file, merged into DIR/stats.json, and the accounting rule.

Accounting rule (DESIGN.md): for every stage, in = out + sum(dropped); for the run, every document
record read is a final document, a rejected row or a counted skip.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StageStats:
    name: str
    docs_in: int = 0
    docs_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    bytes_out: int = 0  # UTF-8 bytes of text kept after this stage
    counters: Counter[str] = field(default_factory=Counter)

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
        )

    def merge(self, other: StageStats) -> None:
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.dropped.update(other.dropped)
        self.seconds += other.seconds
        self.bytes_out += other.bytes_out
        self.counters.update(other.counters)


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
