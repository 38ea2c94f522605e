"""Run every benchmark module and join their results into bench/results.md.

Each `bench/bench_*.py` has a `main()` that writes `bench/results/<name>.md`. Benchmarks are not
tests: numbers depend on the machine, so each compares against a reference measured in the same run.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    for name in modules:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"   done in {time.perf_counter() - started:.1f}s", flush=True)
    parts = sorted((HERE / "results").glob("*.md"))
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()}, {_cores()} cores. Per-core numbers come from one process.\n\n"
    )
    (HERE / "results.md").write_text(header + "\n".join(p.read_text() for p in parts))
    print(f"wrote {HERE / 'results.md'}")
    return 0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
