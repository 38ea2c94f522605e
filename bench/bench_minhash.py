"""Benchmark of MinHash signatures (filters/minhash.py) against datasketch on the same documents.

    .venv/bin/python -m bench minhash          # or: .venv/bin/python bench/bench_minhash.py [--pages N]

Documents: the pages of the generated sample (`devdata.sample.sample_pages`, ~2,000 fetches) plus the
real pages of the shared WARCs when present, extracted with trafilatura (FineWeb's settings); the
ones with text are kept. Every method computes 112-permutation signatures (seed 1) of word 5-gram
shingles of the same normalised words.

Timing: CPU time of this process (`time.process_time`, all its threads), so docs/s is per core; each
method runs `--passes` times, interleaved with the others (the machine may be shared), and the best
pass counts. The `rensa` mode needs the rensa package (skipped without it).
"from shingles": input is each document's list of shingle strings (what datasketch needs); "from
text": normalisation and shingling included (`MinHasher.signatures(texts)`; for datasketch our
`words` + `ngram_strings`, then its MinHash). datasketch is run as documented: one `MinHash(112,
seed=1)` per document fed with `update_batch`, and `MinHash.bulk`. Writes bench/results/minhash.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.common import real_warcs, write_result  # noqa: E402
from filters.minhash import MODES, MinHasher, bands  # noqa: E402
from filters.ngrams import ngram_strings, words  # noqa: E402

NUM_PERM, SEED, NGRAM = 112, 1, 5
DEFAULT_PAGES = 2400  # fetches of the generated sample; ~2,000 of them have text


def _extract(html: bytes) -> str | None:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=False)


def documents(pages: int) -> tuple[list[str], int]:
    """Texts of the sample's HTML pages and of the shared WARCs' responses; (texts, real count)."""
    from devdata.sample import sample_pages

    texts = [_extract(p.body) for p in sample_pages(pages) if p.content_type.startswith("text/html")]
    real: list[str | None] = []
    from warcio.archiveiterator import ArchiveIterator

    for path in real_warcs():
        with path.open("rb") as stream:
            real += [
                _extract(r.content_stream().read())
                for r in ArchiveIterator(stream)
                if r.rec_type == "response"
            ]
    real_texts = [t for t in real if t and t.strip()]
    return [t for t in texts if t and t.strip()] + real_texts, len(real_texts)


def best_rate(runs: dict[str, Callable[[], object]], count: int, passes: int) -> dict[str, float]:
    """docs/s of each callable: best of `passes` CPU-time runs, the callables interleaved."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(passes):
        for name, run in runs.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    return {name: count / seconds for name, seconds in best.items()}


def _datasketch_runs(shingles: list[list[str]]) -> dict[str, Callable[[], object]]:
    import datasketch

    def update_batch() -> None:
        for doc in shingles:
            m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED)
            m.update_batch([s.encode("utf8") for s in doc])

    def bulk() -> None:
        datasketch.MinHash.bulk(
            [[s.encode("utf8") for s in doc] for doc in shingles], num_perm=NUM_PERM, seed=SEED
        )

    return {"datasketch update_batch": update_batch, "datasketch bulk": bulk}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES, help="fetches of the generated sample")
    parser.add_argument("--passes", type=int, default=5, help="timed passes per method (best counts)")
    args = parser.parse_args([] if argv is None else argv)  # `python -m bench` passes its own argv

    texts, real_count = documents(args.pages)
    shingles = [ngram_strings(words(t), NGRAM) for t in texts]
    hashers = {}
    for mode in MODES:
        try:
            hashers[mode] = MinHasher(NUM_PERM, SEED, NGRAM, hash=mode)
        except ValueError as err:  # `rensa` without the rensa package
            print(f"skipping {mode}: {err}")
    for hasher in hashers.values():  # warm-up: the normalisation table is built on first use
        hasher.signatures(texts[:5])

    shingling = "shingling only (our words + n-gram strings)"
    from_shingles: dict[str, Callable[[], object]] = {}
    from_text: dict[str, Callable[[], object]] = {
        shingling: lambda: [ngram_strings(words(t), NGRAM) for t in texts]
    }
    try:
        import datasketch

        ds_runs, ds_version = _datasketch_runs(shingles), getattr(datasketch, "__version__", "?")
    except ImportError:
        ds_runs, ds_version = {}, None
    for name, run in ds_runs.items():
        from_shingles[name] = run
        from_text[name] = lambda run=run: ([ngram_strings(words(t), NGRAM) for t in texts], run())
    for mode, hasher in hashers.items():
        name = f"ours `{mode}`"
        if mode not in ("fast64", "rensa"):  # these hash words, not shingle strings
            from_shingles[name] = lambda h=hasher: h.signatures_from_shingles(shingles)
        from_text[name] = lambda h=hasher: h.signatures(texts)

    rate_shingles = best_rate(from_shingles, len(texts), args.passes)
    rate_text = best_rate(from_text, len(texts), args.passes)
    signatures = hashers["sha1_32"].signatures(texts)
    rate_bands = best_rate({"bands": lambda: bands(signatures)}, len(texts), args.passes)["bands"]

    reference = "datasketch bulk" if ds_runs else None
    lengths = np.array([len(t) for t in texts])
    n_shingles = np.array([len(s) for s in shingles])
    lines = [
        "# MinHash signatures: throughput per core",
        "",
        f"- {len(texts):,} documents: {len(texts) - real_count:,} generated sample pages and {real_count} real "
        f"pages from the shared WARCs, extracted with trafilatura; text length median "
        f"{int(np.median(lengths)):,} chars, mean {int(lengths.mean()):,}; word 5-gram shingles per document "
        f"median {int(np.median(n_shingles))}, mean {int(n_shingles.mean())}.",
        f"- {NUM_PERM} permutations, seed {SEED}; {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, datasketch {ds_version or 'not installed'}.",
        f"- CPU time of one process (docs/s per core), best of {args.passes} interleaved passes.",
        "",
        "| method | from shingles (docs/s) | from text (docs/s) | vs datasketch bulk, from shingles | from text |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in from_text:
        s_rate, t_rate = rate_shingles.get(name), rate_text[name]
        ratio_s = f"{s_rate / rate_shingles[reference]:.1f}x" if reference and s_rate else ""
        ratio_t = f"{t_rate / rate_text[reference]:.1f}x" if reference and name != shingling else ""
        s_cell = f"{s_rate:,.0f}" if s_rate else "n/a"
        lines.append(f"| {name} | {s_cell} | {t_rate:,.0f} | {ratio_s} | {ratio_t} |")
    lines += [
        "",
        f"Band keys (`bands`, 14 x 8) from signatures: {rate_bands:,.0f} docs/s.",
        "",
        "Modes: `sha1_32` equals datasketch's default MinHash (affine32 scheme), `sha1_32_legacy` its legacy "
        "scheme, `sha1_64` datatrove with sha1 at 64-bit precision (FineWeb), `xxh64` datatrove's default "
        "hash config, `fast64` per-word xxh64 n-gram hashes with datasketch's affine64 permutations. "
        "A sha1 call per shingle is the floor of the sha1 modes (and most of datasketch's time), so they "
        "cannot be many times faster than datasketch; `fast64` hashes each word once instead. `rensa`: the "
        "normalised bytes of a whole batch hashed word by word in numpy (filters/shingle_bytes.py), n-grams "
        "chained, and the 112 permutations by rensa's RMinHash (Rust); its signatures are not datasketch's.",
    ]
    write_result("minhash", "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
