"""Helpers shared by the benchmarks: where real data is, timing, result files."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

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
