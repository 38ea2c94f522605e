"""Gopher's repetition and quality rules (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", appendix A, table A1), as FineWeb ran them.

Reference: datatrove's GopherRepetitionFilter and GopherQualityFilter (v0.10.1), run by FineWeb
with their defaults. Every rule, its order and its arithmetic follow that code; a threshold set
to None (or 0) turns its rule off, as there. The one difference is the word splitting, which
comes from `filters.text` (a fast re-implementation of spaCy's blank English tokenizer that the
reference uses; see that module for where it differs) and is computed once per text and shared by
both stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from filters.text import TextStats, analyze
from pipeline.registry import register
from pipeline.stage import Document, DocumentFilter, Rejection


def _check_fraction(name: str, value: float | None) -> None:
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"{name} must be a fraction between 0 and 1, got {value}")


def _check_ngrams(name: str, table: dict[int, float]) -> None:
    for n, frac in table.items():
        if n < 1:
            raise ValueError(f"{name}: n-gram size must be >= 1, got {n}")
        _check_fraction(f"{name}[{n}]", frac)


# -- repetition ------------------------------------------------------------------------------------


@dataclass
class GopherRepetitionConfig:
    # Gopher table A1; FineWeb used these values (datatrove's defaults).
    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    # n -> max fraction of characters in the most frequent word n-gram.
    top_n_grams: dict[int, float] = field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    # n -> max fraction of characters in repeated word n-grams.
    dup_n_grams: dict[int, float] = field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    )

    def __post_init__(self) -> None:
        for name in ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac"):
            _check_fraction(name, getattr(self, name))
        _check_ngrams("top_n_grams", self.top_n_grams)
        _check_ngrams("dup_n_grams", self.dup_n_grams)


@register
class GopherRepetition(DocumentFilter):
    """Drops documents made of repeated lines, paragraphs or word n-grams."""

    name = "gopher_repetition"
    Config = GopherRepetitionConfig

    def filter(self, doc: Document) -> Rejection | None:
        text = doc.text
        if not text:  # also a null text
            return Rejection(f"{self.name}:empty")
        return self.check(analyze(text))

    def check(self, stats: TextStats) -> Rejection | None:
        cfg: GopherRepetitionConfig = self.config
        n_chars = len(stats.text)
        # Paragraphs first, then lines, then word n-grams: the reference's order (and reasons).
        paras = stats.paragraph_duplicates
        if cfg.dup_para_frac and paras.count / paras.total > cfg.dup_para_frac:
            return self._reject("dup_para_frac", paras.count / paras.total)
        if cfg.dup_para_char_frac and paras.chars / n_chars > cfg.dup_para_char_frac:
            return self._reject("dup_para_char_frac", paras.chars / n_chars)
        lines = stats.line_duplicates
        if cfg.dup_line_frac and lines.count / lines.total > cfg.dup_line_frac:
            return self._reject("dup_line_frac", lines.count / lines.total)
        if cfg.dup_line_char_frac and lines.chars / n_chars > cfg.dup_line_char_frac:
            return self._reject("dup_line_char_frac", lines.chars / n_chars)
        ngrams = stats.ngram_signals(tuple(cfg.top_n_grams), tuple(cfg.dup_n_grams))
        for n, max_frac in cfg.top_n_grams.items():
            top = ngrams.top[n]
            if top is not None and top / n_chars > max_frac:
                return self._reject(f"top_{n}_gram_char_frac", top / n_chars)
        for n, max_frac in cfg.dup_n_grams.items():
            repeated = ngrams.dup[n]
            if repeated / n_chars > max_frac:
                return self._reject(f"dup_{n}_gram_char_frac", repeated / n_chars)
        return None

    def _reject(self, rule: str, value: float) -> Rejection:
        return Rejection(f"{self.name}:{rule}", value)


# -- quality ---------------------------------------------------------------------------------------

# Gopher's stop words (at least 2 must occur; matched case-sensitively, as in the reference).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


@dataclass
class GopherQualityConfig:
    # Gopher section A.1.1; FineWeb used these values (datatrove's defaults).
    min_doc_words: int | None = 50
    max_doc_words: int | None = 100_000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1  # "#" and "..." / "…" per word, each
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    min_alpha_words_ratio: float | None = 0.8  # datatrove calls it max_non_alpha_words_ratio
    min_stop_words: int | None = 2
    stop_words: list[str] = field(default_factory=lambda: list(GOPHER_STOP_WORDS))

    def __post_init__(self) -> None:
        for name in ("max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_alpha_words_ratio"):
            _check_fraction(name, getattr(self, name))
        for name in ("min_doc_words", "max_doc_words", "min_stop_words"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")


@register
class GopherQuality(DocumentFilter):
    """Drops documents whose words, symbols and lines do not look like prose."""

    name = "gopher_quality"
    Config = GopherQualityConfig

    def __init__(self, config: GopherQualityConfig | None = None) -> None:
        super().__init__(config)
        self._stop_words = frozenset(self.config.stop_words)

    def filter(self, doc: Document) -> Rejection | None:
        return self.check(analyze(doc.text or ""))

    def check(self, stats: TextStats) -> Rejection | None:
        cfg: GopherQualityConfig = self.config
        words = stats.word_profile
        # Word counts exclude tokens made only of punctuation; the ratios below divide by all tokens.
        if cfg.min_doc_words and words.n_content < cfg.min_doc_words:
            return self._reject("word_count", words.n_content)
        if cfg.max_doc_words and words.n_content > cfg.max_doc_words:
            return self._reject("word_count", words.n_content)
        if words.n_content:  # the reference takes a mean of nothing (NaN, never out of range)
            avg = words.content_chars / words.n_content
            if cfg.min_avg_word_length and avg < cfg.min_avg_word_length:
                return self._reject("avg_word_length", avg)
            if cfg.max_avg_word_length and avg > cfg.max_avg_word_length:
                return self._reject("avg_word_length", avg)
        if not words.n_words:  # only when the word-count rule is off (the reference divides by zero)
            return None
        text = stats.text
        if cfg.max_symbol_word_ratio:
            ratio = text.count("#") / words.n_words
            if ratio > cfg.max_symbol_word_ratio:
                return self._reject("hash_ratio", ratio)
            ratio = (text.count("...") + text.count("…")) / words.n_words
            if ratio > cfg.max_symbol_word_ratio:
                return self._reject("ellipsis_ratio", ratio)
        lines = stats.line_shapes
        if lines.total and cfg.max_bullet_lines_ratio:
            ratio = lines.bullets / lines.total
            if ratio > cfg.max_bullet_lines_ratio:
                return self._reject("bullet_lines_frac", ratio)
        if lines.total and cfg.max_ellipsis_lines_ratio:
            ratio = lines.ellipses / lines.total
            if ratio > cfg.max_ellipsis_lines_ratio:
                return self._reject("ellipsis_lines_frac", ratio)
        if cfg.min_alpha_words_ratio:
            ratio = words.n_alpha / words.n_words
            if ratio < cfg.min_alpha_words_ratio:
                return self._reject("alpha_words_frac", ratio)
        if cfg.min_stop_words:
            found = stats.count_present(self._stop_words)
            if found < cfg.min_stop_words:
                return self._reject("stop_words", found)
        return None

    def _reject(self, rule: str, value: float) -> Rejection:
        return Rejection(f"{self.name}:{rule}", value)
