"""Held-out metrics of a binary classifier: precision, recall, F1 at a threshold, and ROC AUC.

ROC AUC is computed from ranks (the Mann-Whitney U statistic): the probability that a random positive
scores above a random negative, ties counting one half. Tied scores share their average rank, so a
model that gives every document the same score gets exactly 0.5.
"""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of `values`, ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    # starts of runs of equal values in sorted order
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]  # exclusive
    run_rank = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def roc_auc(scores: np.ndarray, is_positive: np.ndarray) -> float | None:
    """ROC AUC of `scores` for the boolean labels `is_positive`; None when a class is absent."""
    scores = np.asarray(scores, dtype=np.float64)
    is_positive = np.asarray(is_positive, dtype=bool)
    n_pos = int(is_positive.sum())
    n_neg = len(is_positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(scores)
    u = ranks[is_positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def binary_metrics(
    scores: np.ndarray, is_positive: np.ndarray, threshold: float = 0.5
) -> dict[str, float | int | None]:
    """Precision, recall, F1 and accuracy of `score >= threshold` as the positive call, plus ROC AUC."""
    scores = np.asarray(scores, dtype=np.float64)
    is_positive = np.asarray(is_positive, dtype=bool)
    called = scores >= threshold
    tp = int((called & is_positive).sum())
    fp = int((called & ~is_positive).sum())
    fn = int((~called & is_positive).sum())
    tn = int((~called & ~is_positive).sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if tp + fn else None)
    total = len(scores)
    return {
        "threshold": threshold,
        "positives": tp + fn,
        "negatives": fp + tn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": (tp + tn) / total if total else None,
        "roc_auc": roc_auc(scores, is_positive),
    }
