"""The output directory of `curate run`: layout, atomic part files, the run manifest, resume.

DIR/documents/part-<shard>.parquet, DIR/rejected/<stage>/part-<shard>.parquet, DIR/stats.json,
DIR/report.html, DIR/run.json (what produced this directory) and DIR/_shards/<segment>/<shard>.json
(the per-input-file stats of each recipe segment; its presence marks that input as finished, which is
what `--resume` checks). DIR/_work/ holds the survivors of segments before a global stage (dedup).
Every file is written under a temporary name and renamed, so a killed run leaves no half file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

OWN_ENTRIES = (
    "documents",
    "rejected",
    "_shards",
    "_staging",
    "_work",
    "stats.json",
    "report.html",
    "run.json",
)
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "write_statistics": True}


class OutputDirError(ValueError):
    """DIR holds something this run must not overwrite."""


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def prepare_output_dir(out: Path, manifest: dict[str, Any], resume: bool, overwrite: bool) -> None:
    """Refuse to mix runs: DIR must be new/empty, or hold this same run (--resume), or be replaced."""
    manifest_path = out / "run.json"
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output {out} exists and is not a directory")
    existing = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    has_content = out.exists() and any(out.iterdir())
    if overwrite:
        for name in OWN_ENTRIES:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    elif existing is not None:
        if not resume:
            raise OutputDirError(
                f"{out} already holds a run (recipe {existing.get('recipe')!r}); pass --resume to continue it "
                "or --overwrite to replace it"
            )
        if existing.get("fingerprint") != manifest["fingerprint"]:
            raise OutputDirError(
                f"{out} holds a different run (recipe {existing.get('recipe')!r}, fingerprint "
                f"{existing.get('fingerprint')}); --resume needs the same recipe and settings "
                f"(this one: {manifest['recipe']!r}, {manifest['fingerprint']}); use --overwrite to replace it"
            )
    elif has_content:
        raise OutputDirError(
            f"{out} is not empty and holds no curate run; choose another --output or pass --overwrite"
        )
    (out / "_shards").mkdir(parents=True, exist_ok=True)
    (out / "documents").mkdir(exist_ok=True)
    (out / "rejected").mkdir(exist_ok=True)
    _remove_temporaries(out)
    write_json_atomic(manifest_path, manifest)


def _remove_temporaries(out: Path) -> None:
    """Temporary files left by a killed run are garbage: their input is redone."""
    for path in out.rglob(".*.tmp"):
        path.unlink()


def shard_stats_path(out: Path, segment: str, shard_id: str) -> Path:
    return out / "_shards" / segment / f"{shard_id}.json"


def finished_shards(out: Path, segment: str) -> set[str]:
    return {p.stem for p in (out / "_shards" / segment).glob("*.json")}


class ShardWriter:
    """Writes one input file's documents and rejected rows; `commit()` makes them visible."""

    def __init__(
        self,
        out: Path,
        shard_id: str,
        doc_schema: pa.Schema,
        segment: str = "s0",
        documents_dir: str = "documents",
    ) -> None:
        self.out = out
        self.shard_id = shard_id
        self.doc_schema = doc_schema
        self.segment = segment
        self.documents_dir = documents_dir
        self._writers: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}

    def _writer(self, key: str, final: Path, schema: pa.Schema) -> pq.ParquetWriter:
        if key not in self._writers:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{final.name}.tmp")
            self._writers[key] = (pq.ParquetWriter(tmp, schema, **PARQUET_OPTIONS), tmp, final)
        return self._writers[key][0]

    def write_documents(self, batch: pa.RecordBatch) -> None:
        path = self.out / self.documents_dir / f"part-{self.shard_id}.parquet"
        writer = self._writer("documents", path, self.doc_schema)
        if batch.num_rows:
            writer.write_batch(batch)

    def write_rejected(self, stage: str, batch: pa.RecordBatch) -> None:
        path = self.out / "rejected" / stage / f"part-{self.shard_id}.parquet"
        self._writer(f"rejected/{stage}", path, batch.schema).write_batch(batch)

    def commit(self, shard_stats: dict[str, Any]) -> None:
        """Close and rename every part, then write the stats marker last (the resume checkpoint)."""
        self.write_documents(pa.RecordBatch.from_pylist([], schema=self.doc_schema))  # always one part
        for writer, tmp, final in self._writers.values():
            writer.close()
            os.replace(tmp, final)
        self._writers.clear()
        marker = shard_stats_path(self.out, self.segment, self.shard_id)
        marker.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(marker, shard_stats)

    def abort(self) -> None:
        for writer, tmp, _ in self._writers.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self._writers.clear()
