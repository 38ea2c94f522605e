"""`curate run`: expand inputs, prepare DIR, run the recipe's segments on an engine, write stats.json."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline import __version__
from pipeline.core.plan import Segment, plan_segments
from pipeline.core.recipe import Recipe, load_recipe
from pipeline.core.stats import accounting_problems, merge_shard_stats
from pipeline.engines.base import Engine, SegmentRun, make_engine
from pipeline.io.input_kinds import select_input_kinds
from pipeline.io.inputs import InputFile, expand_inputs
from pipeline.io.output import (
    OutputDirError,
    finished_shards,
    prepare_output_dir,
    read_json,
    write_json_atomic,
)
from pipeline.io.storage import Location
from pipeline.report.html import build_report


@dataclass
class RunOptions:
    recipe: str
    inputs: list[str]
    output: str | Path | Location  # a local directory or an object-store/HDFS URI
    engine: str = "local"
    workers: int | None = None  # default: all cores
    master: str | None = None
    limit: int | None = None
    resume: bool = False
    overwrite: bool = False
    paths_prefix: str | None = None
    benchmarks: list[str] = field(default_factory=list)  # extra decontamination benchmark files
    robots: list[str] = field(default_factory=list)  # robots.txt WARCs for the robots_optout stage
    stage_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: bool = True
    report: bool = True  # write DIR/report.html at the end
    input_type: str = "auto"  # auto | warc | wet (see pipeline.io.input_kinds)
    allow_partial: bool = False  # inputs that cannot be read do not fail the run (exit code 0, not 3)
    keep_work: bool = False  # keep DIR/_work/ after a successful run


# Exit codes of `curate run` (documented in its --help and the README).
EXIT_OK = 0
EXIT_FAILED = 1  # a file crashed (a bug), or the accounting rule broke
EXIT_USAGE = 2  # bad usage, recipe, input path or output directory; found before any work
EXIT_UNREADABLE = 3  # some input files could not be read at all (--allow-partial accepts that)


@dataclass
class RunResult:
    stats: dict[str, Any]
    failures: list[tuple[str, str]]  # (input, traceback) of files that crashed unexpectedly
    skipped_as_done: int

    def exit_code(self, allow_partial: bool = False) -> int:
        if self.failures or not self.stats["accounting_ok"]:
            return EXIT_FAILED
        if self.stats.get("unreadable_inputs") and not allow_partial:
            return EXIT_UNREADABLE
        return EXIT_OK


def build_recipe(options: RunOptions) -> Recipe:
    recipe = load_recipe(options.recipe, options.stage_options)
    if options.limit is not None:
        if options.limit < 1:
            raise ValueError("--limit must be at least 1")
        recipe.reader = dataclasses.replace(recipe.reader, limit=options.limit)
    if options.benchmarks:
        try:
            stage = recipe.stage("decontamination")
        except KeyError:
            raise ValueError(
                f"--benchmarks needs a recipe with the decontamination stage ({recipe.name} has none)"
            ) from None
        missing = [b for b in options.benchmarks if not Path(b).is_file()]
        if missing:
            raise ValueError(f"--benchmarks: file not found: {missing[0]}")
        stage.config.benchmarks = [*stage.config.benchmarks, *options.benchmarks]
    if options.robots:
        try:
            stage = recipe.stage("robots_optout")
        except KeyError:
            raise ValueError(
                f"--robots needs a recipe with the robots_optout stage ({recipe.name} has none; "
                "try --recipe fineweb_optout)"
            ) from None
        stage.config.robots = [*(stage.config.robots or []), *options.robots]
    if any(stage.name == "robots_optout" for stage in recipe.stages):
        recipe.stage("robots_optout").check_sources()  # before DIR is touched: sources given and found
    return recipe


def _prepare(out: Location, segment: Segment) -> None:
    """Stages with a `prepare` step (decontamination's n-gram set) build it once, on the driver."""
    for stage in segment.stages:
        prepare = getattr(stage, "prepare", None)
        if prepare is None:
            continue
        workdir = out / "_work" / stage.name
        started = time.perf_counter()
        stats = prepare(str(workdir))
        stats["seconds"] = round(time.perf_counter() - started, 4)
        write_json_atomic(workdir / "prepare.json", stats)


def segment_parts(out: Location, segment: Segment) -> list[InputFile]:
    """The Parquet parts a later segment reads: the survivors of the segment before it."""
    if segment.input_dir is None:
        return []
    paths = (out / segment.input_dir).glob("part-*.parquet")
    return [InputFile(str(p), shard=p.stem.removeprefix("part-"), format="parquet") for p in paths]


def _analysis(out: Location, segment: Segment, parts: list[InputFile], engine: Engine) -> None:
    """Run (or reuse) the analysis of the segment's global stages (one pass for all of them); a fresh
    analysis invalidates later segments."""
    stages = segment.global_stages
    workdirs = [out / "_work" / stage.name for stage in stages]
    part_names = [p.shard_id for p in parts]
    if all(
        (w / "analysis.json").exists() and read_json(w / "analysis.json").get("parts") == part_names
        for w in workdirs
    ):
        for stage, workdir in zip(stages, workdirs):
            stage.workdir = str(workdir)
        return
    for workdir in workdirs:
        workdir.remove()
        workdir.mkdir()
    for stale in (out / "_shards").glob("s*"):
        if int(stale.name[1:]) >= segment.index:
            stale.remove()
    started = time.perf_counter()
    all_stats = engine.analyze(stages, [p.path for p in parts], [str(w) for w in workdirs])
    seconds = round(time.perf_counter() - started, 4)
    for index, (stage, workdir, stats) in enumerate(zip(stages, workdirs, all_stats)):
        stats["seconds"] = seconds if index == 0 else 0.0  # one pass for all: its time counts once
        if index > 0:
            stats["analysed_with"] = stages[0].name
        write_json_atomic(workdir / "analysis.json", {"parts": part_names, "stats": stats})
        stage.workdir = str(workdir)


def run(options: RunOptions) -> RunResult:
    recipe = build_recipe(options)
    inputs, note = select_input_kinds(expand_inputs(options.inputs, options.paths_prefix), options.input_type)
    if note:
        print(f"curate: {note}", file=sys.stderr)
    out = Location(options.output)
    manifest = {
        "curate_version": __version__,
        "recipe": recipe.name,
        "recipe_source": recipe.source,
        "fingerprint": recipe.fingerprint(),
        "recipe_settings": recipe.describe(),
    }
    prepare_output_dir(out, manifest, options.resume, options.overwrite)
    finished = _finished_run(out, recipe, inputs) if options.resume else None
    if finished is not None:
        return finished
    engine = make_engine(options.engine, options.workers or os.cpu_count() or 1, options.master)

    failures: list[tuple[str, str]] = []
    skipped = 0
    # Per segment, the stats of each input file (by shard id) as the engine hands them over; the
    # markers in DIR/_shards are read back only for files a --resume found already finished.
    shard_stats: dict[str, dict[str, dict[str, Any]]] = {}
    for segment in plan_segments(recipe):
        segment_inputs = inputs if segment.index == 0 else segment_parts(out, segment)
        if segment.global_stages:
            _analysis(out, segment, segment_inputs, engine)
        _prepare(out, segment)
        done = finished_shards(out, segment.name) if options.resume else set()
        pending = [f for f in segment_inputs if f.shard_id not in done]
        if segment.index == 0:
            skipped = len(segment_inputs) - len(pending)
        collected = shard_stats.setdefault(segment.name, {})
        _run_with_progress(engine, segment, recipe, pending, out, options.progress, failures, collected)
    out.remove_temporaries()  # left by worker processes that were killed (their files were redone)
    stats = collect_stats(out, recipe, inputs, shard_stats)
    stats["engine"] = options.engine
    stats["failed_inputs"] = [{"file": path, "traceback": tb} for path, tb in failures]
    result = RunResult(stats=stats, failures=failures, skipped_as_done=skipped)
    remove_work = not options.keep_work and result.exit_code(options.allow_partial) == EXIT_OK
    if remove_work:
        stats["work_removed"] = True  # said before the removal: a --resume must never look for it
    write_json_atomic(out / "stats.json", stats)
    if remove_work:
        (out / "_work").remove()
    try:
        if options.report:
            build_report(out)
    except Exception as err:  # the run's outputs stand; `curate report DIR` can rebuild the report
        print(
            f"curate: warning: report.html not written ({type(err).__name__}: {err}); "
            f"run `curate report {out}` to retry",
            file=sys.stderr,
        )
    return result


def _finished_run(out: Location, recipe: Recipe, inputs: list[InputFile]) -> RunResult | None:
    """--resume of a run that finished and removed its work files (DIR/_work/): with global stages,
    new inputs cannot join (their dedup analysis needs the removed survivors), and with no new
    input there is nothing to redo: the stored stats stand. None: resume as usual."""
    stats_path = out / "stats.json"
    if len(plan_segments(recipe)) == 1 or not stats_path.exists():
        return None
    stats = read_json(stats_path)
    if not stats.get("work_removed"):
        return None
    done = finished_shards(out, "s0") | {
        f.shard_id for f in inputs if f.path in stats.get("unreadable_inputs", [])
    }
    pending = [f.path for f in inputs if f.shard_id not in done]
    if pending:
        more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
        raise OutputDirError(
            f"{out} holds a finished run whose work files (_work/) were removed, so its dedup stages "
            f"cannot take new inputs such as {pending[0]}{more}: use --overwrite to run again over all "
            "inputs (--keep-work keeps the work files of a run, for resuming it with more inputs)"
        )
    return RunResult(stats=stats, failures=[], skipped_as_done=len(inputs))


def _run_with_progress(
    engine: Engine,
    segment: Segment,
    recipe: Recipe,
    pending: list[InputFile],
    out: Location,
    progress: bool,
    failures: list[tuple[str, str]],
    collected: dict[str, dict[str, Any]],
) -> None:
    names = [s.name for s in segment.stages]
    label = names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}" if names else "read"
    bar = tqdm(
        total=len(pending),
        unit="file",
        desc=f"{recipe.name} [{label}]",
        disable=not progress,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    counts = {"records": 0, "kept": 0, "files": 0}
    shard_of = {f.path: f.shard_id for f in pending}

    def on_progress(records: int, kept: int) -> None:
        counts["records"] += records
        counts["kept"] += kept
        bar.set_postfix(records=counts["records"], kept=counts["kept"], refresh=False)
        bar.refresh()

    def on_file_done(path: str, stats: dict[str, Any] | None, error: str | None) -> None:
        counts["files"] += 1
        _advance(bar, counts["files"])
        if error is not None:
            failures.append((path, error))
        elif stats is not None:
            collected[shard_of[path]] = stats

    def on_tasks_done(finished: int) -> None:  # Spark: tasks finished but not yet collected
        _advance(bar, counts["files"] + finished)

    try:
        engine.run_segment(
            SegmentRun(segment, recipe.reader, pending, out, on_progress, on_file_done, on_tasks_done)
        )
    finally:
        bar.close()


def _advance(bar: tqdm, files: int) -> None:
    if files > bar.n:
        bar.update(min(files, bar.total) - bar.n)


def _read_all(paths: list[Location]) -> list[Any]:
    """JSON files in order; on an object store, fetched 16 at a time (one marker per input file)."""
    if all(p.is_local for p in paths):
        return [read_json(p) for p in paths]
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(read_json, paths))


