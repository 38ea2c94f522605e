"""The one interface both engines implement, and the factory `curate run` uses to pick one.

An engine does two things: it runs one recipe segment over input files (each file streamed through
the stage chain by `pipeline.engines.task.process_input`, its parts and stats marker written under
DIR), and it computes the analysis of a segment's global stages (the decisions of the dedup stages) over
the parts of the segment before. The local engine does both in worker processes on this machine, the Spark
engine in Spark tasks; their outputs are byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.core.plan import Segment
from pipeline.core.stage import GlobalStage
from pipeline.io.inputs import InputFile
from pipeline.io.storage import Location
from pipeline.io.warc import ReaderConfig

ENGINES = ("local", "spark")

ProgressFn = Callable[[int, int], None]  # (records read, documents kept) since the last call
# Called once per input file in the driver: (path, its stats or None, the traceback of a failure or None).
FileDone = Callable[[str, "dict[str, Any] | None", "str | None"], None]
TasksDone = Callable[[int], None]  # Spark: tasks finished so far in the running job


@dataclass
class SegmentRun:
    """One recipe segment to run over input files (already filtered for --resume), and the
    callbacks through which the engine reports back; they run in the driver process."""

    segment: Segment
    reader_config: ReaderConfig
    inputs: list[InputFile]
    out: Location
    on_progress: ProgressFn
    on_file_done: FileDone
    on_tasks_done: TasksDone


class Engine(Protocol):
    name: str

    def run_segment(self, run: SegmentRun) -> None:
        """Process every input file of `run`, writing its parts and stats marker under `run.out`."""

    def analyze(
        self, stages: list[GlobalStage], parts: list[str], workdirs: list[str]
    ) -> list[dict[str, Any]]:
        """Write the decisions of a segment's global stages (analysed together, in recipe order: what
        one removes takes no part in the next) over the documents in `parts`, one work directory per
        stage; return each stage's analysis statistics."""


def make_engine(name: str, workers: int, master: str | None) -> Engine:
    if name == "local":
        from pipeline.engines.local import LocalEngine

        return LocalEngine(workers)
    if name == "spark":
        from pipeline.engines.spark import SparkEngine

        return SparkEngine(master)
    raise ValueError(f"unknown engine {name!r}; choose {' or '.join(ENGINES)}")
