"""`curate classifier score`: score documents with a model and show the distribution, to pick a threshold.

The summary holds a histogram of the scores (fixed bins over 0..1), the share of documents a
threshold at each bin edge would keep, quantiles, and the highest- and lowest-scoring documents
(url or reference, and their first characters). Memory: a 1,000-bin histogram (quantiles to
within 0.001) and the 2 x `samples` extreme documents; the documents stream by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from classifiers.quality import QualityScorer
from classifiers.sources import count_rows, read_batches

FINE_BINS = 1000
QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
BAR_WIDTH = 40


@dataclass
class Sample:
    score: float
    order: int  # position in the input: breaks ties, so the choice is deterministic
    url: str | None
    ref: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 6), "url": self.url, "ref": self.ref, "text": self.text}


@dataclass
class ScoreSummary:
    model: str
    label: str
    card: dict[str, Any] | None
    documents: int = 0
    fine_counts: np.ndarray = field(default_factory=lambda: np.zeros(FINE_BINS, dtype=np.int64))
    total: float = 0.0
    top: list[Sample] = field(default_factory=list)
    bottom: list[Sample] = field(default_factory=list)

    def histogram(self, bins: int) -> tuple[np.ndarray, np.ndarray]:
        """(edges, counts) over `bins` equal bins of 0..1 (`bins` must divide 1,000)."""
        counts = self.fine_counts.reshape(bins, FINE_BINS // bins).sum(axis=1)
        return np.linspace(0.0, 1.0, bins + 1), counts

    def kept_share(self, threshold: float) -> float:
        """Share of documents scoring at least `threshold` (at the fine-bin resolution)."""
        if not self.documents:
            return 0.0
        start = min(FINE_BINS, round(threshold * FINE_BINS))
        return float(self.fine_counts[start:].sum() / self.documents)

    def quantile(self, q: float) -> float | None:
        """The score below which a share `q` of the documents fall (upper edge of its fine bin)."""
        if not self.documents:
            return None
        cumulative = np.cumsum(self.fine_counts)
        index = int(np.searchsorted(cumulative, q * self.documents, side="left"))
        return min(1.0, (index + 1) / FINE_BINS)

    def to_dict(self, bins: int) -> dict[str, Any]:
        edges, counts = self.histogram(bins)
        return {
            "model": self.model,
            "label": self.label,
            "model_card": self.card is not None,
            "documents": self.documents,
            "mean": self.total / self.documents if self.documents else None,
            "quantiles": {str(q): self.quantile(q) for q in QUANTILES},
            "histogram": {
                "edges": [round(float(e), 6) for e in edges],
                "counts": counts.tolist(),
                "kept_at_lower_edge": [round(self.kept_share(float(e)), 6) for e in edges[:-1]],
            },
            "top": [s.to_dict() for s in self.top],
            "bottom": [s.to_dict() for s in self.bottom],
        }


def score_sources(
    model: str,
    sources: Sequence[str],
    label: str = "__label__hq",
    text_field: str = "text",
    samples: int = 5,
    chars: int = 160,
    progress: bool = True,
) -> ScoreSummary:
    scorer = QualityScorer(model, label)
    summary = ScoreSummary(model=model, label=scorer.label, card=scorer.info.card)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=count_rows(sources), desc="scoring", unit=" docs", dynamic_ncols=True)
    try:
        for batch in read_batches(sources, text_field):
            scores = scorer.score(batch.column("text"))
            _add(summary, batch, scores, samples, chars)
            if bar is not None:
                bar.update(batch.num_rows)
    finally:
        if bar is not None:
            bar.close()
    return summary


def _add(summary: ScoreSummary, batch: pa.RecordBatch, scores: np.ndarray, samples: int, chars: int) -> None:
    offset = summary.documents
    bins = np.minimum((scores.astype(np.float64) * FINE_BINS).astype(np.int64), FINE_BINS - 1)
    summary.fine_counts += np.bincount(bins, minlength=FINE_BINS)
    summary.total += float(scores.astype(np.float64).sum())
    summary.documents += len(scores)
    if samples <= 0 or not len(scores):
        return
    order = np.arange(len(scores))
    # candidates: this batch's extremes (stable sorts: ties go to the earlier document)
    high = np.lexsort((order, -scores.astype(np.float64)))[:samples]
    low = np.lexsort((order, scores.astype(np.float64)))[:samples]

    def sample(i: int) -> Sample:
        text = batch.column("text")[i].as_py() or ""
        return Sample(
            float(scores[i]),
            offset + int(i),
            batch.column("url")[i].as_py(),
            batch.column("ref")[i].as_py(),
            " ".join(text[: chars * 2].split())[:chars],
        )

    summary.top = sorted([*summary.top, *map(sample, high)], key=lambda s: (-s.score, s.order))[:samples]
    summary.bottom = sorted([*summary.bottom, *map(sample, low)], key=lambda s: (s.score, s.order))[:samples]


def format_summary(summary: ScoreSummary, bins: int = 20) -> str:
    lines = [f"model: {summary.model}  (label {summary.label})"]
    card = summary.card
    if card is None:
        lines.append("  no model card beside it (not trained by curate, or the card was not copied)")
    else:
        metrics = card.get("metrics") or {}
        auc = metrics.get("roc_auc")
        lines.append(
            f"  card: preprocessing v{(card.get('preprocess') or {}).get('version')}, "
            f"held-out ROC AUC {auc:.3f}"
            + (f", F1 {metrics['f1']:.3f}" if metrics.get("f1") is not None else "")
            if auc is not None
            else "  card: no held-out metrics"
        )
    lines.append(f"documents: {summary.documents:,}")
    if not summary.documents:
        return "\n".join(lines)
    lines.append(
        f"mean {summary.total / summary.documents:.3f}   "
        + "   ".join(f"p{int(q * 100)} {summary.quantile(q):.3f}" for q in (0.1, 0.25, 0.5, 0.75, 0.9))
    )
    edges, counts = summary.histogram(bins)
    peak = max(1, int(counts.max()))
    lines.append("")
    lines.append(f"{'score':<11} {'docs':>8}  {'':<{BAR_WIDTH}}  kept at score >= low edge")
    for low, high, count in zip(edges[:-1], edges[1:], counts.tolist()):
        bar = "█" * round(BAR_WIDTH * count / peak) if count else ""
        if count and not bar:
            bar = "▏"
        kept = summary.kept_share(float(low))
        lines.append(f"{low:.2f}-{high:.2f}  {count:>8,}  {bar:<{BAR_WIDTH}}  {kept:6.1%}")
    for title, chosen in (("highest scores", summary.top), ("lowest scores", summary.bottom)):
        lines.append("")
        lines.append(f"{title}:")
        for s in chosen:
            where = s.url or s.ref or f"#{s.order}"
            lines.append(f"  {s.score:.3f}  {where}")
            lines.append(f"         {s.text}")
    return "\n".join(lines)
