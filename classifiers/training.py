"""Train a fastText quality classifier from positive and negative documents, and write its card.

Steps (`train`):
1. read every source, preprocess each text with `classifiers.preprocess` (the function the stage
   scores with), drop documents left empty, and spool the rest to one temporary file per class;
   each document gets a 128-bit BLAKE2b hash of its preprocessed text;
2. refuse when a class has fewer than `min_per_class` documents;
3. balance: the larger class is cut down to the size of the smaller one, keeping the documents with
   the smallest seeded hash (deterministic, and a uniform sample since the hash is);
4. split: a document is held out when its unseeded hash falls in the first `test_fraction` of the
   hash range. The key is the text, not the id, so copies of a text (the same page under two URLs)
   always land on the same side and the held-out figures never count a memorised copy;
5. shuffle the training lines into seeded-hash order (an external sort through bucket files, so
   memory stays bounded) and train fastText (`wordNgrams` 2 by default, a fixed seed);
6. score the held-out documents, compute precision, recall, F1 (at 0.5) and ROC AUC;
7. write MODEL.bin and MODEL.card.json (atomically: temporary name, then rename).

Determinism: with `threads=1` the same inputs and options give a byte-identical model and card
(fastText's one-thread SGD is sequential and seeded; measured in the tests). With more threads
fastText's lock-free updates race and the model varies slightly from run to run.

Memory: 24 bytes per document (hashes and masks), one source batch, one shuffle bucket (about
64M characters of text) and the held-out scores; the corpus itself stays on disk.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from classifiers import preprocess as prep
from classifiers.metrics import binary_metrics
from classifiers.quality import CARD_FORMAT, card_path, file_sha256, label_probabilities, load_fasttext
from classifiers.sources import read_batches
from classifiers.train_options import TrainOptions
from pipeline.io.storage import Location

BUCKET_CHARS = 64 << 20  # shuffle bucket size: bounds the memory of step 5
MAX_BUCKETS = 512  # open files at once; past 32 G characters of text the buckets grow instead
_HASH_BYTES = 16


class NotEnoughDocuments(ValueError):
    pass


@dataclass
class ClassCorpus:
    """One class spooled to disk: its preprocessed lines and per-document hashes."""

    name: str  # "positive" / "negative"
    label: str
    sources: list[str]
    path: Path
    read: int = 0
    empty: int = 0
    split_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    order_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    chars: int = 0

    @property
    def count(self) -> int:
        return len(self.split_keys)


@dataclass
class TrainResult:
    model: str
    card: dict[str, Any]
    seconds: float
    phases: dict[str, float]  # wall seconds of: read (and preprocess), shuffle, fasttext, evaluate, write


# -- step 1: spool ---------------------------------------------------------------------------------


def _spool(
    corpus: ClassCorpus,
    batches: Iterator[pa.RecordBatch],
    seed: int,
    on_docs: Callable[[int], None],
) -> None:
    seed_bytes = seed.to_bytes(8, "little", signed=True)
    split_keys: list[np.ndarray] = []
    order_keys: list[np.ndarray] = []
    with open(corpus.path, "w", encoding="utf-8", newline="\n") as sink:
        for batch in batches:
            lines = prep.preprocess(batch.column("text"))
            corpus.read += len(lines)
            kept = [line for line in lines if line]
            corpus.empty += len(lines) - len(kept)
            digests = [
                hashlib.blake2b(line.encode("utf-8"), digest_size=_HASH_BYTES).digest() for line in kept
            ]
            split_keys.append(np.array([int.from_bytes(d[:8], "little") for d in digests], dtype=np.uint64))
            order_keys.append(
                np.array(
                    [
                        int.from_bytes(hashlib.blake2b(d + seed_bytes, digest_size=8).digest(), "little")
                        for d in digests
                    ],
                    dtype=np.uint64,
                )
            )
            for line in kept:
                sink.write(line)
                sink.write("\n")
                corpus.chars += len(line) + 1
            on_docs(len(lines))
    corpus.split_keys = np.concatenate(split_keys) if split_keys else np.zeros(0, dtype=np.uint64)
    corpus.order_keys = np.concatenate(order_keys) if order_keys else np.zeros(0, dtype=np.uint64)


# -- steps 3, 4: balance and split -----------------------------------------------------------------


def _balanced_mask(corpus: ClassCorpus, target: int) -> np.ndarray:
    """Keep the `target` documents with the smallest seeded hash (all when the class is not larger)."""
    keep = np.zeros(corpus.count, dtype=bool)
    if target >= corpus.count:
        keep[:] = True
    else:
        keep[np.argsort(corpus.order_keys, kind="stable")[:target]] = True
    return keep


def _test_mask(corpus: ClassCorpus, test_fraction: float) -> np.ndarray:
    limit = np.uint64(min(int(test_fraction * 2.0**64), 2**64 - 1))
    return corpus.split_keys < limit


# -- step 5: shuffle into the training file -------------------------------------------------------


def _write_training_file(
    corpora: list[ClassCorpus], masks: list[np.ndarray], tests: list[np.ndarray], work: Path
) -> tuple[Path, Path, list[int], list[int]]:
    """train.txt in seeded-hash order and test.txt (label, text); (paths, train and test counts per class)."""
    train_chars = sum(c.chars for c in corpora)
    buckets = min(MAX_BUCKETS, 1 << max(0, math.ceil(math.log2(max(1, train_chars / BUCKET_CHARS)))))
    shift = np.uint64(64 - int(math.log2(buckets))) if buckets > 1 else None
    test_path = work / "test.txt"
    train_counts, test_counts = [], []
    with contextlib.ExitStack() as files:
        buckets_out = [
            files.enter_context(open(work / f"bucket-{b:05d}.txt", "w", encoding="utf-8", newline="\n"))
            for b in range(buckets)
        ]
        test_sink = files.enter_context(open(test_path, "w", encoding="utf-8", newline="\n"))
        for corpus, keep, test in zip(corpora, masks, tests):
            n_train = n_test = 0
            with open(corpus.path, encoding="utf-8", newline="\n") as source:
                for i, line in enumerate(source):
                    if not keep[i]:
                        continue
                    if test[i]:
                        test_sink.write(f"{corpus.label} {line}")
                        n_test += 1
                        continue
                    key = corpus.order_keys[i]
                    b = int(key >> shift) if shift is not None else 0
                    buckets_out[b].write(f"{int(key):016x} {corpus.label} {line}")
                    n_train += 1
            train_counts.append(n_train)
            test_counts.append(n_test)
    train_path = work / "train.txt"
    with open(train_path, "w", encoding="utf-8", newline="\n") as sink:
        for b in range(buckets):
            bucket = work / f"bucket-{b:05d}.txt"
            with open(bucket, encoding="utf-8", newline="\n") as source:
                lines = source.readlines()
            lines.sort()  # fixed-width hex keys: string order is key order (ties: by label and text)
            sink.writelines(line[17:] for line in lines)
            bucket.unlink()
    return train_path, test_path, train_counts, test_counts


# -- step 6: evaluate ------------------------------------------------------------------------------


def _read_test(test_path: Path, batch: int = 4096) -> Iterator[tuple[list[str], list[str]]]:
    labels: list[str] = []
    texts: list[str] = []
    with open(test_path, encoding="utf-8", newline="\n") as source:
        for line in source:
            label, _, text = line.rstrip("\n").partition(" ")
            labels.append(label)
            texts.append(text)
            if len(texts) == batch:
                yield labels, texts
                labels, texts = [], []
    if texts:
        yield labels, texts


def _evaluate(model: Any, test_path: Path, options: TrainOptions) -> dict[str, Any]:
    scores: list[np.ndarray] = []
    truth: list[np.ndarray] = []
    for labels, texts in _read_test(test_path):
        scores.append(label_probabilities(model, texts, options.positive_label))
        truth.append(np.array([label == options.positive_label for label in labels], dtype=bool))
    all_scores = np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)
    all_truth = np.concatenate(truth) if truth else np.zeros(0, dtype=bool)
    return binary_metrics(all_scores, all_truth, 0.5)


# -- the whole ------------------------------------------------------------------------------------


def train(
    positive: Sequence[str],
    negative: Sequence[str],
    output: str,
    options: TrainOptions | None = None,
    extra_card: dict[str, Any] | None = None,
) -> TrainResult:
    """Train on `positive`/`negative` sources (see classifiers.sources), write `output` and its card."""
    options = options or TrainOptions()
    options.check()
    if not positive or not negative:
        raise ValueError("give at least one --positive and one --negative source")
    started = time.perf_counter()
    phases: dict[str, float] = {}
    clock = [started]

    def lap(name: str) -> None:
        now = time.perf_counter()
        phases[name] = round(now - clock[0], 3)
        clock[0] = now

    work = Path(tempfile.mkdtemp(prefix="curate-classifier-"))  # spool: about the size of the text (TMPDIR)
    try:
        corpora = [
            ClassCorpus("positive", options.positive_label, list(positive), work / "positive.txt"),
            ClassCorpus("negative", options.negative_label, list(negative), work / "negative.txt"),
        ]
        with _progress(options.progress, "reading documents") as bar:
            for corpus in corpora:
                _spool(corpus, read_batches(corpus.sources, options.text_field), options.seed, bar)
        lap("read")
        smallest = min(c.count for c in corpora)
        if smallest < options.min_per_class:
            counts = ", ".join(f"{c.count} {c.name}" for c in corpora)
            raise NotEnoughDocuments(
                f"too few documents to train: {counts} (non-empty after preprocessing); "
                f"each class needs at least {options.min_per_class} (--min-per-class)"
            )
        target = smallest if options.balance else max(c.count for c in corpora)
        masks = [_balanced_mask(c, target) for c in corpora]
        tests = [_test_mask(c, options.test_fraction) for c in corpora]
        train_path, test_path, train_counts, test_counts = _write_training_file(corpora, masks, tests, work)
        if min(train_counts) == 0:
            raise NotEnoughDocuments(f"no training documents left in a class after the split: {train_counts}")
        lap("shuffle")

        threads = options.threads or os.cpu_count() or 1
        model_tmp = work / "model.bin"
        fasttext_args = {**options.params.fasttext_args(), "thread": threads, "seed": options.seed}
        _train_in_child(train_path, model_tmp, fasttext_args)
        lap("fasttext")
        metrics = _evaluate(load_fasttext(model_tmp, cache=False), test_path, options)
        lap("evaluate")
        card = {
            "format": CARD_FORMAT,
            "format_version": 1,
            "model_file": Location(output).name,
            "model_bytes": model_tmp.stat().st_size,
            "model_sha256": file_sha256(model_tmp),
            "labels": {"positive": options.positive_label, "negative": options.negative_label},
            "sources": {c.name: c.sources for c in corpora},
            "documents": {
                c.name: {
                    "read": c.read,
                    "empty_after_preprocessing": c.empty,
                    "used": int(m.sum()),
                    "train": n_train,
                    "test": n_test,
                    "text_chars": c.chars,
                }
                for c, m, n_train, n_test in zip(corpora, masks, train_counts, test_counts)
            },
            "balance": "the larger class cut to the smaller by seeded text hash"
            if options.balance
            else "none",
            "split": {"test_fraction": options.test_fraction, "key": "BLAKE2b-128 of the preprocessed text"},
            "hyperparameters": {
                **options.params.fasttext_args(),
                "seed": options.seed,
                "threads": threads,
                "deterministic": threads == 1,
            },
            "metrics": metrics,
            "preprocess": prep.describe(),
            **(extra_card or {}),
        }
        _publish(model_tmp, card, output)
        lap("write")
        return TrainResult(model=output, card=card, seconds=time.perf_counter() - started, phases=phases)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _train_in_child(train_path: Path, model_path: Path, args: dict[str, Any]) -> None:
    """Train in a fresh process. fastText 0.9.2 keeps state across trainings in one process: the
    fifth of five identical one-thread trainings in a row came out different, and another sequence
    stopped with "Encountered NaN"; the first training of a process was identical every time."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            pool.submit(_train_and_save, str(train_path), str(model_path), args).result()
        except RuntimeError as err:  # fastText's own errors, e.g. "Encountered NaN" (lr too high)
            raise ValueError(f"fastText training failed: {err} (a lower --lr may help)") from None
        except concurrent.futures.process.BrokenProcessPool:
            raise RuntimeError("the fastText training process died (out of memory?)") from None


def _train_and_save(train_path: str, model_path: str, args: dict[str, Any]) -> None:
    import fasttext

    fasttext.train_supervised(input=train_path, verbose=0, **args).save_model(model_path)


def _publish(model_tmp: Path, card: dict[str, Any], output: str) -> None:
    """MODEL.bin, then MODEL.card.json, each written atomically (local or object store)."""
    target = Location(output)
    with target.atomic_output() as sink, open(model_tmp, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 22), b""):
            sink.write(chunk)
    Location(card_path(output)).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")


class _progress:
    """A tqdm counter of documents read (a no-op without progress)."""

    def __init__(self, enabled: bool, what: str) -> None:
        self.enabled, self.what, self.bar = enabled, what, None

    def __enter__(self) -> Callable[[int], None]:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc=self.what, unit=" docs", file=None, dynamic_ncols=True)
            return self.bar.update
        return lambda n: None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
