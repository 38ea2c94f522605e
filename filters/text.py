"""One shared analysis of a document's text for the heuristic filters (Gopher, C4, FineWeb).

The reference FineWeb (datatrove's filters) re-splits every document into words with spaCy's blank
English tokenizer in each filter (and C4 runs spaCy's sentencizer once per line): that is most of
its cost. Here `analyze(text)` returns a `TextStats` whose pieces (words, lines, paragraphs,
n-gram statistics) are computed lazily, once, and shared by every stage through a small LRU cache
keyed by the text. C4 rewrites the text, so the stage after it analyses the new text: that is
intended. Words and sentences come from `filters.words` (spaCy's rules, re-implemented).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, compress, count, islice
from operator import eq, ne

from filters.words import SYMBOL_STRIP, clear_word_caches, count_words, fill_memo, split_words

# ------------------------------------------------------------------------------------------------
# The shared analysis.

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAKS = re.compile(r"\n+")


@dataclass(frozen=True)
class Duplicates:
    """Repeated elements of a sequence: an element counts once it has been seen before."""

    total: int  # number of elements
    count: int  # elements seen before
    chars: int  # characters of the elements seen before


def find_duplicates(items: Iterable[str]) -> Duplicates:
    seen: set[str] = set()
    total = count = chars = 0
    for item in items:
        total += 1
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return Duplicates(total, count, chars)


@dataclass(frozen=True)
class LineShapes:
    total: int
    bullets: int  # starting with "•" or "-" after leading spaces
    ellipses: int  # ending with "..." or "…" before trailing spaces


@dataclass(frozen=True)
class WordProfile:
    """Counts over the words that Gopher quality's rules need."""

    n_words: int  # all tokens
    n_content: int  # tokens with a character that is not punctuation (datatrove's non-symbol words)
    content_chars: int  # characters in those
    n_alpha: int  # tokens with an alphabetic character


_LOW32 = (1 << 32) - 1
# word -> has_alpha + (is_content << 32) + (content_length << 64), see TextStats.word_profile
_WORD_PROFILES: dict[str, int] = {}


def _word_profile(word: str) -> int:
    if word.isalpha():  # no letter is a symbol character
        return 1 + (1 << 32) + (len(word) << 64)
    has_alpha = any(ch.isalpha() for ch in word)
    if not word.strip(SYMBOL_STRIP):  # only punctuation: not a word for Gopher's counts
        return int(has_alpha)
    return int(has_alpha) + (1 << 32) + (len(word) << 64)


def _known_word_profiles(words: list[str]) -> dict[str, int]:
    return fill_memo(_WORD_PROFILES, words, _word_profile)


