"""Running `curate run` in tests and checking what it wrote."""

import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.cli import main
from pipeline.core.registry import stage_class
from pipeline.core.stage_doc import is_declared
from pipeline.core.stats import accounting_problems


def curate(*args: str) -> int:
    return main(["run", "--no-progress", *args])


def read_dir(path: Path) -> list[dict]:
    files = sorted(path.glob("part-*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def rejected_rows(out: Path) -> list[dict]:
    return [row for d in sorted((out / "rejected").glob("*")) for row in read_dir(d)]


def check_layout_and_accounting(out: Path) -> dict:
    stats = json.loads((out / "stats.json").read_text())
    assert accounting_problems(stats) == []
    assert stats["accounting_ok"] is True
    documents = read_dir(out / "documents")
    assert len(documents) == stats["final_documents"]
    rejected = rejected_rows(out)
    assert len(rejected) == sum(sum(s["dropped"].values()) for s in stats["stages"])
    for row in rejected:
        assert row["stage"] and row["reason"]
        assert row["reason"] in next(s for s in stats["stages"] if s["name"] == row["stage"])["dropped"]
    ids = [d["id"] for d in documents] + [r["id"] for r in rejected]
    assert len(ids) == len(set(ids)), "a document appears twice"
    check_reasons_declared(stats)
    return stats


def check_reasons_declared(stats: dict) -> None:
    """Every drop reason of the run is one its stage declares (`Stage.reasons`, see `curate stages`)."""
    for stage in stats["stages"]:
        cls = stage_class(stage["name"])
        undeclared = sorted(r for r in stage["dropped"] if not is_declared(cls, r))
        assert not undeclared, f"{stage['name']} gives reasons missing from its `reasons`: {undeclared}"
