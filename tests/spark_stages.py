"""A test-only stage that kills the Python worker running it, once: Spark must retry the task."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.registry import register
from pipeline.stage import Stage, StageOutput, keep_all


@dataclass
class KillOnceConfig:
    marker: str = ""


@register
class KillWorkerOnce(Stage):
    name = "kill_worker_once"
    Config = KillOnceConfig

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        marker = Path(self.config.marker)
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return keep_all(batch)
