"""The quality classifier model: find it, check it, load it once per process, score batches.

A model is any supervised fastText file (ours from `curate classifier train`/`bootstrap`, or another
one such as DCLM's, labels `__label__hq`/`__label__cc`), given by a local path, an object-store URI
(downloaded once into a local cache by `pipeline.io.storage.Location.local_copy`), or, on Spark, the bare
name of a file shipped with `spark-submit --files` (found with `SparkFiles.get` on the executors).

`check_model` runs before any work (the stage calls it when its config is built): a missing file,
bytes that are not a fastText model (truncated, damaged), a model without the wanted label, or a model
card naming another preprocessing version are errors that name the path (and the labels it has).
Its card is `MODEL.card.json` beside `MODEL.bin` (see `card_path`); a model without a card is
accepted, and the stage counts the documents it scored so (counter `scored_without_model_card`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from classifiers.fasttext_file import NotAFastTextModel, read_header
from classifiers.preprocess import PREPROCESS_VERSION, preprocess
from pipeline.io.storage import Location

LABEL_PREFIX = "__label__"
CARD_SUFFIX = ".card.json"
CARD_FORMAT = "curate-quality-classifier"

_LOADED: dict[tuple[str, int, int], Any] = {}  # (path, size, mtime) -> fastText model, per process


class ModelError(ValueError):
    """A quality model that cannot be used; the message names its path."""


@dataclass(frozen=True)
class ModelInfo:
    path: Path  # a local file with the model's bytes
    labels: tuple[str, ...]
    label: str  # the label whose probability is the score (with its __label__ prefix)
    card: dict[str, Any] | None


def card_path(model: str) -> str:
    """`MODEL.card.json` beside `MODEL.bin` (the last suffix is replaced; `model` gets `.card.json`)."""
    if Location(model).is_local:
        path = Path(model)
        return str(path.with_name(path.stem + CARD_SUFFIX))  # keeps a relative path relative
    location = Location(model)
    name = location.name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return str(location.parent / f"{stem}{CARD_SUFFIX}")


def full_label(label: str, labels: Sequence[str]) -> str | None:
    """`label` as the model spells it: exact, or with fastText's `__label__` prefix added."""
    if label in labels:
        return label
    prefixed = LABEL_PREFIX + label
    return prefixed if prefixed in labels else None


def local_model_file(model: str) -> Path:
    """A local file holding `model`: the path itself, a cached download of a URI, or a Spark `--files` copy."""
    location = Location(model)
    if not location.is_local:
        if not location.is_file():
            raise ModelError(f"model: no such file: {model!r}")
        return location.local_copy()
    path = location.as_path()
    if path.is_file():
        return path
    shipped = _spark_files_copy(Path(model).name)
    if shipped is not None:
        return shipped
    raise ModelError(f"model: no such file: {model!r}")


def _spark_files_copy(name: str) -> Path | None:
    """The copy of `name` that `spark-submit --files` put in this executor's work folder, if any."""
    try:
        from pyspark import SparkFiles

        candidate = Path(SparkFiles.get(name))
    except Exception:  # no pyspark, or no SparkContext in this process: not on Spark
        return None
    return candidate if candidate.is_file() else None


