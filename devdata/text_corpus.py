"""Deterministic synthetic text for tokenizer tests and benchmarks, written as `curate run` documents.

The text imitates the statistics a BPE trainer cares about, not meaning: words drawn from a fixed
generated lexicon with a Zipf law (so a few words are very frequent and most are rare, as in web
text), capitalised sentences with punctuation, paragraphs, numbers, and a small share of non-Latin
scripts (Cyrillic, Greek, CJK, emoji) so the byte-level paths are exercised. The same (seed, size)
gives the same text on any machine: everything comes from one seeded numpy Generator.

    python -m devdata.text_corpus --output /tmp/corpus --mb 100 --parts 8
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

LEXICON_SIZE = 60_000
ZIPF_EXPONENT = 1.05
_ONSETS = [
    "",
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "st",
    "tr",
    "ch",
    "sh",
    "pl",
    "gr",
    "br",
]
_VOWELS = ["a", "e", "i", "o", "u", "ea", "ou", "ai", "io", "y"]
_CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "ck", "x"]
_FOREIGN = [
    "привет",
    "данные",
    "город",
    "λόγος",
    "θάλασσα",
    "数据",
    "东京",
    "学习",
    "日本語",
    "한국어",
    "café",
    "naïve",
    "Straße",
    "🙂",
    "🚀",
    "مرحبا",
]


def _lexicon(rng: np.random.Generator) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < LEXICON_SIZE:
        syllables = int(rng.integers(1, 5))
        word = "".join(
            _ONSETS[rng.integers(len(_ONSETS))]
            + _VOWELS[rng.integers(len(_VOWELS))]
            + _CODAS[rng.integers(len(_CODAS))]
            for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    # Frequent words are short in natural language: the most probable ranks get the shortest words.
    return sorted(words, key=len)


class TextGenerator:
    """Documents of Zipf-distributed words; `document(i)` depends only on (seed, i)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.words = np.array(_lexicon(np.random.default_rng(seed)), dtype=object)
        ranks = np.arange(1, LEXICON_SIZE + 1, dtype=np.float64)
        weights = 1.0 / (ranks + 2.7) ** ZIPF_EXPONENT
        self.cdf = np.cumsum(weights / weights.sum())

    def document(self, index: int) -> str:
        rng = np.random.default_rng([self.seed, index])
        n_words = int(np.clip(rng.lognormal(6.0, 0.8), 20, 20_000))
        chosen = self.words[
            np.searchsorted(self.cdf, rng.random(n_words), side="right").clip(0, LEXICON_SIZE - 1)
        ]
        tokens: list[str] = []
        sentence_start = True
        marks = rng.random(n_words)
        extras = rng.integers(0, 1_000_000, n_words)
        for word, mark, extra in zip(chosen, marks, extras):
            if mark < 0.01:
                word = str(extra % (10 ** (1 + extra % 5)))
            elif mark < 0.015:
                word = _FOREIGN[extra % len(_FOREIGN)]
            if sentence_start:
                word = word[:1].upper() + word[1:]
                sentence_start = False
            tokens.append(word)
            if mark > 0.93:
                tokens[-1] += "." if mark < 0.985 else ("?" if mark < 0.99 else "!")
                sentence_start = True
                if mark > 0.975:
                    tokens[-1] += "\n\n" if mark > 0.995 else "\n"
            elif mark > 0.88:
                tokens[-1] += ","
        text = " ".join(tokens).replace("\n ", "\n")
        return text.rstrip() + "."

    def documents(self, total_chars: int, start: int = 0) -> Iterator[tuple[str, str]]:
        """(id, text) until at least total_chars characters were yielded."""
        produced, index = 0, start
        while produced < total_chars:
            text = self.document(index)
            yield doc_id(self.seed, index), text
            produced += len(text)
            index += 1


def doc_id(seed: int, index: int) -> str:
    return hashlib.sha1(f"synthetic-{seed}-{index}".encode()).hexdigest()[:20]


def write_documents(
    out_dir: Path, total_chars: int, parts: int = 4, seed: int = 0, docs_per_group: int = 1000
) -> list[Path]:
    """Write DIR/part-00000.parquet ... (id, url, text) holding ~total_chars characters, documents
    dealt to parts in runs; returns the part paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = TextGenerator(seed)
    per_part = max(1, total_chars // parts)
    schema = pa.schema([("id", pa.string()), ("url", pa.string()), ("text", pa.string())])
    paths: list[Path] = []
    start = 0
    for part in range(parts):
        path = out_dir / f"part-{part:05d}.parquet"
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            rows: list[tuple[str, str]] = []
            for doc in generator.documents(per_part, start):
                rows.append(doc)
                start += 1
                if len(rows) >= docs_per_group:
                    _flush(writer, rows, schema)
            _flush(writer, rows, schema)
        paths.append(path)
    return paths


def _flush(writer: pq.ParquetWriter, rows: list[tuple[str, str]], schema: pa.Schema) -> None:
    if rows:
        ids = [r[0] for r in rows]
        writer.write_table(
            pa.table(
                {"id": ids, "url": [f"https://example.org/{i}" for i in ids], "text": [r[1] for r in rows]},
                schema=schema,
            )
        )
        rows.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", required=True, type=Path, help="folder for part-*.parquet")
    parser.add_argument("--mb", type=float, default=10.0, help="millions of characters (default 10)")
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for path in write_documents(args.output, int(args.mb * 1e6), args.parts, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
