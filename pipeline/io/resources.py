"""Files that ship with curate beside its packages: `recipes/` and the demo blocklists in `data/`.

Three ways to run curate, one lookup: a checkout (or `pip install -e`) reads them in place; a
`pip install .` finds the copies installed under `<prefix>/share/curate/`; and when the packages
are imported from the zip that `make dist` builds (`spark-submit --py-files dist/curate.zip`), they
are extracted from it once per machine into a temporary folder, because readers want real files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout, site-packages, or the zip itself
INSTALLED = Path(sys.prefix) / "share" / "curate"  # where pyproject's data-files put them


def shipped(relative: str) -> Path:
    """The local path of a shipped file or folder (`recipes`, `data/blocklists/demo`)."""
    in_place = ROOT / relative
    if ROOT.is_dir() and in_place.exists():
        return in_place
    if ROOT.is_file() and zipfile.is_zipfile(ROOT):
        return _extracted(ROOT, relative)
    installed = INSTALLED / relative
    return installed if installed.exists() else in_place


def _extracted(archive: Path, relative: str) -> Path:
    """Extract `relative` (a file or a folder) once; every file lands by an atomic rename, and a folder
    counts as extracted only when all its files are there (another call may have taken one of them)."""
    stat = archive.stat()
    version = hashlib.sha1(f"{archive}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    base = Path(tempfile.gettempdir()) / "curate-shipped" / version
    prefix = relative.rstrip("/")
    with zipfile.ZipFile(archive) as bundle:
        members = [
            m
            for m in bundle.namelist()
            if (m == prefix or m.startswith(prefix + "/")) and not m.endswith("/")
        ]
        missing = [m for m in members if not (base / m).exists()]
        if missing:
            staging = base.with_name(f".{version}.{uuid.uuid4().hex[:8]}.tmp")
            bundle.extractall(staging, missing)
            for member in missing:
                (base / member).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / member, base / member)  # atomic: concurrent workers see all or none
            shutil.rmtree(staging, ignore_errors=True)
    return base / relative
