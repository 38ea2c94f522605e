"""Documents for the dedup tests, and running a global stage by hand (analysis, then apply)."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq

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
        out = stage.process(pq.read_table(part).to_batches()[0])
        verdicts.update({r["id"]: ("kept", None) for r in out.kept.to_pylist()})
        verdicts.update({r["id"]: (r["reason"], r["duplicate_of"]) for r in out.rejected.to_pylist()})
    return verdicts


def run_stage(
    stage: GlobalStage, parts: list[str], workdir
) -> tuple[dict, dict[str, tuple[str, str | None]]]:
    """Analyse locally, then apply."""
    workdir.mkdir(exist_ok=True)
    stats = analyze_locally(stage, parts, str(workdir))
    return stats, apply_decisions(stage, parts, workdir)