def read_card(model: str) -> dict[str, Any] | None:
    location = Location(card_path(model))
    if not location.exists():
        return None
    try:
        card = json.loads(location.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ModelError(f"model card {location}: not valid JSON ({err})") from None
    if not isinstance(card, dict):
        raise ModelError(f"model card {location}: expected a JSON object")
    return card


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model(model: str, label: str) -> ModelInfo:
    """Everything about `model` that can be checked without loading it; ModelError naming the path."""
    try:
        path = local_model_file(model)
    except OSError as err:  # e.g. a storage error reaching a URI
        raise ModelError(f"model: cannot read {model!r}: {err}") from None
    try:
        header = read_header(path)
    except NotAFastTextModel as err:
        raise ModelError(f"model {model!r} is not a usable fastText model: {err}") from None
    if not header.supervised:
        raise ModelError(f"model {model!r} is a fastText word-vector model, not a supervised classifier")
    wanted = full_label(label, header.labels)
    if wanted is None:
        raise ModelError(
            f"model {model!r} has no label {label!r}; its labels: {', '.join(header.labels) or '(none)'}"
        )
    card = read_card(model)
    if card is None and Location(model).is_local and path.resolve() != Path(model).resolve():
        card = read_card(
            str(path)
        )  # shipped beside the copy (spark-submit --files MODEL.bin,MODEL.card.json)
    if card is not None:
        _check_card(model, card, path)
    return ModelInfo(path=path, labels=header.labels, label=wanted, card=card)


def _check_card(model: str, card: dict[str, Any], path: Path) -> None:
    version = (card.get("preprocess") or {}).get("version")
    if version != PREPROCESS_VERSION:
        raise ModelError(
            f"model {model!r}: its card {card_path(model)} says it was trained on text preprocessed by "
            f"version {version!r}, this curate preprocesses with version {PREPROCESS_VERSION}; "
            "retrain it with this version (`curate classifier train` or `bootstrap`)"
        )
    expected = card.get("model_sha256")
    if expected and file_sha256(path) != expected:
        raise ModelError(
            f"model {model!r}: its bytes differ from those its card {card_path(model)} describes "
            "(damaged, or replaced without its card)"
        )


def load_fasttext(path: Path, cache: bool = True) -> Any:
    """Load a fastText model, once per process when cached (keyed by path, size and mtime, so a
    retrained file reloads)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _LOADED:
        return _LOADED[key]
    from fasttext.FastText import _FastText  # fasttext.load_model, minus its notice on stderr

    with contextlib.redirect_stderr(io.StringIO()):
        model = _FastText(model_path=str(path))
    if cache:
        _LOADED[key] = model
    return model


class QualityScorer:
    """The probability of one label for batches of texts (preprocessed here, scored by fastText)."""

    def __init__(self, model: str, label: str = "__label__hq") -> None:
        self.info = check_model(model, label)
        self.model = load_fasttext(self.info.path)

    @property
    def label(self) -> str:
        return self.info.label

    def score(self, texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> np.ndarray:
        """float32 scores in [0, 1], one per text (empty text is scored like any other)."""
        return self.score_preprocessed(preprocess(texts))

    def score_preprocessed(self, lines: list[str]) -> np.ndarray:
        return label_probabilities(self.model, lines, self.label)


def label_probabilities(model: Any, lines: list[str], label: str) -> np.ndarray:
    """float32 probabilities of `label` for preprocessed lines (training's evaluation uses it too)."""
    if not lines:
        return np.zeros(0, dtype=np.float32)
    # k=-1: every label with its probability (two for a binary model), so any label can be read.
    all_labels, all_probs = model.predict(lines, k=-1, threshold=0.0)
    scores = np.fromiter(
        (_prob_of(label, labels, probs) for labels, probs in zip(all_labels, all_probs)),
        dtype=np.float64,
        count=len(lines),
    )
    # fastText's probabilities may exceed 1 by its 1e-5 smoothing
    return np.clip(scores, 0.0, 1.0).astype(np.float32)


def _prob_of(label: str, labels: Sequence[str], probs: Sequence[float]) -> float:
    for name, prob in zip(labels, probs):
        if name == label:
            return float(prob)
    return 0.0


def describe_model(info: ModelInfo) -> dict[str, Any]:
    """What a run records about the model it used (the stage's describe(), so a changed file changes it)."""
    stat = os.stat(info.path)
    return {
        "model_size": stat.st_size,
        "model_sha256": (info.card or {}).get("model_sha256") or _quick_fingerprint(info.path),
        "model_card": info.card is not None,
    }


def _quick_fingerprint(path: Path) -> str:
    """sha256 of the size and first and last MiB: cheap for multi-GB models without a card."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, path.stat().st_size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return "partial:" + digest.hexdigest()
