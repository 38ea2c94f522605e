"""`curate tokenizer train`: byte-level BPE from documents, under a character budget.

Sampling: a first cheap pass reads the text size from the Parquet footers; each document is then taken
when a salted hash of its id falls below `max_chars / size`, so the sample spreads evenly over all
parts whatever their order, and the same inputs give the same sample. A fixed slice of the hash space
(`holdout_fraction`) is never trained on: compression is measured there (card.json) and
`curate tokenizer eval` finds the same documents again. The budget is also a hard stop.

Memory: documents stream to the trainer (rustbpe refills a buffer of 8,192 texts; HF tokenizers reads
an iterator); what grows is the trainer's table of distinct pre-token pieces, which follows the
vocabulary of the text, not its size. The held-out sample is kept up to `holdout_max_chars`.

Trainer: rustbpe by default (nanochat's trainer), HF tokenizers' BpeTrainer on request; both give
the same tokenizer.json layout (tokenizer_training.bpe). The bench compares them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenizer_training.bpe import DEFAULT_PATTERN, EOT, SPLIT_PATTERNS, Vocabulary, token_bytes
from tokenizer_training.documents import below, find_parts, id_hash, iter_batches, text_bytes_estimate
from tokenizer_training.encoder import CARD_FILE, TOKENIZER_FILE, load_tokenizer

TRAINERS = ("rustbpe", "hf")
HOLDOUT_SALT = "tok-holdout"
AGREEMENT_CHECK_CHARS = 1_000_000  # held-out text also encoded by HF tokenizers, to compare ids


@dataclass
class TrainConfig:
    inputs: list[str]
    output: str
    vocab_size: int = 65_536
    max_chars: int = 2_000_000_000  # nanochat's default training budget
    doc_max_chars: int = 10_000  # nanochat's per-document cap: long pages do not dominate the counts
    special_tokens: list[str] = field(default_factory=list)  # besides <|endoftext|>, which is always first
    pattern: str = DEFAULT_PATTERN  # a name of SPLIT_PATTERNS or a regex
    trainer: str = "rustbpe"
    min_frequency: int | None = None  # HF trainer only
    holdout_fraction: float = 0.01
    holdout_max_chars: int = 10_000_000
    overwrite: bool = False
    progress: bool = True

    def specials(self) -> list[str]:
        found = [EOT]
        for token in self.special_tokens:
            if not token:
                raise ValueError("--special takes non-empty token strings")
            if token not in found:
                found.append(token)
        return found

    def pattern_regex(self) -> tuple[str, str]:
        """(name, regex): a known name, or a regex given as is (named 'custom')."""
        if self.pattern in SPLIT_PATTERNS:
            return self.pattern, SPLIT_PATTERNS[self.pattern]
        return "custom", self.pattern

    def validate(self) -> None:
        minimum = 256 + len(self.specials()) + 1
        if self.vocab_size < minimum:
            raise ValueError(
                f"--vocab-size {self.vocab_size} is too small: byte-level BPE needs 256 byte tokens, "
                f"{len(self.specials())} special token(s) and at least one merge (minimum {minimum})"
            )
        if self.trainer not in TRAINERS:
            raise ValueError(f"--trainer {self.trainer!r}: choose one of {', '.join(TRAINERS)}")
        if self.min_frequency is not None and self.trainer != "hf":
            raise ValueError(
                "--min-frequency is an option of the hf trainer (rustbpe merges while any pair occurs)"
            )
        if self.max_chars <= 0 or self.doc_max_chars <= 0:
            raise ValueError("--max-chars and --doc-max-chars must be positive")
        if not 0 <= self.holdout_fraction < 1:
            raise ValueError(f"--holdout-fraction {self.holdout_fraction} must be in [0, 1)")
        out = Path(self.output)
        if out.is_file():
            raise ValueError(f"--output {out} is a file; give a folder (TOKDIR)")
        if (out / TOKENIZER_FILE).exists() and not self.overwrite:
            raise ValueError(f"{out} already holds a {TOKENIZER_FILE}; pass --overwrite to replace it")


@dataclass
class Sample:
    """What the training pass read: counters and the held-out texts."""

    documents: int = 0
    chars: int = 0
    bytes: int = 0
    truncated: int = 0
    budget_reached: bool = False
    holdout: list[str] = field(default_factory=list)
    holdout_chars: int = 0


def training_texts(
    config: TrainConfig, parts: list[Path], rate: float, sample: Sample, bar: Any
) -> Iterator[str]:
    """The sampled documents' texts, each cut at doc_max_chars, until max_chars are yielded."""
    holdout_below = below(config.holdout_fraction)
    take_below = holdout_below + below(rate * (1 - config.holdout_fraction))
    for part in parts:
        for batch in iter_batches(part):
            for doc_id, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                if not text:
                    continue
                h = id_hash(doc_id, HOLDOUT_SALT)
                if h < holdout_below:
                    if sample.holdout_chars < config.holdout_max_chars:
                        sample.holdout.append(text)
                        sample.holdout_chars += len(text)
                    continue
                if h >= take_below:
                    continue
                if len(text) > config.doc_max_chars:
                    text = text[: config.doc_max_chars]
                    sample.truncated += 1
                sample.documents += 1
                sample.chars += len(text)
                sample.bytes += len(text.encode("utf-8"))
                bar.update(len(text))
                yield text
                if sample.chars >= config.max_chars:
                    sample.budget_reached = True
                    return


def _train_rustbpe(
    texts: Iterator[str], merges_and_bytes: int, pattern: str, specials: list[str]
) -> Vocabulary:
    import rustbpe

    trainer = rustbpe.Tokenizer()
    trainer.train_from_iterator(texts, merges_and_bytes, pattern=pattern)
    ranks = {bytes(token): rank for token, rank in trainer.get_mergeable_ranks()}
    return Vocabulary.from_ranks(ranks, pattern, specials)


