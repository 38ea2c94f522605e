"""The local engine: input files spread over worker processes, batches streamed through the stages.

Each worker loads the recipe's models once (Stage.setup) and then processes whole input files, one
at a time, writing that file's parts; memory stays flat whatever the input size because nothing
holds more than one batch per stage. Progress flows back to the parent over a queue.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import traceback
from collections.abc import Callable
from typing import Any

from pipeline.chain import StageChain
from pipeline.inputs import InputFile
from pipeline.plan import Segment
from pipeline.shard import process_input
from pipeline.storage import Location
from pipeline.warc import ReaderConfig

_worker: dict[str, Any] = {}


def _init_worker(segment: Segment, reader_config: ReaderConfig, out: Location, progress_queue: Any) -> None:
    _worker["segment"] = segment
    _worker["reader_config"] = reader_config
    _worker["chain"] = StageChain(segment.stages, segment.prior)
    _worker["out"] = out
    _worker["queue"] = progress_queue


def _run_in_worker(input_file: InputFile) -> tuple[str, dict[str, Any] | None, str | None]:
    progress_queue = _worker["queue"]

    def report(records: int, kept: int) -> None:
        progress_queue.put((records, kept))

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
    on_progress: Callable[[int, int], None],
    on_file_done: Callable[[str, dict[str, Any] | None, str | None], None],
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
    progress_queue = context.Queue()
    init_args = (segment, reader_config, out, progress_queue)
    with context.Pool(min(workers, len(inputs)), _init_worker, init_args) as pool:
        pending = [pool.apply_async(_run_in_worker, (f,)) for f in inputs]
        while pending:
            _drain(progress_queue, on_progress, timeout=0.2)
            still = []
            for result in pending:
                if result.ready():
                    on_file_done(*result.get())
                else:
                    still.append(result)
            pending = still
        _drain(progress_queue, on_progress, timeout=0)


def _drain(progress_queue: Any, on_progress: Callable[[int, int], None], timeout: float) -> None:
    try:
        item = progress_queue.get(timeout=timeout) if timeout else progress_queue.get_nowait()
        while True:
            on_progress(*item)
            item = progress_queue.get_nowait()
    except queue.Empty:
        return
