"""`curate run`: expand inputs, prepare DIR, run an engine, merge stats, write stats.json."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline import __version__
from pipeline.inputs import InputFile, expand_inputs
from pipeline.local import run_local
from pipeline.output import finished_shards, prepare_output_dir, shard_stats_path, write_json_atomic
from pipeline.recipe import Recipe, load_recipe
from pipeline.report import build_report
from pipeline.stats import accounting_problems, merge_shard_stats


@dataclass
class RunOptions:
    recipe: str
    inputs: list[str]
    output: Path
    engine: str = "local"
    workers: int | None = None  # default: all cores
    master: str | None = None
    limit: int | None = None
    resume: bool = False
    overwrite: bool = False
    paths_prefix: str | None = None
    stage_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: bool = True


@dataclass
class RunResult:
    stats: dict[str, Any]
    failures: list[tuple[str, str]]  # (input, traceback) of files that crashed unexpectedly
    skipped_as_done: int


def build_recipe(options: RunOptions) -> Recipe:
    recipe = load_recipe(options.recipe, options.stage_options)
    if options.limit is not None:
        if options.limit < 1:
            raise ValueError("--limit must be at least 1")
        recipe.reader = dataclasses.replace(recipe.reader, limit=options.limit)
    return recipe


def run(options: RunOptions) -> RunResult:
    recipe = build_recipe(options)
    inputs = expand_inputs(options.inputs, options.paths_prefix)
    out = Path(options.output)
    manifest = {
        "curate_version": __version__,
        "recipe": recipe.name,
        "recipe_source": recipe.source,
        "fingerprint": recipe.fingerprint(),
        "recipe_settings": recipe.describe(),
    }
    prepare_output_dir(out, manifest, options.resume, options.overwrite)
    done = finished_shards(out) if options.resume else set()
    pending = [f for f in inputs if f.shard_id not in done]
    failures: list[tuple[str, str]] = []
    workers = options.workers or os.cpu_count() or 1

    bar = tqdm(
        total=len(pending),
        unit="file",
        desc=f"curate {recipe.name}",
        disable=not options.progress,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    counts = {"records": 0, "kept": 0}

    def on_progress(records: int, kept: int) -> None:
        counts["records"] += records
        counts["kept"] += kept
        bar.set_postfix(records=counts["records"], kept=counts["kept"], refresh=False)
        bar.refresh()

    def on_file_done(path: str, stats: dict[str, Any] | None, error: str | None) -> None:
        bar.update(1)
        if error is not None:
            failures.append((path, error))

    try:
        if options.engine == "local":
            run_local(recipe, pending, out, workers, on_progress, on_file_done)
        elif options.engine == "spark":
            from pipeline.spark import run_spark

            run_spark(recipe, pending, out, options.master, on_file_done)
        else:
            raise ValueError(f"unknown engine {options.engine!r}; choose local or spark")
    finally:
        bar.close()
    stats = collect_stats(out, recipe, inputs)
    stats["engine"] = options.engine
    stats["failed_inputs"] = [{"file": path, "traceback": tb} for path, tb in failures]
    write_json_atomic(out / "stats.json", stats)
    build_report(out)
    return RunResult(stats=stats, failures=failures, skipped_as_done=len(inputs) - len(pending))


def collect_stats(out: Path, recipe: Recipe, inputs: list[InputFile]) -> dict[str, Any]:
    """Merge the per-input stats of every finished input in DIR (input order first, then others)."""
    ordered = [shard_stats_path(out, f.shard_id) for f in inputs]
    others = sorted(set((out / "_shards").glob("*.json")) - set(ordered))
    shards = [json.loads(p.read_text()) for p in [*ordered, *others] if p.exists()]
    merged = merge_shard_stats(shards, [stage.name for stage in recipe.stages])
    stats = {"recipe": recipe.name, "fingerprint": recipe.fingerprint(), **merged}
    stats["accounting_ok"] = not accounting_problems(stats)
    return stats
