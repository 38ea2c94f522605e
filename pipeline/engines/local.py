"""The local engine: input files spread over worker processes, batches streamed through the stages.

Each worker loads the recipe's models once (Stage.setup) and then processes whole input files, one
at a time, writing that file's parts; memory stays flat whatever the input size because nothing
holds more than one batch per stage. Progress flows back to the parent over a queue.

A worker process that dies (killed for memory, a crash in a C extension) does not hang or sink the
run: the files it was working on are retried one at a time in a fresh process, as Spark retries a
task, and a file that kills its worker `MAX_CRASHES` times is reported as failed; the other files
go on. Parts of a killed attempt are never published (temporary names), so retries leave no
duplicates.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipeline.core.chain import StageChain
from pipeline.core.plan import Segment
from pipeline.core.stage import GlobalStage
from pipeline.engines.base import FileDone, ProgressFn, SegmentRun
from pipeline.engines.local_dedup import analyze_locally
from pipeline.engines.task import process_input
from pipeline.io.inputs import InputFile
from pipeline.io.storage import Location
from pipeline.io.warc import ReaderConfig

MAX_CRASHES = 3  # a file whose worker process dies this many times is reported as failed

_worker: dict[str, Any] = {}


def _init_worker(segment: Segment, reader_config: ReaderConfig, out: Location, progress_queue: Any) -> None:
    _worker["segment"] = segment
    _worker["reader_config"] = reader_config
    _worker["chain"] = StageChain(segment.stages, segment.prior)
    _worker["out"] = out
    _worker["queue"] = progress_queue


def _run_in_worker(input_file: InputFile) -> tuple[str, dict[str, Any] | None, str | None]:
    progress_queue = _worker["queue"]
    progress_queue.put(("start", input_file.shard_id))

    def report(records: int, kept: int) -> None:
        progress_queue.put(("progress", records, kept))

    try:
        stats = process_input(
            input_file, _worker["segment"], _worker["reader_config"], _worker["chain"], _worker["out"], report
        )
        return input_file.path, stats, None
    except Exception:  # a bug on one file must not take the others down; reported at the end
        return input_file.path, None, traceback.format_exc()


def run_local(
    segment: Segment,
    reader_config: ReaderConfig,
    inputs: list[InputFile],
    out: Location,
    workers: int,
    on_progress: ProgressFn,
    on_file_done: FileDone,
) -> None:
    """Process `inputs` (already filtered for --resume); callbacks run in this (the parent) process."""
    if workers <= 1 or len(inputs) <= 1:
        # In-process: simpler tracebacks, and the extraction timeout works (main thread).
        chain = StageChain(segment.stages, segment.prior)
        for input_file in inputs:
            try:
                stats = process_input(input_file, segment, reader_config, chain, out, on_progress)
                on_file_done(input_file.path, stats, None)
            except Exception:
                on_file_done(input_file.path, None, traceback.format_exc())
        return
    context = mp.get_context("spawn")  # no fork: workers start clean, without the parent's threads
    base_args = (segment, reader_config, out)
    pending = list(inputs)
    while pending:
        suspects, untouched = _pool_pass(pending, workers, context, base_args, on_progress, on_file_done)
        if suspects == [] and len(untouched) == len(pending) and untouched:
            # workers die before they start any file (e.g. out of memory while loading the models)
            for input_file in untouched:
                on_file_done(input_file.path, None, "worker processes die before processing any file\n")
            return
        pending = untouched
        for input_file in suspects:  # alone, so that a crash names its file
            deaths = 1  # the pool's
            while _pool_pass([input_file], 1, context, base_args, on_progress, on_file_done) != ([], []):
                deaths += 1
                if deaths >= MAX_CRASHES:
                    on_file_done(
                        input_file.path,
                        None,
                        f"the worker process died {MAX_CRASHES} times on this file (killed for memory, "
                        "or a crash in a C extension); its parts were discarded\n",
                    )
                    break


def _pool_pass(
    files: list[InputFile],
    workers: int,
    context: Any,
    base_args: tuple[Any, ...],
    on_progress: ProgressFn,
    on_file_done: FileDone,
) -> tuple[list[InputFile], list[InputFile]]:
    """Run `files` in a pool until all are done or a worker dies; then return (files that were being
    processed when it died, files not started yet)."""
    # A fresh queue per pool: a killed worker may leave one half-written. SimpleQueue writes at
    # once (no feeder thread), so a file's "start" is known before the worker can die on it.
    progress_queue = context.SimpleQueue()
    init_args = (*base_args, progress_queue)
    by_shard = {f.shard_id: f for f in files}
    started: set[str] = set()
    finished: set[str] = set()
    broken = False
    with ProcessPoolExecutor(min(workers, len(files)), context, _init_worker, init_args) as pool:
        futures: dict[Future, InputFile] = {pool.submit(_run_in_worker, f): f for f in files}
        remaining = set(futures)
        while remaining and not broken:
            done, remaining = wait(remaining, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(progress_queue, on_progress, started)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                finished.add(futures[future].shard_id)
                on_file_done(*result)
        _drain(progress_queue, on_progress, started)
    if not broken:
        return [], []
    suspects = [by_shard[s] for s in sorted(started - finished)]
    untouched = [f for f in files if f.shard_id not in started and f.shard_id not in finished]
    return suspects, untouched


def _drain(progress_queue: Any, on_progress: ProgressFn, started: set[str]) -> None:
    while not progress_queue.empty():
        message = progress_queue.get()
        if message[0] == "start":
            started.add(message[1])
        else:
            on_progress(message[1], message[2])


class LocalEngine:
    """Worker processes on this machine (one input file at a time each); analyses in this process."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run_segment(self, run: SegmentRun) -> None:
        run_local(
            run.segment,
            run.reader_config,
            run.inputs,
            run.out,
            self.workers,
            run.on_progress,
            run.on_file_done,
        )

    def analyze(
        self, stages: list[GlobalStage], parts: list[str], workdirs: list[str]
    ) -> list[dict[str, Any]]:
        return analyze_locally(stages, parts, workdirs)
