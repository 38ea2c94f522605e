"""Dedup at scale: generated MinHash signatures with planted near copies, through bucketing,
clustering and apply, on the local engine (10 M documents) and on Spark local[2] (1 M).

    python -m bench dedup
    CURATE_BENCH_DEDUP_LOCAL=1000000 CURATE_BENCH_DEDUP_SPARK=200000 python -m bench dedup   # smaller

Documents carry no text: each row names its planted group and Jaccard level, and the bench stage
(`GeneratedSignatures`, the real `minhash_dedup` with only its keys replaced) generates the 112
signature values from them: an original's values are hashes of its number; a copy of it at level s
keeps each of its original's values with probability s and draws its own otherwise, which is what
MinHash signatures of two sets of Jaccard similarity s look like (each position equal with
probability s). 10% of the documents are copies, at 9 levels from 0.5 to 0.95, each of a different
original, so the planted clusters are pairs. Everything after the keys is the product's code:
14 x 8 band keys, record keys, spill files, components, survivors, per-part decisions, and `process`
applying them part by part. The analysis and the apply step each run in a child process, so each
peak RSS (`ru_maxrss`) is its own; Spark's is the JVM's (`VmHWM`), the Python workers' beside it.
Recall per level is the fraction of planted pairs found (the copy removed as a duplicate of its
original), next to the probability the 14 x 8 bands give, 1 - (1 - s^8)^14; precision is the
fraction of removed documents whose survivor is from their own planted group.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import write_result
from filters import minhash
from filters.dedup import MinhashDedup
from filters.ngrams import fmix64

LOCAL_DOCS = int(os.environ.get("CURATE_BENCH_DEDUP_LOCAL", "10000000"))
SPARK_DOCS = int(os.environ.get("CURATE_BENCH_DEDUP_SPARK", "1000000"))
PART_ROWS = 250_000
COPY_RATE = 0.10
LEVELS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
NUM_PERM, BANDS, ROWS = 112, 14, 8
_SALT_BASE, _SALT_OWN, _SALT_COIN = (
    np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
)


class GeneratedSignatures(MinhashDedup):
    """`minhash_dedup` whose signatures come from the planted columns (base, level, seed), not text."""

    @property
    def key_columns(self) -> list[str]:
        return ["id", "base", "level", "seed"]

    def document_keys(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        base = batch.column("base").to_numpy().astype(np.uint64)[:, None]
        seed = batch.column("seed").to_numpy().astype(np.uint64)[:, None]
        level = batch.column("level").to_numpy()[:, None]
        j = np.arange(NUM_PERM, dtype=np.uint64)
        shared = fmix64(base * _SALT_BASE + j)
        own = fmix64(seed * _SALT_OWN + j)
        coin = (fmix64(seed * _SALT_COIN + j) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        signatures = np.where(coin < level, shared, own)
        hi = minhash.bands(signatures, BANDS, ROWS)
        return hi, np.zeros_like(hi), np.ones(len(hi), dtype=bool)


def bench_stage() -> GeneratedSignatures:
    return GeneratedSignatures(MinhashDedup.Config(per_dump=False, batch_size=8192))


def generate(directory: Path, n_docs: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Write the parts; return the truth: per document its group (its original) and its level."""
    rng = np.random.default_rng(seed)
    n_copies = int(n_docs * COPY_RATE)
    n_originals = n_docs - n_copies
    group = np.arange(n_docs, dtype=np.int64)
    group[n_originals:] = rng.permutation(n_originals)[:n_copies]  # a different original per copy
    level = np.ones(n_docs)
    level[n_originals:] = np.array(LEVELS)[np.arange(n_copies) % len(LEVELS)]
    for start in range(0, n_docs, PART_ROWS):
        end = min(n_docs, start + PART_ROWS)
        ids = [f"d{i:09d}" for i in range(start, end)]
        table = pa.table(
            {
                "id": ids,
                "url": [f"http://gen.example/{i}" for i in ids],
                "base": group[start:end],
                "level": level[start:end],
                "seed": np.arange(start, end, dtype=np.int64),
            }
        )
        pq.write_table(table, directory / f"part-{start // PART_ROWS:05d}.parquet")
    return {"group": group, "level": level, "copies_from": np.int64(n_originals)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parts(parts_dir: str) -> list[str]:
    return sorted(str(p) for p in Path(parts_dir).glob("part-*.parquet"))


def _child_analyze(parts_dir: str, workdir: str) -> dict[str, Any]:
    from pipeline.engines.local_dedup import analyze_locally

    started = time.perf_counter()
    (stats,) = analyze_locally([bench_stage()], _parts(parts_dir), [workdir])
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": _peak_mb(),
        "duplicates": stats["duplicates"],
    }


