"""The output directory of `curate run`: layout, atomic part files, the run manifest, resume.

DIR/documents/part-<shard>.parquet, DIR/rejected/<stage>/part-<shard>.parquet, DIR/stats.json,
DIR/report.html, DIR/run.json (what produced this directory) and DIR/_shards/<segment>/<shard>.json
(the per-input-file stats of each recipe segment; its presence marks that input as finished, which is
what `--resume` checks). DIR/_work/ holds the survivors of segments before a global stage (dedup).
DIR may be a local path or an object-store/HDFS URI (pipeline.io.storage.Location). Every file is
written under a temporary name and renamed (or uploaded whole), so a killed run leaves no half file.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.recipe import ABSENT, settings_diff
from pipeline.io.storage import Location

OWN_ENTRIES = (
    "documents",
    "rejected",
    "_shards",
    "_work",
    "stats.json",
    "report.html",
    "run.json",
)
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "write_statistics": True}


class OutputDirError(ValueError):
    """DIR holds something this run must not overwrite."""


def write_text_atomic(path: Path | Location, text: str) -> None:
    Location(path).write_text(text)


def write_json_atomic(path: Path | Location, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Location) -> Any:
    return json.loads(path.read_text())


def prepare_output_dir(out: Location, manifest: dict[str, Any], resume: bool, overwrite: bool) -> None:
    """Refuse to mix runs: DIR must be new/empty, or hold this same run (--resume), or be replaced."""
    manifest_path = out / "run.json"
    if out.is_file():
        raise OutputDirError(f"output {out} exists and is not a directory")
    existing = read_json(manifest_path) if manifest_path.exists() else None
    has_content = bool(out.iterdir())
    if overwrite:
        for name in OWN_ENTRIES:
            (out / name).remove()
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
                + _changed_settings(existing.get("recipe_settings"), manifest.get("recipe_settings"))
            )
    elif has_content:
        raise OutputDirError(
            f"{out} is not empty and holds no curate run; choose another --output or pass --overwrite"
        )
    for name in ("_shards", "documents", "rejected"):
        (out / name).mkdir()
    out.remove_temporaries()  # left by a killed run: garbage, their input is redone
    write_json_atomic(manifest_path, manifest)


def _changed_settings(old: Any, new: Any, limit: int = 12) -> str:
    """The settings that differ between DIR's run and this one, one per line: `stage.param: old -> new`."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ""  # a run.json written before settings were recorded
    differ = settings_diff(old, new)
    if old.get("name") != new.get("name"):
        differ.insert(0, ("recipe name", old.get("name"), new.get("name")))
    changes = [f"\n  {key}: {_shown(a)} -> {_shown(b)}" for key, a, b in differ]
    more = [f"\n  ... and {len(changes) - limit} more"] if len(changes) > limit else []
    return (
        "\nsettings that differ (DIR's run -> this one):" + "".join(changes[:limit] + more) if changes else ""
    )


def _shown(value: Any) -> str:
    return value if value == ABSENT else json.dumps(value)


def shard_stats_path(out: Location, segment: str, shard_id: str) -> Location:
    return out / "_shards" / segment / f"{shard_id}.json"


def finished_shards(out: Location, segment: str) -> set[str]:
    return {p.stem for p in (out / "_shards" / segment).glob("*.json")}


class ShardWriter:
    """Writes one input file's documents and rejected rows; `commit()` makes them visible."""

    def __init__(
        self,
        out: Location,
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
        self._stack = ExitStack()
        self._writers: dict[str, pq.ParquetWriter] = {}

    def _writer(self, key: str, final: Location, schema: pa.Schema) -> pq.ParquetWriter:
        if key not in self._writers:
            sink = self._stack.enter_context(final.atomic_output())
            self._writers[key] = pq.ParquetWriter(sink, schema, **PARQUET_OPTIONS)
        return self._writers[key]

    def write_documents(self, batch: pa.RecordBatch) -> None:
        path = self.out / self.documents_dir / f"part-{self.shard_id}.parquet"
        writer = self._writer("documents", path, self.doc_schema)
        if batch.num_rows:
            writer.write_batch(batch)

    def write_rejected(self, stage: str, batch: pa.RecordBatch) -> None:
        path = self.out / "rejected" / stage / f"part-{self.shard_id}.parquet"
        self._writer(f"rejected/{stage}", path, batch.schema).write_batch(batch)

    def commit(self, shard_stats: dict[str, Any], marker: bool = True) -> None:
        """Close and publish every part, then write the stats marker last (the resume checkpoint)."""
        self.write_documents(pa.RecordBatch.from_pylist([], schema=self.doc_schema))  # always one part
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self._stack.close()
        if marker:
            write_json_atomic(shard_stats_path(self.out, self.segment, self.shard_id), shard_stats)

    def abort(self) -> None:
        writers, self._writers = list(self._writers.values()), {}
        try:
            for writer in writers:
                writer.close()
        finally:
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)  # discard every part
