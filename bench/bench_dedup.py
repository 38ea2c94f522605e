"""End-to-end MinHash dedup: time, peak memory, precision and recall at 100k and 1M documents.

Documents are generated (not stored in the repo): random sentences over a 5,000-word vocabulary, and
a known fraction of them copied with a few words changed (near duplicates, Jaccard ~0.8-0.95 on
5-grams). The analysis runs in a child process so its peak RSS is its own. A found pair counts as
true when both documents come from the same original; precision and recall are over pairs
(document, survivor it was matched to) against the planted ones.
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

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import write_result

SIZES = [int(s) for s in os.environ.get("CURATE_BENCH_DEDUP_SIZES", "100000,1000000").split(",")]
DUP_RATE = 0.10  # fraction of documents that are near copies of another
WORDS_PER_DOC = 80
PART_ROWS = 50_000


def generate(directory: Path, n_docs: int, seed: int = 0) -> dict[str, str]:
    """Write Parquet parts of n_docs documents; return {copy id: original id}."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    # letters only: the dedup normaliser writes every number as 0
    vocab = np.array(["".join(w) for w in letters[rng.integers(0, 26, size=(5000, 6))]], dtype=object)
    n_copies = int(n_docs * DUP_RATE)
    n_originals = n_docs - n_copies
    sources = rng.integers(0, n_originals, size=n_copies)
    truth = {}
    for part_start in range(0, n_docs, PART_ROWS):
        ids, texts = [], []
        for i in range(part_start, min(n_docs, part_start + PART_ROWS)):
            if i < n_originals:
                words = vocab[np.random.default_rng([seed, i]).integers(0, len(vocab), WORDS_PER_DOC)]
            else:
                source = int(sources[i - n_originals])
                words = vocab[
                    np.random.default_rng([seed, source]).integers(0, len(vocab), WORDS_PER_DOC)
                ].copy()
                edits = rng.integers(0, WORDS_PER_DOC, size=rng.integers(1, 3))
                words[edits] = vocab[rng.integers(0, len(vocab), size=len(edits))]
                truth[f"d{i:08d}"] = f"d{source:08d}"
            ids.append(f"d{i:08d}")
            texts.append(" ".join(words))
        table = pa.table({"id": ids, "url": [f"http://gen/{i}" for i in ids], "text": texts})
        pq.write_table(table, directory / f"part-{part_start:09d}.parquet")
    return truth


def _child(parts_dir: str, workdir: str) -> None:
    from filters.dedup import MinhashDedup
    from pipeline.engines.local_dedup import analyze_locally

    parts = sorted(str(p) for p in Path(parts_dir).glob("part-*.parquet"))
    started = time.perf_counter()
    stats = analyze_locally(MinhashDedup(), parts, workdir)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "duplicates": stats["duplicates"]}))


def measure(n_docs: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-dedup-"))
    try:
        (tmp / "parts").mkdir()
        truth = generate(tmp / "parts", n_docs)
        (tmp / "work").mkdir()
        result = subprocess.run(
            [sys.executable, "-m", "bench.bench_dedup", "--child", str(tmp / "parts"), str(tmp / "work")],
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        decisions = pq.read_table(tmp / "work" / "decisions.parquet").to_pydict()
        found = dict(zip(decisions["id"], decisions["duplicate_of"]))
        root = {**{k: v for k, v in truth.items()}}

        def origin(doc: str) -> str:
            return root.get(doc, doc)

        true_found = sum(1 for doc, kept in found.items() if origin(doc) == origin(kept))
        # every planted copy must end in its original's cluster: either it or its original dropped
        planted_caught = sum(1 for copy, src in truth.items() if copy in found or src in found)
        measured.update(
            docs=n_docs,
            planted=len(truth),
            precision=true_found / max(len(found), 1),
            recall=planted_caught / max(len(truth), 1),
        )
        return measured
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    rows = [measure(n) for n in SIZES]
    lines = [
        "## MinHash dedup end to end (local engine, one core)\n",
        f"Generated documents of {WORDS_PER_DOC} words, {DUP_RATE:.0%} planted near copies (1-2 words changed); "
        "FineWeb parameters (5-grams, 14 bands x 8 rows, datasketch-compatible sha1_32). Peak RSS of the "
        "analysing process (signatures, spill, clusters, decisions).\n",
        "| documents | time | docs/s | peak RSS | duplicates found | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['docs']:,} | {r['seconds']:.1f} s | {r['docs'] / r['seconds']:,.0f} | {r['peak_mb']:.0f} MB "
            f"| {r['duplicates']:,} of {r['planted']:,} planted | {r['precision']:.4f} | {r['recall']:.4f} |"
        )
    write_result("dedup", "\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
