"""Word n-gram hashes of many texts at once, computed over their normalised bytes with numpy.

The fast MinHash mode (`hash: rensa`, filters/minhash.py) needs each document's n-gram hashes at
C speed; making one Python string per word (`str.split`) and one hash call per word costs more
than everything else together (~28 us and ~35 us for a 1.2 KB page, one core). Here a batch of
texts is normalised as `filters.ngrams` does (ASCII texts with two 256-byte tables and the number
regex on bytes, keeping whitespace, a separator like the space; other texts through
`ngrams.normalize_unicode_unsplit`), joined into one byte buffer, and:
- words are the runs of non-whitespace bytes (the words `str.split()` would give);
- a word's hash is fmix64 of a polynomial hash of its bytes, sum(b_i * P^(len-1-i)) mod 2^64, plus
  its length: one `np.add.reduceat` over the buffer, no Python per word. Polynomial hashing modulo
  2^64 has structured collisions only for long crafted strings (thousands of bytes, Thue-Morse
  style); for natural words two different ones collide with probability ~2^-64;
- an n-gram's hash is fmix64 of the polynomial acc = acc * K + next over its word hashes (one mix
  at the end, where `ngrams.ngram_hashes` mixes at every step), windows that straddle two documents
  dropped; a text with fewer than n words gives one shingle of all its
  words when `short`, none otherwise.
The words are the same as `ngrams.words(text)` (tested); the hash values differ from
`ngrams.ngram_hashes` (another word hash), so this path serves only the `rensa` mode.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np

from filters.ngrams import _ascii_table, _chain, fmix64, normalize_unicode_unsplit

_P = np.uint64(0x100000001B3)  # the FNV-64 prime: odd, so the byte polynomial is a bijection per length
_LEN_MUL = np.uint64(0x9E3779B97F4A7C15)
# ngrams._ZERO_NUMBER on ASCII bytes: a run of zeros with at most one decimal part
_ZERO_NUMBER_BYTES = re.compile(rb"00*(?:[.,]0+)?")
_Q = np.uint64(pow(int(_P), -1, 1 << 64))  # P's inverse modulo 2^64
_tables: dict[str, np.ndarray] = {"p": np.ones(1, np.uint64), "q": np.ones(1, np.uint64)}
MAX_BUFFER = 4 << 20  # bytes hashed at once (bounds the power tables: 8 bytes x 2 per buffer byte)


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """(P^i, Q^i) for i < length, modulo 2^64 (kept and grown between calls)."""
    if len(_tables["p"]) < length:
        size = max(length, 2 * len(_tables["p"]))
        for name, base in (("p", _P), ("q", _Q)):
            table = np.full(size, base, dtype=np.uint64)
            table[0] = 1
            _tables[name] = np.cumprod(table, dtype=np.uint64)  # wraps modulo 2^64
    return _tables["p"][:length], _tables["q"][:length]


@cache
def _byte_tables() -> tuple[bytes, bytes]:
    """ASCII normalisation as two 256-byte tables: (lower case and digits to 0, then punctuation and
    non-space controls to space): what `ngrams.normalize_ascii_unsplit` does, on bytes (3x faster)."""
    first = bytearray(range(256))
    for upper in range(ord("A"), ord("Z") + 1):
        first[upper] = upper + 32
    for digit in b"123456789":
        first[digit] = ord("0")
    second = bytearray(range(256))
    for code, replacement in _ascii_table().items():
        second[code] = ord(replacement)  # ASCII replacements are all one space
    return bytes(first), bytes(second)


def normalized_bytes(text: str) -> bytes:
    """The normalised text as UTF-8 bytes whose whitespace-separated runs are its words."""
    if text.isascii():
        lower_digits, blanks = _byte_tables()
        data = text.encode("ascii").translate(lower_digits)
        if b"0" in data:
            data = _ZERO_NUMBER_BYTES.sub(b"0", data)
        return data.translate(blanks)
    return normalize_unicode_unsplit(text).encode("utf-8", "surrogatepass")


def word_hashes_of(buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word of the byte buffer, start offset of each word), in order.

    sum(b_i * P^(e-1-i)) over a word [s, e) is P^(e-1) * (C[e] - C[s]) with C the running sum of
    b_i * Q^i (Q = 1/P modulo 2^64): three passes over the bytes, the rest per word.
    """
    inside = buffer > 32  # normalised text keeps no byte <= 32 but whitespace (controls became spaces)
    edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    if not len(starts):
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    ends = np.flatnonzero(edges == -1)
    p_powers, q_powers = _powers(len(buffer))
    running = np.empty(len(buffer) + 1, dtype=np.uint64)
    running[0] = 0
    np.cumsum(buffer * q_powers, out=running[1:])  # uint8 x uint64 -> uint64, wrapping
    polynomial = p_powers[ends - 1] * (running[ends] - running[starts])
    return fmix64(polynomial ^ ((ends - starts).astype(np.uint64) * _LEN_MUL)), starts


