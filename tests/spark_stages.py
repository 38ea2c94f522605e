"""Test-only stages that kill the Python worker running them (engines must retry or report the file), and the inputs of such runs."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.core.registry import register
from pipeline.core.stage import Stage, StageOutput, keep_all


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


@dataclass
class KillOnUrlConfig:
    url_part: str = ""


@register
class KillWorkerOnUrl(Stage):
    """Kills its worker on every batch holding a URL that contains `url_part` (a poison file)."""

    name = "kill_worker_on_url"
    Config = KillOnUrlConfig

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        if any(self.config.url_part in (url or "") for url in batch.column("url").to_pylist()):
            os.kill(os.getpid(), signal.SIGKILL)
        return keep_all(batch)


def kill_run_inputs(
    tmp_path: Path, stage_line: str, pages: int = 5, host: str = "k"
) -> tuple[list[str], Path]:
    """Three WARCs of `pages` articles (hosts <host>0..2.example) and a recipe `extract` + `stage_line`."""
    from devdata.warcs import Page, article, write_warc

    warcs = [
        str(
            write_warc(
                tmp_path / f"in{k}.warc.gz",
                [Page(f"http://{host}{k}.example/{i}", article(i)) for i in range(pages)],
            )
        )
        for k in range(3)
    ]
    recipe = tmp_path / "kill.yaml"
    recipe.write_text(f"name: kill\nstages:\n  - extract\n  - {stage_line}\n")
    return warcs, recipe
