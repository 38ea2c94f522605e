"""Gopher's repetition and quality rules (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", appendix A, table A1), as FineWeb ran them.

Reference: datatrove's GopherRepetitionFilter and GopherQualityFilter (v0.10.1), run by FineWeb
with their defaults. Every rule, its order and its arithmetic follow that code; a threshold set
to None (or 0) turns its rule off, as there. The one difference is the word splitting, which
comes from `filters.text` and `filters.words` (a fast re-implementation of spaCy's blank English tokenizer that the
reference uses; see that module for where it differs) and is computed once per text and shared by
both stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from filters.text import Duplicates, NgramSignals, TextStats, WordProfile, analyze
from pipeline.core.registry import register
from pipeline.core.stage import Document, DocumentFilter, Rejection, Signal


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
    dup_line_frac: float | None = 0.3  # max fraction of lines that repeat an earlier line
    dup_para_frac: float | None = 0.3  # max fraction of paragraphs that repeat an earlier one
    dup_line_char_frac: float | None = 0.2  # max fraction of characters in repeated lines
    dup_para_char_frac: float | None = 0.2  # max fraction of characters in repeated paragraphs
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
    reasons = (
        "gopher_repetition:empty",
        "gopher_repetition:dup_para_frac",
        "gopher_repetition:dup_para_char_frac",
        "gopher_repetition:dup_line_frac",
        "gopher_repetition:dup_line_char_frac",
        "gopher_repetition:top_{n}_gram_char_frac",  # n: a key of top_n_grams
        "gopher_repetition:dup_{n}_gram_char_frac",  # n: a key of dup_n_grams
    )
    signals = (
        Signal(
            "dup_para_frac", 0, 1, thresholds=("dup_para_frac",), label="duplicate paragraphs / paragraphs"
        ),
        Signal(
            "dup_para_char_frac", 0, 1, thresholds=("dup_para_char_frac",), label="chars in dup. paragraphs"
        ),
        Signal("dup_line_frac", 0, 1, thresholds=("dup_line_frac",), label="duplicate lines / lines"),
        Signal("dup_line_char_frac", 0, 1, thresholds=("dup_line_char_frac",), label="chars in dup. lines"),
        Signal(
            "top_2_gram_char_frac", 0, 1, thresholds=("top_n_grams[2]",), label="chars in top word 2-gram"
        ),
        Signal(
            "dup_5_gram_char_frac", 0, 1, thresholds=("dup_n_grams[5]",), label="chars in dup. word 5-grams"
        ),
    )

    def filter(self, doc: Document) -> Rejection | None:
        text = doc.text
        if not text:  # also a null text
            return Rejection(f"{self.name}:empty")
        return self.check(analyze(text))

    def check(self, stats: TextStats) -> Rejection | None:
        cfg: GopherRepetitionConfig = self.config
        n_chars = len(stats.text)
        paras = stats.paragraph_duplicates
        lines = stats.line_duplicates
        ngrams = stats.ngram_signals(tuple(cfg.top_n_grams), tuple(cfg.dup_n_grams))
        self._observe(paras.count / paras.total, paras.chars / n_chars, lines, n_chars, ngrams)
        # Paragraphs first, then lines, then word n-grams: the reference's order (and reasons).
        if cfg.dup_para_frac and paras.count / paras.total > cfg.dup_para_frac:
            return self._reject("dup_para_frac", paras.count / paras.total)
        if cfg.dup_para_char_frac and paras.chars / n_chars > cfg.dup_para_char_frac:
            return self._reject("dup_para_char_frac", paras.chars / n_chars)
        if cfg.dup_line_frac and lines.count / lines.total > cfg.dup_line_frac:
            return self._reject("dup_line_frac", lines.count / lines.total)
        if cfg.dup_line_char_frac and lines.chars / n_chars > cfg.dup_line_char_frac:
            return self._reject("dup_line_char_frac", lines.chars / n_chars)
        for n, max_frac in cfg.top_n_grams.items():
            top = ngrams.top[n]
            if top is not None and top / n_chars > max_frac:
                return self._reject(f"top_{n}_gram_char_frac", top / n_chars)
        for n, max_frac in cfg.dup_n_grams.items():
            repeated = ngrams.dup[n]
            if repeated / n_chars > max_frac:
                return self._reject(f"dup_{n}_gram_char_frac", repeated / n_chars)
        return None

    def _observe(
        self, para_frac: float, para_chars: float, lines: Duplicates, n_chars: int, ngrams: NgramSignals
    ) -> None:
        # Every signal of every judged text, even past the rule that rejects it, so the report's
        # histograms show whole distributions (the text analysis is shared, so this costs little).
        self.observe("dup_para_frac", para_frac)
        self.observe("dup_para_char_frac", para_chars)
        self.observe("dup_line_frac", lines.count / lines.total)
        self.observe("dup_line_char_frac", lines.chars / n_chars)
        top = ngrams.top.get(2)
        if top is not None:
            self.observe("top_2_gram_char_frac", top / n_chars)
        if 5 in ngrams.dup:
            self.observe("dup_5_gram_char_frac", ngrams.dup[5] / n_chars)

    def _reject(self, rule: str, value: float) -> Rejection:
        return Rejection(f"{self.name}:{rule}", value)


# -- quality ---------------------------------------------------------------------------------------

# Gopher's stop words (at least 2 must occur; matched case-sensitively, as in the reference).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


@dataclass
class GopherQualityConfig:
    # Gopher section A.1.1; FineWeb used these values (datatrove's defaults).
    min_doc_words: int | None = 50  # fewest words (tokens that are not only punctuation)
    max_doc_words: int | None = 100_000  # most words
    min_avg_word_length: float | None = 3  # shortest mean word length, in characters
    max_avg_word_length: float | None = 10  # longest mean word length
    max_symbol_word_ratio: float | None = 0.1  # "#" and "..." / "…" per word, each
    max_bullet_lines_ratio: float | None = 0.9  # max fraction of lines starting with a bullet
    max_ellipsis_lines_ratio: float | None = 0.3  # max fraction of lines ending in an ellipsis
    # min fraction of words holding a letter (datatrove calls it max_non_alpha_words_ratio)
    min_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2  # fewest distinct stop words present
    stop_words: list[str] = field(default_factory=lambda: list(GOPHER_STOP_WORDS))  # Gopher's 8 words

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
    reasons = (
        "gopher_quality:word_count",
        "gopher_quality:avg_word_length",
        "gopher_quality:hash_ratio",
        "gopher_quality:ellipsis_ratio",
        "gopher_quality:bullet_lines_frac",
        "gopher_quality:ellipsis_lines_frac",
        "gopher_quality:alpha_words_frac",
        "gopher_quality:stop_words",
    )
    signals = (
        Signal(
            "word_count",
            1,
            1e6,
            bins=60,
            log=True,
            thresholds=("min_doc_words", "max_doc_words"),
            label="words",
        ),
        Signal(
            "avg_word_length",
            0,
            20,
            bins=40,
            thresholds=("min_avg_word_length", "max_avg_word_length"),
            label="mean word length (chars)",
        ),
        Signal("hash_ratio", 0, 0.5, thresholds=("max_symbol_word_ratio",), label='"#" per word'),
        Signal("ellipsis_ratio", 0, 0.5, thresholds=("max_symbol_word_ratio",), label='"..." per word'),
        Signal(
            "bullet_lines_frac", 0, 1, thresholds=("max_bullet_lines_ratio",), label="bullet lines / lines"
        ),
        Signal(
            "ellipsis_lines_frac",
            0,
            1,
            thresholds=("max_ellipsis_lines_ratio",),
            label="ellipsis lines / lines",
        ),
        Signal("alpha_words_frac", 0, 1, thresholds=("min_alpha_words_ratio",), label="words with a letter"),
        Signal(
            "stop_words", 0, 8, bins=8, thresholds=("min_stop_words",), label="distinct stop words present"
        ),
    )

    def __init__(self, config: GopherQualityConfig | None = None) -> None:
        super().__init__(config)
        self._stop_words = frozenset(self.config.stop_words)

    def filter(self, doc: Document) -> Rejection | None:
        return self.check(analyze(doc.text or ""))

    def check(self, stats: TextStats) -> Rejection | None:
        cfg: GopherQualityConfig = self.config
        words = stats.word_profile
        self._observe(stats, words)
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

    def _observe(self, stats: TextStats, words: WordProfile) -> None:
        # Every signal of every judged text (not only up to the rule that rejects it): whole
        # distributions in the report, for a few counts over the shared analysis.
        self.observe("word_count", words.n_content)
        if words.n_content:
            self.observe("avg_word_length", words.content_chars / words.n_content)
        if words.n_words:
            text = stats.text
            self.observe("hash_ratio", text.count("#") / words.n_words)
            self.observe("ellipsis_ratio", (text.count("...") + text.count("…")) / words.n_words)
            self.observe("alpha_words_frac", words.n_alpha / words.n_words)
        lines = stats.line_shapes
        if lines.total:
            self.observe("bullet_lines_frac", lines.bullets / lines.total)
            self.observe("ellipsis_lines_frac", lines.ellipses / lines.total)
        if self.config.min_stop_words:
            self.observe("stop_words", stats.count_present(self._stop_words))
