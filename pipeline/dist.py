"""`make dist`: the zip that `spark-submit --py-files dist/curate.zip` puts on every executor's path.

It holds the Python packages plus the files they read beside them (recipes/, the demo blocklists and,
when `make setup` installed them, the UT1 lists: 18 MB),
which `pipeline.io.resources` extracts on first use. Entries are sorted and dated 1980-01-01, so the
same tree always gives the same bytes.
"""

from __future__ import annotations

import argparse
import os
import zipfile
from pathlib import Path

PACKAGES = ("pipeline", "filters", "classifiers", "jobs", "tokenizer_training", "pretraining")
SHIPPED = ("recipes", "data/blocklists/demo", "data/blocklists/ut1")  # ut1: when make setup installed it
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _files(root: Path, entry: str) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root / entry):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(Path(folder) / name for name in sorted(files) if not name.endswith((".pyc", ".pyo")))
    return found


def build(root: Path, output: Path) -> int:
    """Write the zip; returns the number of files in it."""
    files = [path for entry in (*PACKAGES, *SHIPPED) for path in _files(root, entry)]
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, path.read_bytes())
    os.replace(tmp, output)
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("dist/curate.zip"))
    args = parser.parse_args()
    count = build(Path(__file__).resolve().parent.parent, args.output)
    print(
        f"{args.output}: {count} files; pass it with spark-submit --py-files {args.output} (README 'Spark')"
    )


if __name__ == "__main__":
    main()
