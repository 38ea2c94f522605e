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
    join_results(HERE / "results", HERE / "results.md")
    print(f"wrote {HERE / 'results.md'}")
    return 0


def join_results(directory: Path, joined: Path) -> None:
    """Write `joined` from directory/<name>.md. A benchmark not run on this machine (the folder is not
    committed) keeps its section from the existing `joined`, found between its markers."""
    sections = _sections(joined.read_text()) if joined.exists() else {}
    directory.mkdir(exist_ok=True)
    sections.update({p.stem: p.read_text().rstrip() + "\n" for p in directory.glob("*.md")})
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` (last on {time.strftime('%Y-%m-%d')}), Python {platform.python_version()}, "
        f"{platform.machine()}, {_cores()} cores. Per-core numbers come from one process.\n\n"
    )
    body = "\n".join(f"{MARK.format(name)}\n{sections[name]}" for name in sorted(sections))
    joined.write_text(header + body)


MARK = "<!-- bench: {} -->"


def _sections(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    name = None
    for line in text.splitlines(keepends=True):
        if line.startswith("<!-- bench: ") and line.rstrip().endswith("-->"):
            name = line.strip()[len("<!-- bench: ") : -len("-->")].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line
    return {k: v.rstrip() + "\n" for k, v in found.items()}


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
