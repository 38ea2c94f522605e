"""Helpers shared by the benchmarks: where real data is, timing, result files."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def real_warcs() -> list[Path]:
    """The real CommonCrawl / wget WARCs of ../shared/data (not WAT/WET)."""
    root = SHARED_DATA / "warc"
    return sorted(p for p in root.rglob("*") if p.name.endswith((".warc", ".warc.gz")))


def timed(fn: Callable[[], int], min_seconds: float = 2.0) -> tuple[int, float]:
    """Run fn (returning an item count) repeatedly for at least min_seconds; (items, seconds)."""
    items, started = 0, time.perf_counter()
    while True:
        items += fn()
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return items, elapsed


def write_result(name: str, markdown: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n")
    print(markdown)
    return path


def smaps_rollup() -> dict[str, int]:
    """The process's memory totals in bytes (Rss, Pss, Private_*, Shared_*, Anonymous)."""
    out: dict[str, int] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        out[key] = int(value.split()[0]) * 1024
    return out


def peak_rss() -> int:
    """This process's peak RSS in bytes (VmHWM: unlike ru_maxrss it does not carry the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def in_process(target: Callable[..., None], *args: Any) -> Any:
    """Run target(*args, queue) in a fresh interpreter (spawn) and return what it puts on the queue."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result