def _segment_stats(
    out: Location, segment: Segment, inputs: list[InputFile], collected: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One segment's per-file stats in a fixed order (segment 0: input order; later segments: by
    part name), from memory, or from the markers of files finished by an earlier (resumed) run."""
    directory = out / "_shards" / segment.name
    present = {p.name.removesuffix(".json") for p in directory.glob("*.json")} | set(collected)
    ordered = [f.shard_id for f in inputs if f.shard_id in present] if segment.index == 0 else []
    others = sorted(present - set(ordered), key=lambda shard: f"{shard}.json")
    shards = [*ordered, *others]
    missing = [s for s in shards if s not in collected]
    loaded = dict(zip(missing, _read_all([directory / f"{s}.json" for s in missing])))
    return [collected[s] if s in collected else loaded[s] for s in shards]


def collect_stats(
    out: Location,
    recipe: Recipe,
    inputs: list[InputFile],
    shard_stats: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Merge the per-file stats of every segment (`shard_stats`: those of this run, by segment and
    shard; the markers in DIR stand in for the others)."""
    shard_stats = shard_stats or {}
    segments = [
        _segment_stats(out, segment, inputs, shard_stats.get(segment.name, {}))
        for segment in plan_segments(recipe)
    ]
    merged = merge_shard_stats(segments, [stage.name for stage in recipe.stages])
    for stage in merged["stages"]:
        analysis = out / "_work" / stage["name"] / "analysis.json"
        if analysis.exists():
            stage["analysis"] = read_json(analysis)["stats"]
        prepared = out / "_work" / stage["name"] / "prepare.json"
        if prepared.exists():
            stage["prepare"] = read_json(prepared)
    stats = {"recipe": recipe.name, "fingerprint": recipe.fingerprint(), **merged}
    stats["accounting_ok"] = not accounting_problems(stats)
    return stats
