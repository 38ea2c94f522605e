"""Run a recipe's stage list over record batches: the one piece both engines call.

`StageChain.run(batch)` pushes a batch through every stage, returning the surviving documents and
the rejected rows of each stage, conformed to fixed schemas so every part file of a run (and every
Spark task) has the same columns. It also keeps the per-stage statistics.
"""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.schema import DOCUMENT_FIELDS, REJECTION_FIELDS, STAGE_FIELD
from pipeline.core.stage import GlobalStage, Stage
from pipeline.core.stats import StageStats


def documents_schema(stages: list[Stage]) -> pa.Schema:
    """Final documents: the base fields plus every stage's annotation columns, in recipe order."""
    fields = list(DOCUMENT_FIELDS)
    names = {f.name for f in fields}
    for stage in stages:
        for extra in stage.added_fields():
            if extra.name not in names:
                fields.append(extra)
                names.add(extra.name)
    return pa.schema(fields)


def rejected_schema(stages: list[Stage], index: int) -> pa.Schema:
    """Rows rejected by stages[index]: the document columns known at that point plus stage/reason/value
    (and the stage's own extra columns, such as dedup's `duplicate_of`)."""
    base = documents_schema(stages[:index])
    return pa.schema([*base, *REJECTION_FIELDS, *stages[index].rejected_fields()])


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Select/cast `batch`'s columns into `schema`; missing columns become nulls."""
    columns = []
    for f in schema:
        index = batch.schema.get_field_index(f.name)
        if index < 0:
            columns.append(pa.nulls(batch.num_rows, type=f.type))
        else:
            column = batch.column(index)
            columns.append(column if column.type == f.type else column.cast(f.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def text_bytes(batch: pa.RecordBatch) -> int:
    if batch.num_rows == 0 or batch.schema.get_field_index("text") < 0:
        return 0
    total = pc.sum(pc.binary_length(batch.column("text"))).as_py()
    return int(total or 0)


class StageChain:
    """`stages` run here; `prior` ran before (in an earlier segment) and only shape the schemas."""

    def __init__(self, stages: list[Stage], prior: list[Stage] | None = None) -> None:
        prior = list(prior or [])
        self.stages = stages
        self.doc_schema = documents_schema(prior + stages)
        self.rejected_schemas = [rejected_schema(prior + stages, len(prior) + i) for i in range(len(stages))]
        self.stats = [StageStats(stage.name) for stage in stages]

    def start_shard(self, shard: str | None = None) -> None:
        """Reset per-file state and statistics before a new input file (`shard`: its id, which names
        the part whose decisions the global stages apply)."""
        for stage in self.stages:
            stage.ensure_setup()
            stage.start_shard()
            if isinstance(stage, GlobalStage):
                if shard is None:
                    raise RuntimeError(f"{stage.name}: applying decisions needs the part's shard id")
                stage.start_part(shard)
            stage.counters.clear()
            stage.reset_signals()
        self.stats = [StageStats(stage.name) for stage in self.stages]

    def run(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, list[tuple[str, pa.RecordBatch]]]:
        rejected: list[tuple[str, pa.RecordBatch]] = []
        for i, stage in enumerate(self.stages):
            stats = self.stats[i]
            stats.docs_in += batch.num_rows
            if batch.num_rows == 0:
                continue
            started = time.perf_counter()
            out = stage.process(batch)
            stats.seconds += time.perf_counter() - started
            if out.kept.num_rows + out.rejected.num_rows != batch.num_rows:
                raise RuntimeError(
                    f"stage {stage.name} lost rows: {batch.num_rows} in, {out.kept.num_rows} kept, "
                    f"{out.rejected.num_rows} rejected"
                )
            batch = out.kept
            stats.docs_out += batch.num_rows
            stats.bytes_out += text_bytes(batch)
            if out.rejected.num_rows:
                reasons = out.rejected.column("reason").to_pylist()
                stats.dropped.update(reasons)
                tagged = out.rejected.append_column(
                    STAGE_FIELD, pa.array([stage.name] * out.rejected.num_rows, type=STAGE_FIELD.type)
                )
                rejected.append((stage.name, conform(tagged, self.rejected_schemas[i])))
        return conform(batch, self.doc_schema), rejected

    def collect_stats(self) -> list[dict]:
        for stage, stats in zip(self.stages, self.stats):
            stats.counters.update(stage.counters)
            stats.merge_histograms(stage.histograms)
        return [stats.to_dict() for stats in self.stats]
