"""Documents for the dedup tests, and running a global stage by hand (analysis, then apply)."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.clusters import part_key
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.core.stage import GlobalStage
from pipeline.engines.local_dedup import analyze_locally

WORDS = (
    "river market bridge council garden winter harbour library museum teacher farmer station village "
    "morning evening festival kitchen bakery orchard meadow mountain valley forest castle tower chapel "
    "school student letter window summer autumn spring island coast ferry engine signal lantern"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 14))]
    return " ".join(words).capitalize() + "."


def article(seed: int, sentences: int = 24) -> list[str]:
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(sentences)]


def write_parts(tmp_path, docs: list[dict], per_part: int = 4) -> list[str]:
    paths = []
    for start in range(0, len(docs), per_part):
        rows = [{"source_file": "x.warc.gz", **d} for d in docs[start : start + per_part]]
        path = tmp_path / f"part-{start:04d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA), path)
        paths.append(str(path))
    return paths


def apply_decisions(stage: GlobalStage, parts: list[str], workdir) -> dict[str, tuple[str, str | None]]:
    """Apply the decisions in `workdir` to every part: id -> (verdict, duplicate_of)."""
    stage.workdir = str(workdir)
    stage.ensure_setup()
    verdicts = {}
    for part in parts:
        stage.start_part(part_key(part))
        for batch in pq.ParquetFile(part).iter_batches(batch_size=3):  # decisions span batches
            out = stage.process(batch)
            verdicts.update({r["id"]: ("kept", None) for r in out.kept.to_pylist()})
            verdicts.update({r["id"]: (r["reason"], r["duplicate_of"]) for r in out.rejected.to_pylist()})
    return verdicts


def run_stage(
    stage: GlobalStage, parts: list[str], workdir
) -> tuple[dict, dict[str, tuple[str, str | None]]]:
    """Analyse locally, then apply."""
    workdir.mkdir(exist_ok=True)
    (stats,) = analyze_locally([stage], parts, [str(workdir)])
    return stats, apply_decisions(stage, parts, workdir)


def apply_in_chain(
    stages: list[GlobalStage], parts: list[str], workdirs: list
) -> list[tuple[str, str, str | None]]:
    """Apply a segment's global stages in recipe order, part by part, as the runner does:
    (id, verdict, duplicate_of) per row, in part and row order (rejected rows where they were)."""
    for stage, workdir in zip(stages, workdirs):
        stage.workdir = str(workdir)
        stage.ensure_setup()
    verdicts = []
    for part in parts:
        for stage in stages:
            stage.start_part(part_key(part))
        for batch in pq.ParquetFile(part).iter_batches(batch_size=3):
            for stage in stages:
                out = stage.process(batch)
                verdicts += [(r["id"], r["reason"], r["duplicate_of"]) for r in out.rejected.to_pylist()]
                batch = out.kept
            verdicts += [(r["id"], "kept", None) for r in batch.to_pylist()]
    return sorted(verdicts, key=lambda v: (v[0], v[1]))


def run_stages(stages: list[GlobalStage], parts: list[str], tmp_path) -> tuple[list[dict], list]:
    """Analyse adjacent global stages together (one pass), then apply them in order."""
    workdirs = [tmp_path / stage.name for stage in stages]
    for workdir in workdirs:
        workdir.mkdir(parents=True, exist_ok=True)
    stats = analyze_locally(stages, parts, [str(w) for w in workdirs])
    return stats, apply_in_chain(stages, parts, workdirs)