def ngram_hashes_flat(texts: Sequence[str], n: int, short: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Every document's n-gram hashes, flat, and row offsets (len(texts) + 1 of them, uint64)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    hashes, doc_of_word = _word_hashes_of_texts(texts)
    counts = np.bincount(doc_of_word, minlength=len(texts)).astype(np.int64)
    windows = np.maximum(counts - n + 1, 0)
    pieces = [_chain_windows(hashes, n, doc_of_word)] if len(hashes) >= n else [np.empty(0, np.uint64)]
    if short:  # one shingle of all the words of a text shorter than n words
        for doc in np.flatnonzero((counts > 0) & (counts < n)):
            first = int(np.searchsorted(doc_of_word, doc))
            pieces.append(_chain_windows(hashes[first : first + counts[doc]], int(counts[doc]), None))
            windows[doc] = 1
    flat = np.concatenate(pieces)
    if len(pieces) > 1:  # put each short text's shingle in its document's place
        flat = _in_document_order(flat, counts, n, windows)
    offsets = np.concatenate(([0], np.cumsum(windows))).astype(np.uint64)
    return flat, offsets


def _word_hashes_of_texts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word of every text, the text it is in), hashing at most MAX_BUFFER bytes at a
    time (a longer text alone), so the power tables stay bounded."""
    hashes, owners = [], []
    encoded = [normalized_bytes(t) for t in texts]
    start = 0
    while start < len(encoded):
        end, size = start, 0
        while end < len(encoded) and (end == start or size + len(encoded[end]) + 1 <= MAX_BUFFER):
            size += len(encoded[end]) + 1
            end += 1
        chunk = encoded[start:end]
        doc_starts = np.cumsum([0] + [len(e) + 1 for e in chunk])  # +1: a space between documents
        chunk_hashes, word_starts = word_hashes_of(np.frombuffer(b" ".join(chunk) + b" ", dtype=np.uint8))
        hashes.append(chunk_hashes)
        owners.append(np.searchsorted(doc_starts, word_starts, side="right") - 1 + start)
        start = end
    if not hashes:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    return np.concatenate(hashes), np.concatenate(owners)


def _chain_windows(hashes: np.ndarray, n: int, doc_of_word: np.ndarray | None) -> np.ndarray:
    """fmix64 of acc = acc * K + next over each window of n word hashes; with `doc_of_word`, only the
    windows inside one document are kept. The polynomial is a bijection in each word's hash (odd
    K), so two n-grams that differ in a word differ before the final mix."""
    count = len(hashes) - n + 1
    acc = _chain(hashes, n, mix_every_step=False)
    if doc_of_word is None:
        return acc
    return acc[doc_of_word[:count] == doc_of_word[n - 1 :]]


def _in_document_order(flat: np.ndarray, counts: np.ndarray, n: int, windows: np.ndarray) -> np.ndarray:
    """Long documents' windows come first in `flat`, then one shingle per short one: interleave."""
    long_windows = np.maximum(counts - n + 1, 0)
    n_long = int(long_windows.sum())
    doc_offsets = np.concatenate(([0], np.cumsum(windows)))
    long_offsets = np.concatenate(([0], np.cumsum(long_windows)))
    owner = np.repeat(np.arange(len(counts)), long_windows)
    within = np.arange(n_long) - long_offsets[owner]
    out = np.empty(int(windows.sum()), dtype=np.uint64)
    out[doc_offsets[owner] + within] = flat[:n_long]
    out[doc_offsets[:-1][(counts > 0) & (counts < n)]] = flat[n_long:]
    return out
