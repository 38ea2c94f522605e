"""Text normalisation and word n-grams: the one implementation shared by MinHash dedup and decontamination.

Normalisation (`normalize`) follows the reference FineWeb normaliser, datatrove's `simplify_text`
(`datatrove/utils/text.py`, release 0.10.1, default `TextNormConfig`), so that trivially different
copies of a text (case, accents, punctuation, numbers, spacing) give the same words:

1. Unicode NFKD, so accented letters split into base letter + combining mark and compatibility forms
   fold to plain ones ("ﬁ" -> "fi", full-width "Ａ１" -> "A1", "²" -> "2");
2. lower case (after NFKD, so folded forms such as "㎒" -> "MHz" are lowered too);
3. combining marks (Mn: "café" -> "cafe") and format characters (Cf: soft hyphen, zero-width
   space) are deleted;
4. every number becomes one "0": a run of digits with at most one decimal part (the reference's
   `\\p{Nd}+([.,،٫⎖⎗⎘]\\p{Nd}+)?`): "2023" -> "0", "3.14" -> "0", "1,000,000" -> "0 0";
5. punctuation and symbols (categories P*, S*) and control characters become spaces ("don't" ->
   "don t", "e-mail" -> "e mail", as the reference does);
6. whitespace runs collapse to one space; ends stripped.

The result is stable: normalising normalised text changes nothing.

Differences from the reference, on purpose: it decomposes with NFD (no compatibility folding); it
removes marks after numbers (so "1<mark>2" is two numbers there, one here, and a second pass can
change its output); and it blanks only its own list of ~70 punctuation characters, keeping other
punctuation and symbols ("•", "‘", "©", "€", emoji) inside or between words, where we blank every
P*/S* character, which only merges more near-copies. The reference then splits words with spaCy's
blank tokenizer for English; on normalised text that is a whitespace split apart from rare special
cases ("i m" vs "im", "0 gb" vs "0gb"), and `words` splits on spaces. (Older datatrove releases
deleted punctuation instead of blanking it and turned numbers into "0" after that; 0.10.1 is the one
followed.) Measured on 233 real pages: identical word lists for 160, and 99% of pages have a MinHash
signature agreement >= 0.72 with the reference's.

N-grams (`ngram_strings`, `ngram_hashes`): contiguous word n-grams, joined by one space. A text with
fewer than n words (but at least one) gives ONE shingle of all its words, so short texts can still
match exactly. The reference (datatrove's nltk-style `ngrams`) gives NO shingle then, and such a
document is never deduplicated; pass `short=False` for that behaviour. No words gives no shingles.

`ngram_hashes` is the fast path for set lookups (decontamination: 1M+ benchmark n-gram hashes held in
a set, every document's n-grams looked up): one xxh64 per word, then the n words are combined with a
vectorised chain over numpy arrays (see `_chain`), so per-n-gram Python work is zero. Collision
bound: the word hashes are 64-bit xxh64 values and each chain step is a bijection in each of its two
inputs, so two different n-grams collide with probability about 2^-64 (treating xxh64 as random).
Looking up m document n-grams in a set of S benchmark n-grams gives m*S*2^-64 expected false hits:
1e9 documents x 1,000 n-grams x 1e6 benchmark n-grams ~ 0.05 false hits over the whole corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

import numpy as np
import xxhash

# Seed of the per-word xxh64 and the chain multiplier: fixed constants, never Python's hash(), so
# hashes are identical across processes, machines and PYTHONHASHSEED values.
WORD_HASH_SEED = 0x5EED0FC02A7E
_CHAIN_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd (golden-ratio constant): multiplication is a bijection
# MurmurHash3's 64-bit finaliser (fmix64), a fixed bijection that spreads every input bit.
_FMIX_SHIFT = np.uint64(33)
_FMIX_M1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_M2 = np.uint64(0xC4CEB9FE1A85EC53)

# After every digit became "0": a number is a run of zeros with at most one decimal part. Written
# with a literal leading "0" so the regex engine scans for it like str.find (~10x faster than \\d+).
_ZERO_NUMBER = re.compile("00*(?:[.,\u060c\u066b\u2396\u2397\u2398]0+)?")
_ASCII_DIGITS = str.maketrans("123456789", "000000000")
# Planes 0-3 and 14 hold every assigned P*, S*, Mn and Cf character (planes 4-13 are unassigned and
# 15-16 are private use), so the table scans only those: ~0.1 s once, instead of 0.3 s.
_SCANNED_PLANES = (range(0, 0x40000), range(0xE0000, 0xE1000))


@cache
def _replacements() -> dict[str, str]:
    """Character -> replacement: P*, S* and non-space controls -> " "; Mn and Cf -> "".

    Built on first use, not at import, so importing this module stays cheap.
    """
    table: dict[str, str] = {}
    for plane in _SCANNED_PLANES:
        for code in plane:
            char = chr(code)
            category = unicodedata.category(char)
            if category[0] in "PS" or (category == "Cc" and not char.isspace()):
                table[char] = " "
            elif category in ("Mn", "Cf"):
                table[char] = ""
    return table


@cache
def _ascii_table() -> dict[int, str]:
    """The ASCII part of `_replacements` as a str.translate table (CPython's fast ASCII path)."""
    return {ord(c): r for c, r in _replacements().items() if c.isascii()}


def _tokens(text: str) -> list[str]:
    """The normalised words of a text (steps 1-6 of the module docstring).

    `str.translate` is fast only on pure-ASCII strings (CPython caches the lookups); on other text it
    costs ~100 ns a character. So non-ASCII text instead gets one `str.replace` per DISTINCT character
    that changes (a few dozen, each a fast scan), found through `set(text)`.
    """
    if text.isascii():  # O(1) flag check; NFKD is the identity on ASCII
        return normalize_ascii_unsplit(text).split()
    return normalize_unicode_unsplit(text).split()


def normalize_unicode_unsplit(text: str) -> str:
    """A text normalised but not yet split, its whitespace all ASCII: `.split()` gives its words."""
    text = unicodedata.normalize("NFKD", text).lower()
    chars = set(text)
    table = _replacements()
    changed = [(char, table[char]) for char in chars if char in table]
    for char, replacement in changed:  # deletions first, so "1\u200b2" is one number, as on a re-run
        if not replacement:
            text = text.replace(char, "")
    digits = [c for c in chars if c.isdecimal() and c != "0"]  # isdecimal() is category Nd, as \\d
    for digit in digits:
        text = text.replace(digit, "0")
    if digits or "0" in chars:
        text = _ZERO_NUMBER.sub("0", text)
    for char, replacement in changed:
        if replacement:
            text = text.replace(char, replacement)
    for char in chars:  # whitespace beyond ASCII (U+2028, U+0085...) as a space: splits alike
        if not char.isascii() and char.isspace():
            text = text.replace(char, " ")
    return text


def normalize_ascii_unsplit(text: str) -> str:
    """An ASCII text normalised but not yet split: `.split()` gives its words (whitespace kept as is)."""
    text = text.lower().translate(_ASCII_DIGITS)
    if "0" in text:
        text = _ZERO_NUMBER.sub("0", text)
    return text.translate(_ascii_table())


def normalize(text: str) -> str:
    """Lower-cased, accent-free, punctuation-free text with numbers as "0" and single spaces."""
    return " ".join(_tokens(text))


def words(text: str) -> list[str]:
    """The words of the normalised text (what `normalize(text).split()` gives); [] when none."""
    return _tokens(text)


def ngram_strings(words: Sequence[str], n: int, short: bool = True) -> list[str]:
    """Space-joined word n-grams, in order, duplicates kept.

    With 0 < len(words) < n: one shingle of all the words when `short` (our default), none when not
    (the reference's behaviour).
    """
    _check_n(n)
    if len(words) < n:
        return [" ".join(words)] if words and short else []
    if n == 1:
        return list(words)
    return list(map(" ".join, zip(*(words[i:] for i in range(n)))))


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """xxh64 (seed WORD_HASH_SEED) of each word's UTF-8 bytes, as uint64."""
    h = xxhash.xxh64_intdigest
    seed = WORD_HASH_SEED
    return np.fromiter((h(w.encode(), seed) for w in words), dtype=np.uint64, count=len(words))


def ngram_hashes(
    text_or_words: str | Sequence[str], n: int, bits: int = 64, short: bool = True
) -> np.ndarray:
    """64-bit (or 32-bit) hashes of the word n-grams, uint64, one per n-gram in order.

    A str is normalised and split with `words` first; a sequence is taken as the words already.
    The hash of a shingle depends only on its words, so a short text's single shingle hashes like the
    same words found inside a longer text.
    """
    return ngram_hashes_many([text_or_words], n, bits, short)[0]


def ngram_hashes_many(
    texts_or_word_lists: Sequence[str | Sequence[str]], n: int, bits: int = 64, short: bool = True
) -> list[np.ndarray]:
    """`ngram_hashes` of many documents at once: one uint64 array per document, in order.

    Faster than one call per document: the words of all documents are hashed in one pass and the
    n-gram chain runs once over their concatenation (windows that straddle two documents are
    computed and dropped), so numpy's per-call overhead is paid once per batch, not per document.
    """
    _check_n(n)
    if bits not in (32, 64):
        raise ValueError(f"bits must be 32 or 64, got {bits}")
    token_lists = [words(t) if isinstance(t, str) else t for t in texts_or_word_lists]
    counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    starts = np.cumsum(counts) - counts
    hashes = word_hashes([w for tokens in token_lists for w in tokens])
    windows = _chain(hashes, n) if len(hashes) >= n else np.empty(0, dtype=np.uint64)
    out = []
    for start, count in zip(starts.tolist(), counts.tolist()):
        if count >= n:
            out.append(windows[start : start + count - n + 1])
        elif count and short:  # one shingle of all the words
            out.append(_chain(hashes[start : start + count], count))
        else:
            out.append(np.empty(0, dtype=np.uint64))
    if bits == 32:  # the high half: the best-mixed bits of the last multiply in fmix64
        out = [h >> np.uint64(32) for h in out]
    return out


def _chain(hashes: np.ndarray, n: int, mix_every_step: bool = True) -> np.ndarray:
    """Combine each window of n word hashes: acc = fmix64(acc * K + next), vectorised over windows.

    Every step is a bijection in `acc` (odd K, then fmix64) and in `next` (+, then fmix64), so two
    windows that first differ at word i already differ after step i; a later merge needs a 64-bit
    coincidence. A 1-gram is its word hash (xxh64 is already well mixed). Without
    `mix_every_step`, acc = acc * K + next throughout and one fmix64 at the end: still a bijection
    in each word's hash, at less than half the cost (filters/shingle_bytes.py).
    """
    count = len(hashes) - n + 1
    acc = hashes[:count].copy()
    for i in range(1, n):
        acc *= _CHAIN_MUL
        acc += hashes[i : i + count]
        if mix_every_step:
            fmix64(acc)
    return acc if mix_every_step else fmix64(acc)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser applied in place to a uint64 array (wrapping arithmetic)."""
    values ^= values >> _FMIX_SHIFT
    values *= _FMIX_M1
    values ^= values >> _FMIX_SHIFT
    values *= _FMIX_M2
    values ^= values >> _FMIX_SHIFT
    return values


def _check_n(n: int) -> None:
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
