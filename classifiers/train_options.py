"""Options of `curate classifier train`/`bootstrap`: fastText parameters and the data handling.

Kept apart from the training code so that building the `curate` parser (which shows these defaults)
imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FastTextParams:
    """fastText supervised-training parameters (the defaults suit a binary quality classifier)."""

    epoch: int = 5
    lr: float = (
        0.5  # fastText's 0.1 underfits the few hundred documents of a small bootstrap (scores near 0.5)
    )
    dim: int = 32
    word_ngrams: int = 2
    min_count: int = 2
    bucket: int = 500_000  # x dim x 4 bytes: a 64 MB model at the defaults
    loss: str = "softmax"

    def fasttext_args(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "lr": self.lr,
            "dim": self.dim,
            "wordNgrams": self.word_ngrams,
            "minCount": self.min_count,
            "bucket": self.bucket,
            "loss": self.loss,
        }


@dataclass
class TrainOptions:
    positive_label: str = "__label__hq"
    negative_label: str = "__label__cc"
    text_field: str = "text"
    test_fraction: float = 0.1
    balance: bool = True
    min_per_class: int = 50
    seed: int = 0
    threads: int = 0  # 0: every core (not byte-deterministic); 1: deterministic
    params: FastTextParams = field(default_factory=FastTextParams)
    progress: bool = True

    def check(self) -> None:
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"--test-fraction must be between 0 and 1 (exclusive), got {self.test_fraction}")
        if self.min_per_class < 1:
            raise ValueError(f"--min-per-class must be at least 1, got {self.min_per_class}")
        for label in (self.positive_label, self.negative_label):
            if not label.startswith("__label__") or len(label) == len("__label__") or " " in label:
                raise ValueError(f"labels look like __label__NAME (no spaces), got {label!r}")
        if self.positive_label == self.negative_label:
            raise ValueError("the positive and negative labels must differ")
        if self.threads < 0:
            raise ValueError(f"--threads must be 0 (all cores) or more, got {self.threads}")
        p = self.params
        if p.epoch < 1 or p.dim < 1 or p.word_ngrams < 1 or p.min_count < 1 or p.bucket < 0 or p.lr <= 0:
            raise ValueError(f"bad fastText parameters: {asdict(p)}")