def _train_hf(
    texts: Iterator[str], merges_and_bytes: int, pattern: str, specials: list[str], min_frequency: int | None
) -> Vocabulary:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=merges_and_bytes,
        min_frequency=min_frequency or 0,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],  # added after the merges, in our layout
    )
    tokenizer.train_from_iterator(texts, trainer)
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    pairs = [
        (token_bytes(a), token_bytes(b))
        for a, b in (m.split(" ") if isinstance(m, str) else m for m in merges)
    ]
    return Vocabulary.from_merges(pairs, pattern, specials)


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def library_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def train_tokenizer(config: TrainConfig) -> dict[str, Any]:
    """Train, write TOKDIR/tokenizer.json (+ tokenizer_config.json, tokenizer.tiktoken) and card.json;
    returns the card."""
    from tqdm import tqdm

    config.validate()
    started = time.perf_counter()
    specials = config.specials()
    pattern_name, pattern = config.pattern_regex()
    parts = find_parts(config.inputs)
    estimate = text_bytes_estimate(parts)
    rate = min(1.0, config.max_chars / max(1, estimate * (1 - config.holdout_fraction)))
    sample = Sample()
    merges_and_bytes = config.vocab_size - len(specials)
    with tqdm(
        total=min(config.max_chars, estimate),
        unit="char",
        unit_scale=True,
        desc=f"training BPE ({config.trainer})",
        disable=not config.progress,
        file=sys.stderr,
    ) as bar:
        texts = training_texts(config, parts, rate, sample, bar)
        train_started, train_cpu_started = time.perf_counter(), time.process_time()
        if config.trainer == "rustbpe":
            vocabulary = _train_rustbpe(texts, merges_and_bytes, pattern, specials)
        else:
            vocabulary = _train_hf(texts, merges_and_bytes, pattern, specials, config.min_frequency)
        train_seconds = time.perf_counter() - train_started
        train_cpu_seconds = time.process_time() - train_cpu_started  # all threads of this process

    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(out / TOKENIZER_FILE, vocabulary.tokenizer_json_text())
    _write_atomic(out / "tokenizer.tiktoken", vocabulary.tiktoken_ranks_text())
    _write_atomic(out / "tokenizer_config.json", json.dumps(_transformers_config(), indent=2) + "\n")
    tokenizer = load_tokenizer(out)
    holdout = holdout_compression(tokenizer, sample.holdout)
    card = {
        "vocab_size": vocabulary.size,
        "vocab_size_requested": config.vocab_size,
        "merges": len(vocabulary.merges),
        "special_tokens": vocabulary.specials,
        "eot_id": vocabulary.eot_id,
        "pattern": {"name": pattern_name, "regex": pattern},
        "min_frequency": config.min_frequency if config.trainer == "hf" else None,
        "library": {
            "trainer": config.trainer,
            "version": library_version("rustbpe" if config.trainer == "rustbpe" else "tokenizers"),
        },
        "encoder": {"library": tokenizer.library, "version": library_version(tokenizer.library)},
        "training": {
            "documents": sample.documents,
            "chars": sample.chars,
            "bytes": sample.bytes,
            "documents_truncated": sample.truncated,
            "max_chars": config.max_chars,
            "doc_max_chars": config.doc_max_chars,
            "text_bytes_estimate": estimate,
            "sampling_rate": round(rate, 6),
            "budget_reached": sample.budget_reached,
        },
        "sources": {"inputs": list(config.inputs), "parts": len(parts)},
        "holdout": {"fraction": config.holdout_fraction, "salt": HOLDOUT_SALT, **holdout},
        "seconds": {
            "training": round(train_seconds, 2),
            "training_cpu": round(train_cpu_seconds, 2),
            "total": round(time.perf_counter() - started, 2),
        },
        "peak_rss_mb": peak_rss_mb(),
        "tokenizer_sha256": tokenizer.sha256,
    }
    _write_atomic(out / CARD_FILE, json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return card


def _transformers_config() -> dict[str, Any]:
    """Lets `transformers.AutoTokenizer.from_pretrained(TOKDIR)` find the file and the EOT token."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": EOT,
        "eos_token": EOT,
        "model_max_length": 1_000_000_000,
        "clean_up_tokenization_spaces": False,
    }


def holdout_compression(tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    """Bytes per token of ours and of cl100k_base on the held-out texts, and whether HF tokenizers
    (loading tokenizer.json) gives the same ids as our encoder on the first AGREEMENT_CHECK_CHARS."""
    from tokenizer_training.evaluate import cl100k

    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    if not texts:
        return {"documents": 0, "bytes": 0, "bytes_per_token": None, "cl100k_base_bytes_per_token": None}
    ours = sum(len(ids) for ids in tokenizer.encode_batch(texts))
    theirs = sum(len(ids) for ids in cl100k().encode_ordinary_batch(texts, num_threads=1))
    checked, chars = [], 0
    for text in texts:
        if chars >= AGREEMENT_CHECK_CHARS:
            break
        if EOT not in text:  # HF tokenizers would read a literal special token as the special id
            checked.append(text)
            chars += len(text)
    agree = tokenizer.encode_batch(checked) == [
        e.ids for e in tokenizer.hf().encode_batch(checked, add_special_tokens=False)
    ]
    return {
        "documents": len(texts),
        "bytes": n_bytes,
        "tokens": ours,
        "bytes_per_token": round(n_bytes / max(1, ours), 4),
        "cl100k_base_bytes_per_token": round(n_bytes / max(1, theirs), 4),
        "hf_tokenizers_agree": {"documents": len(checked), "same_ids": agree},
    }
