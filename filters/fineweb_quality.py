"""FineWeb's own line-level quality rules (Penedo et al. 2024, "The FineWeb Datasets", section 3.4).

Reference: datatrove's FineWebQualityFilter (v0.10.1) with its defaults, which FineWeb used.
Definitions kept from it:
- lines are the text cut at "\\n", blank (whitespace-only) lines left out, not stripped;
- a line "ends in punctuation" when its last character is in datatrove's TERMINAL_PUNCTUATION
  (Unicode sentence terminators: ".", "!", "?", "。", ...; not "…", not a quote); trailing spaces
  count, so "end. " does not;
- a short line has at most `short_line_length` characters;
- the duplicated-line character fraction = characters of lines already seen earlier (each repeat
  counted) / characters of the text without its "\\n";
- newlines per word = every "\\n" in the text (blank lines included) / words, words split as
  spaCy's blank English tokenizer does (`filters.words.split_words`).
"""

from __future__ import annotations

from dataclasses import dataclass

from filters.text import TextStats, analyze, find_duplicates
from filters.words import TERMINAL_PUNCTUATION
from pipeline.core.registry import register
from pipeline.core.stage import Document, DocumentFilter, Rejection, Signal


@dataclass
class FineWebQualityConfig:
    line_punct_thr: float = 0.12  # min fraction of lines ending in terminal punctuation
    line_punct_exclude_zero: bool = False  # keep documents with no such line at all
    stop_chars: list[str] | None = None  # line endings that count; None = TERMINAL_PUNCTUATION
    short_line_thr: float = 0.67  # max fraction of short lines
    short_line_length: int = 30  # a line of at most this many characters is short
    char_duplicates_ratio: float = 0.01  # max fraction of characters in repeated lines
    new_line_ratio: float = 0.3  # max newlines per word

    def __post_init__(self) -> None:
        for name in ("line_punct_thr", "short_line_thr", "char_duplicates_ratio"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a fraction between 0 and 1, got {value}")
        if self.short_line_length < 0:
            raise ValueError(f"short_line_length must be >= 0, got {self.short_line_length}")
        if self.stop_chars is not None and not all(self.stop_chars):
            raise ValueError("stop_chars must not contain an empty string")


@register
class FineWebQuality(DocumentFilter):
    """Drops list-like, fragment-heavy or repetitive documents."""

    name = "fineweb_quality"
    Config = FineWebQualityConfig
    reasons = (
        "fineweb_quality:empty",
        "fineweb_quality:line_punct_frac",
        "fineweb_quality:short_line_frac",
        "fineweb_quality:dup_line_char_frac",
        "fineweb_quality:newline_word_ratio",
    )
    signals = (
        Signal("line_punct_frac", 0, 1, thresholds=("line_punct_thr",), label="lines ending in punctuation"),
        Signal("short_line_frac", 0, 1, thresholds=("short_line_thr",), label="short lines / lines"),
        # Mostly 0 (counted below the axis); the 1% threshold needs a log axis to be seen.
        Signal(
            "dup_line_char_frac",
            1e-4,
            1,
            bins=40,
            log=True,
            thresholds=("char_duplicates_ratio",),
            label="chars in duplicated lines",
        ),
        Signal(
            "newline_word_ratio", 0, 1.5, bins=60, thresholds=("new_line_ratio",), label="newlines per word"
        ),
    )

    def __init__(self, config: FineWebQualityConfig | None = None) -> None:
        super().__init__(config)
        stops = self.config.stop_chars
        self._stop_set = TERMINAL_PUNCTUATION if stops is None else frozenset(stops)
        # Single characters allow a set lookup on the last character; longer endings need endswith.
        self._stop_tuple = None if all(len(s) == 1 for s in self._stop_set) else tuple(self._stop_set)

    def filter(self, doc: Document) -> Rejection | None:
        return self.check(analyze(doc.text or ""))

    def check(self, stats: TextStats) -> Rejection | None:
        cfg: FineWebQualityConfig = self.config
        lines = stats.nonblank_lines()
        if not lines:
            return Rejection(f"{self.name}:empty")
        # All four signals first (observed for every judged text), then the rules in the reference's order.
        punct = self._punct_lines(lines) / len(lines)
        limit = cfg.short_line_length
        short = sum(len(line) <= limit for line in lines) / len(lines)
        text = stats.text
        newlines = text.count("\n")
        dup_chars = find_duplicates(lines).chars / (len(text) - newlines)
        n_words = stats.n_words
        per_word = newlines / n_words if n_words else float("inf")  # no words: the reference divides by 0
        self.observe("line_punct_frac", punct)
        self.observe("short_line_frac", short)
        self.observe("dup_line_char_frac", dup_chars)
        self.observe("newline_word_ratio", per_word)
        if punct < cfg.line_punct_thr and not (punct == 0 and cfg.line_punct_exclude_zero):
            return Rejection(f"{self.name}:line_punct_frac", punct)
        if short > cfg.short_line_thr:
            return Rejection(f"{self.name}:short_line_frac", short)
        if dup_chars > cfg.char_duplicates_ratio:
            return Rejection(f"{self.name}:dup_line_char_frac", dup_chars)
        if per_word > cfg.new_line_ratio:
            return Rejection(f"{self.name}:newline_word_ratio", per_word)
        return None

    def _punct_lines(self, lines: list[str]) -> int:
        if self._stop_tuple is not None:
            return sum(line.endswith(self._stop_tuple) for line in lines)
        stops = self._stop_set
        return sum(line[-1] in stops for line in lines)