def _child_apply(parts_dir: str, workdir: str) -> dict[str, Any]:
    from pipeline.core.clusters import part_key

    stage = bench_stage()
    stage.workdir = workdir
    stage.ensure_setup()
    started = time.perf_counter()
    removed = 0
    for part in _parts(parts_dir):
        stage.start_part(part_key(part))
        for batch in pq.ParquetFile(part).iter_batches(batch_size=65536, columns=["id", "url"]):
            removed += stage.process(batch).rejected.num_rows
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "removed": removed}


def _child_spark(parts_dir: str, workdir: str) -> dict[str, Any]:
    from pipeline.engines.spark import get_session
    from pipeline.engines.spark_dedup import analyze_with_spark

    spark = get_session("local[2]", {"spark.driver.memory": "2g"})
    started = time.perf_counter()
    (stats,) = analyze_with_spark([bench_stage()], spark, _parts(parts_dir), [workdir])
    seconds = time.perf_counter() - started
    jvm, workers = _spark_peaks()
    spark.stop()
    return {
        "seconds": seconds,
        "jvm_peak_mb": jvm,
        "python_peak_mb": workers,
        "duplicates": stats["duplicates"],
    }


def _spark_peaks() -> tuple[float, float]:
    """Peak RSS (VmHWM) of this process's Java child and the largest of its Python workers, in MB."""
    jvm = python = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == 0 or "VmHWM" not in fields:
            continue
        peak = int(fields["VmHWM"].split()[0]) / 1024
        name = fields.get("Name", "").strip()
        if name == "java" and _descends_from(status.parent.name, os.getpid()):
            jvm = max(jvm, peak)
        elif name.startswith("python") and _descends_from(status.parent.name, os.getpid()):
            python = max(python, peak)
    return jvm, python


def _descends_from(pid: str, ancestor: int) -> bool:
    current = int(pid)
    while current > 1:
        if current == ancestor:
            return pid != str(ancestor)
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            return False
        current = int(stat.rsplit(")", 1)[1].split()[1])
    return False


