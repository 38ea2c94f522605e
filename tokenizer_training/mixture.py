"""Mixtures of sources: what a weight means, and how a source reaches its share.

A source is a named set of inputs with a weight. Weights are normalised to sum to 1; a source's
normalised weight is its target share of the *train* tokens written (GPT-3's "weight in training mix").
With a total T (--total-tokens; by default the largest total that repeats no source, i.e. the minimum
over sources of available_tokens / share), a source with A available train tokens needs
epochs = share * T / A: its documents are written floor(epochs) times in full, then the documents of
a partial pass are chosen by a salted hash of their id, bucketed into 65,536 buckets whose token sums
are known after tokenization, so the chosen token count lands within one bucket of the target
(about A / 65,536 tokens). epochs < 1 is the same partial pass alone (subsampling). Val documents
are never repeated or subsampled: val holds each source's val split once. The manifest records the
realised tokens, share and epochs of each source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUCKET_BITS = 16
BUCKETS = 1 << BUCKET_BITS  # a document's bucket: the top bits of its mix hash
MIX_SALT = "mix"
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Source:
    name: str
    inputs: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class SourcePlan:
    """How much of a source goes to train: full passes, then the buckets below `partial_buckets`."""

    name: str
    available_tokens: int
    epochs_target: float
    full_passes: int
    partial_buckets: int
    planned_tokens: int


def single_source(inputs: list[str]) -> list[Source]:
    return [Source("input", tuple(inputs), 1.0)]


def parse_mix_args(items: list[str]) -> list[Source]:
    """NAME=DIR[,DIR...]:WEIGHT items of --mix."""
    sources = []
    for item in items:
        name, eq, rest = item.partition("=")
        paths, colon, weight_text = rest.rpartition(":")
        if not eq or not colon or not name or not paths:
            raise ValueError(
                f"bad --mix item {item!r}: expected NAME=DIR[,DIR...]:WEIGHT, e.g. web=out/web/documents:0.8"
            )
        try:
            weight = float(weight_text)
        except ValueError:
            raise ValueError(f"bad --mix item {item!r}: weight {weight_text!r} is not a number") from None
        sources.append(Source(name, tuple(p for p in paths.split(",") if p), weight))
    return check_sources(sources)


def read_mix_file(path: str) -> tuple[list[Source], int | None]:
    """A YAML mixture: {total_tokens: N (optional), sources: [{name, inputs, weight}, ...]}."""
    import yaml

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--mix-file {path} does not exist")
    try:
        data = yaml.safe_load(file.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"--mix-file {path} is not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ValueError(f"--mix-file {path}: expected a mapping with a `sources` list")
    sources = []
    for i, entry in enumerate(data["sources"]):
        if not isinstance(entry, dict) or not {"name", "inputs", "weight"} <= entry.keys():
            raise ValueError(f"--mix-file {path}: source {i + 1} needs name, inputs and weight")
        inputs = entry["inputs"]
        inputs = [inputs] if isinstance(inputs, str) else inputs
        try:
            weight = float(entry["weight"])
        except (TypeError, ValueError):
            raise ValueError(f"--mix-file {path}: weight of {entry['name']!r} is not a number") from None
        sources.append(Source(str(entry["name"]), tuple(str(p) for p in inputs), weight))
    total = data.get("total_tokens")
    if total is not None:
        try:
            total = int(float(total))
        except (TypeError, ValueError):
            raise ValueError(f"--mix-file {path}: total_tokens {total!r} is not a number") from None
    return check_sources(sources), total


def check_sources(sources: list[Source]) -> list[Source]:
    if not sources:
        raise ValueError("a mixture needs at least one source")
    seen: set[str] = set()
    for source in sources:
        if not NAME.match(source.name):
            raise ValueError(f"source name {source.name!r}: use letters, digits, '_', '-' or '.'")
        if source.name in seen:
            raise ValueError(f"source name {source.name!r} is given twice")
        seen.add(source.name)
        if not source.inputs:
            raise ValueError(f"source {source.name!r} has no inputs")
        if not (source.weight > 0 and math.isfinite(source.weight)):
            raise ValueError(f"source {source.name!r}: weight {source.weight:g} must be a positive number")
    return sources


def plan(
    sources: list[Source], bucket_tokens: list[np.ndarray], total_tokens: int | None
) -> tuple[list[SourcePlan], int]:
    """Each source's passes and partial-pass threshold, from its train tokens per hash bucket;
    returns the plans and the total aimed at."""
    weights = np.array([s.weight for s in sources], dtype=np.float64)
    shares = weights / weights.sum()
    available = [int(b.sum()) for b in bucket_tokens]
    for source, tokens in zip(sources, available):
        if tokens == 0:
            raise ValueError(f"source {source.name!r} has no train tokens (no documents, or all went to val)")
    if total_tokens is None:
        total_tokens = int(min(a / s for a, s in zip(available, shares)))
    if total_tokens <= 0:
        raise ValueError("--total-tokens must be positive")
    plans = []
    for source, share, tokens, buckets in zip(sources, shares, available, bucket_tokens):
        epochs = share * total_tokens / tokens
        if abs(epochs - round(epochs)) < 1e-9:
            epochs = float(round(epochs))  # the scarcest source's single pass is exactly 1
        full = math.floor(epochs)
        wanted = (epochs - full) * tokens
        cumulative = np.concatenate([[0], np.cumsum(buckets)])
        partial = int(np.argmin(np.abs(cumulative - wanted)))  # buckets below this index are taken
        plans.append(
            SourcePlan(source.name, tokens, epochs, full, partial, full * tokens + int(cumulative[partial]))
        )
    return plans, total_tokens