class TextStats:
    """Lazily computed, memoised views of one text. Get one with `analyze(text)`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._ngram_signals: dict[tuple[tuple[int, ...], tuple[int, ...]], NgramSignals] = {}
        self._present: dict[frozenset[str], int] = {}

    # -- lines and paragraphs ----------------------------------------------------------------------
    @cached_property
    def paragraph_duplicates(self) -> Duplicates:
        """Paragraphs = the stripped text cut at runs of 2+ newlines (Gopher repetition)."""
        return find_duplicates(_PARAGRAPH_BREAK.split(self.text.strip()))

    @cached_property
    def line_duplicates(self) -> Duplicates:
        """Lines = the text cut at runs of newlines, not stripped (Gopher repetition)."""
        return find_duplicates(_LINE_BREAKS.split(self.text))

    @cached_property
    def line_shapes(self) -> LineShapes:
        """Lines of `str.splitlines()` starting with a bullet or ending with an ellipsis (Gopher
        quality); counts only, so cached analyses stay small."""
        total = bullets = ellipses = 0
        for line in self.text.splitlines():
            total += 1
            bullets += line.lstrip().startswith(("•", "-"))
            ellipses += line.rstrip().endswith(("...", "…"))
        return LineShapes(total, bullets, ellipses)

    def nonblank_lines(self) -> list[str]:
        """Lines cut at "\n" only, blank ones dropped, not stripped (FineWeb quality; not cached)."""
        return [line for line in self.text.split("\n") if line and not line.isspace()]

    # -- words -------------------------------------------------------------------------------------
    @cached_property
    def words(self) -> list[str]:
        return split_words(self.text)

    @cached_property
    def n_words(self) -> int:
        if "words" in self.__dict__:
            return len(self.words)
        return count_words(self.text)

    @cached_property
    def word_profile(self) -> WordProfile:
        words = self.words
        # Each word's contribution, packed in one int so a single C-level sum adds all three counts.
        packed = sum(map(_known_word_profiles(words).__getitem__, words))
        return WordProfile(
            n_words=len(words),
            n_content=(packed >> 32) & _LOW32,
            content_chars=packed >> 64,
            n_alpha=packed & _LOW32,
        )

    def count_present(self, vocabulary: frozenset[str]) -> int:
        """How many words of `vocabulary` occur in the text (case-sensitive)."""
        found = self._present.get(vocabulary)
        if found is None:
            found = self._present[vocabulary] = len(vocabulary.intersection(self.words))
        return found

    # -- word n-grams (Gopher repetition) ----------------------------------------------------------
    def ngram_signals(self, top_ns: Sequence[int], dup_ns: Sequence[int]) -> NgramSignals:
        """Gopher's n-gram statistics for these sizes, computed together (they share work) and
        kept; the intermediate n-gram tables are not kept, to keep cached analyses small."""
        key = (tuple(top_ns), tuple(dup_ns))
        found = self._ngram_signals.get(key)
        if found is None:
            scan = _NgramScan(self.words)
            found = NgramSignals(
                top={n: scan.top_chars(n) for n in key[0]}, dup={n: scan.dup_chars(n) for n in key[1]}
            )
            self._ngram_signals[key] = found
        return found

    def top_ngram_chars(self, n: int) -> int | None:
        return self.ngram_signals((n,), ()).top[n]

    def dup_ngram_chars(self, n: int) -> int:
        return self.ngram_signals((), (n,)).dup[n]


@dataclass(frozen=True)
class NgramSignals:
    # n -> characters covered by the most frequent word n-gram (None: the text has no n-gram)
    top: dict[int, int | None]
    # n -> characters in repeated word n-grams
    dup: dict[int, int]


@dataclass
class _Repeats:
    positions: list[int]  # start of every n-gram occurring more than once, ascending
    ids: list[int]  # the n-gram at each of those positions, as the position where it first occurs


class _NgramScan:
    """Word n-gram repetition, following datatrove's gopher_repetition_filter helpers."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self._memo: dict[int, _Repeats] = {}
        self._offsets: list[int] | None = None

    def offsets(self) -> list[int]:
        """offsets[i] = characters in words[:i] (so a gram's joined length is a difference)."""
        if self._offsets is None:
            self._offsets = [0, *accumulate(map(len, self.words))]
        return self._offsets

    def repeats(self, n: int) -> _Repeats:
        """The positions whose word n-gram occurs more than once, each with an id of its gram
        (the gram's first position). A repeated n-gram at p is the pair of repeated (n-1)-grams
        at p and p + 1, so each size only pairs up the previous size's positions, and as ints:
        on prose few positions are left beyond n = 3. All loops run in C (map/compress/zip)."""
        found = self._memo.get(n)
        if found is not None:
            return found
        positions: Sequence[int]
        if n == 1:
            positions = range(len(self.words))
            first: dict[Hashable, int] = {}
            ids = list(map(first.setdefault, self.words, count()))
        else:
            previous = self.repeats(n - 1)
            pos, prev_ids = previous.positions, previous.ids
            follows = list(map(eq, map((1).__add__, pos), islice(pos, 1, None)))  # p + 1 is next
            positions = list(compress(pos, follows))
            pairs = zip(compress(prev_ids, follows), compress(islice(prev_ids, 1, None), follows))
            first = {}
            ids = list(map(first.setdefault, pairs, positions))
        seen_again = set(compress(ids, map(ne, ids, positions)))  # ids found away from their first
        if seen_again:
            repeated = list(map(seen_again.__contains__, ids))
            found = _Repeats(list(compress(positions, repeated)), list(compress(ids, repeated)))
        else:
            found = _Repeats([], [])
        self._memo[n] = found
        return found

    def top_chars(self, n: int) -> int | None:
        """Characters covered by the most frequent word n-gram: len(" ".join(gram)) * count, the
        first-seen gram winning ties (datatrove's find_top_duplicate). None when there is none."""
        if len(self.words) < n:
            return None
        reps = self.repeats(n)
        if not reps.positions:  # every gram occurs once: the first one wins
            start, count_ = 0, 1
        else:
            counts = Counter(reps.ids)
            count_ = max(counts.values())
            start = min(gram for gram, c in counts.items() if c == count_)  # id = first position
        offsets = self.offsets()
        return (offsets[start + n] - offsets[start] + n - 1) * count_

    def dup_chars(self, n: int) -> int:
        """Characters in repeated word n-grams, scanning left to right and jumping over a repeat
        (datatrove's find_all_duplicate; a gram's length is that of its words joined without
        spaces). Only positions of repeated grams can count, so only they are visited. Grams are
        compared as word tuples rather than joined strings: "ab c" and "a bc" differ here, a
        negligible difference."""
        reps = self.repeats(n)
        if not reps.positions:
            return 0
        offsets = self.offsets()
        seen: set[int] = set()
        repeated = 0
        resume = 0  # the reference's scan index: positions before it were jumped over
        for i, gram in zip(reps.positions, reps.ids):
            if i < resume:
                continue
            if gram in seen:
                repeated += offsets[i + n] - offsets[i]
                resume = i + n
            else:
                seen.add(gram)
        return repeated


# Sized to hold a batch: a stage analyses a whole batch before the next stage asks again, so batches
# of up to this many rows share their analyses between stages (bigger ones still get the same
# decisions, only more slowly). An entry keeps the text, its word list (the word strings themselves
# are shared with the chunk memo) and a few counts: some 10 KB for a 3 KB page.
ANALYSIS_CACHE_SIZE = 2048


@lru_cache(maxsize=ANALYSIS_CACHE_SIZE)
def analyze(text: str) -> TextStats:
    """The shared analysis of `text` (cached by the text: equal texts share one analysis)."""
    return TextStats(text)


def clear_caches() -> None:
    """Forget every memoised analysis (benchmarks use it to time cold work)."""
    analyze.cache_clear()
    clear_word_caches()
    _WORD_PROFILES.clear()