def _run_child(kind: str, parts_dir: Path, workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_dedup", "--child", kind, str(parts_dir), str(workdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench child {kind} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _decisions(workdir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(removed document, its survivor) for every decision of the (single, first) stage."""
    removed, survivors = [], []
    for path in sorted((workdir / "decisions").glob("*.parquet")):
        table = pq.read_table(path)
        base = int(path.stem) * PART_ROWS
        removed.append(table.column("row").to_numpy() + base)
        survivors.append(np.array([int(s[1:]) for s in table.column("duplicate_of").to_pylist()]))
    if not removed:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(removed), np.concatenate(survivors)


def evaluate(truth: dict[str, np.ndarray], workdir: Path) -> dict[str, Any]:
    removed, survivors = _decisions(workdir)
    group, level = truth["group"], truth["level"]
    precision = float(np.mean(group[removed] == group[survivors])) if len(removed) else 1.0
    copies = np.arange(int(truth["copies_from"]), len(group))
    found = np.zeros(len(group), dtype=bool)
    found[removed[survivors == group[removed]]] = True  # a copy removed as a duplicate of its original
    recall = {}
    for s in LEVELS:
        planted = copies[level[copies] == s]
        recall[s] = (len(planted), float(found[planted].mean()))
    return {"precision": precision, "recall": recall, "decisions": (removed, survivors)}


def s_curve(s: float) -> float:
    return minhash.candidate_probability(s, BANDS, ROWS)


def measure(n_docs: int, spark: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-dedup-"))
    try:
        (tmp / "parts").mkdir()
        started = time.perf_counter()
        truth = generate(tmp / "parts", n_docs)
        result: dict[str, Any] = {"docs": n_docs, "generate_s": time.perf_counter() - started}
        result["analyze"] = _run_child("analyze", tmp / "parts", tmp / "local")
        result["apply"] = _run_child("apply", tmp / "parts", tmp / "local")
        result["local"] = evaluate(truth, tmp / "local")
        if spark:
            result["spark"] = _run_child("spark", tmp / "parts", tmp / "spark")
            spark_eval = evaluate(truth, tmp / "spark")
            same = all(
                np.array_equal(np.sort(a), np.sort(b))
                for a, b in zip(result["local"]["decisions"], spark_eval["decisions"])
            )
            result["spark_equal"] = same and _same_files(tmp / "local", tmp / "spark")
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in (a / "decisions").glob("*.parquet"))
    if names != sorted(p.name for p in (b / "decisions").glob("*.parquet")):
        return False
    return all(pq.read_table(a / "decisions" / n).equals(pq.read_table(b / "decisions" / n)) for n in names)


def ascii_curve(recall: dict[float, tuple[int, float]], width: int = 50) -> list[str]:
    """The 14 x 8 S-curve (`.`) and the measured recall (`#`), one line per level."""
    lines = ["```", f"{'s':>5}  0{' ' * (width - 2)}1   theory  measured"]
    for s, (_, measured) in recall.items():
        row = [" "] * (width + 1)
        row[round(s_curve(s) * width)] = "."
        row[round(measured * width)] = "#" if row[round(measured * width)] == " " else "@"
        lines.append(f"{s:>5.2f} |{''.join(row)}|  {s_curve(s):.3f}   {measured:.3f}")
    lines.append("(. = 1-(1-s^8)^14, # = measured, @ = both in one cell)")
    lines.append("```")
    return lines


def main() -> None:
    local = measure(LOCAL_DOCS, spark=False)
    small = measure(SPARK_DOCS, spark=True)
    lines = [
        "## Deduplication at scale (MinHash 14 x 8 on generated signatures)",
        "",
        f"Generated signatures, {COPY_RATE:.0%} planted near copies (one per original, at {len(LEVELS)} Jaccard "
        "levels), record keys included; everything after the keys is the product's code (bench/bench_dedup.py). "
        "Peak RSS is the measuring process's own; the local analysis and apply are one process each, one core.",
        "",
        "| engine | documents | analysis | docs/s | peak RSS | apply (all parts) | apply peak RSS | precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in (local, small):
        a, p = r["analyze"], r["apply"]
        lines.append(
            f"| local | {r['docs']:,} | {a['seconds']:.0f} s | {r['docs'] / a['seconds']:,.0f} | {a['peak_mb']:,.0f} MB "
            f"| {p['seconds']:.0f} s | {p['peak_mb']:,.0f} MB | {r['local']['precision']:.5f} |"
        )
    sp = small["spark"]
    lines.append(
        f"| Spark local[2] | {small['docs']:,} | {sp['seconds']:.0f} s | {small['docs'] / sp['seconds']:,.0f} "
        f"| JVM {sp['jvm_peak_mb']:,.0f} MB, Python workers {sp['python_peak_mb']:,.0f} MB | - | - | "
        f"decisions equal to local: {'yes' if small['spark_equal'] else 'NO'} |"
    )
    lines += [
        "",
        f"Recall per planted level at {LOCAL_DOCS:,} documents (local engine), next to the 14 x 8 S-curve:",
        "",
        "| Jaccard s | planted pairs | measured recall | 1-(1-s^8)^14 |",
        "|---:|---:|---:|---:|",
    ]
    for s, (count, measured) in local["local"]["recall"].items():
        lines.append(f"| {s:.2f} | {count:,} | {measured:.4f} | {s_curve(s):.4f} |")
    lines += ["", *ascii_curve(local["local"]["recall"])]
    lines += [
        "",
        f"Generating the {LOCAL_DOCS:,} rows took {local['generate_s']:.0f} s (not counted above).",
    ]
    write_result("dedup", "\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        runner = {"analyze": _child_analyze, "apply": _child_apply, "spark": _child_spark}[sys.argv[2]]
        print(json.dumps(runner(sys.argv[3], sys.argv[4])))
    else:
        main()
