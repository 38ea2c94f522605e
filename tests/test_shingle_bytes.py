"""N-gram hashes over normalised bytes (filters/shingle_bytes.py), the input of the `rensa` MinHash
mode: the same words as `ngrams.words`, hashed as documented, the same in a batch as alone."""

from __future__ import annotations

import random

import numpy as np
import pytest

from filters import shingle_bytes
from filters.ngrams import fmix64, words
from filters.shingle_bytes import ngram_hashes_flat, normalized_bytes, word_hashes_of

MASK = (1 << 64) - 1
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"()-_/\\@#$%&*+=<>[]{}|~^`"
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x00\x07\x85\xa0\u2003\u2028\u3000"
    "éèêëÉçñøßåüö“”‘’–—…•©®™€½²ﬁＡ１٣\u0301\u00ad\u200bабвгαβγ中文字😀★"
)


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 150))) for _ in range(count)]
    return texts + [t.encode("ascii", "ignore").decode() for t in texts]  # the ASCII fast path too


def reference_word_hash(word: str) -> int:
    """The documented hash: fmix64(sum(b_i * P^(len-1-i)) mod 2^64 XOR len * K), in Python ints."""
    value = 0
    for byte in word.encode("utf-8"):
        value = (value * int(shingle_bytes._P) + byte) & MASK
    value ^= (len(word.encode("utf-8")) * int(shingle_bytes._LEN_MUL)) & MASK
    return int(fmix64(np.array([value], dtype=np.uint64))[0])


def test_the_words_are_ngrams_words_hashed_as_documented() -> None:
    for text in random_texts(400, seed=1):
        expected = words(text)
        buffer = np.frombuffer(normalized_bytes(text) + b" ", dtype=np.uint8)
        hashes, _ = word_hashes_of(buffer)
        assert hashes.tolist() == [reference_word_hash(w) for w in expected], repr(text)


@pytest.mark.parametrize(("n", "short"), [(1, True), (3, False), (5, True), (5, False)])
def test_a_batch_equals_one_text_at_a_time(n: int, short: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["", "one", "two words", *random_texts(60, seed=2), "a b c d e f g h", "   "]
    flat, offsets = ngram_hashes_flat(texts, n, short)
    assert offsets.dtype == np.uint64 and len(offsets) == len(texts) + 1 and offsets[-1] == len(flat)
    for i, text in enumerate(texts):
        alone, _ = ngram_hashes_flat([text], n, short)
        assert np.array_equal(flat[offsets[i] : offsets[i + 1]], alone), repr(text)
        count = len(words(text))
        expected = max(count - n + 1, 0) or (1 if short and count else 0)
        assert len(alone) == expected
    monkeypatch.setattr(shingle_bytes, "MAX_BUFFER", 40)  # many small buffers: the same hashes
    again, again_offsets = ngram_hashes_flat(texts, n, short)
    assert np.array_equal(again, flat) and np.array_equal(again_offsets, offsets)


def test_ngram_hashes_depend_on_the_words_and_their_order_only() -> None:
    (a, b, c), _ = ngram_hashes_flat(["Alpha beta, gamma!", "alpha   BETA\ngamma", "gamma beta alpha"], 3)
    assert a == b != c
    short, _ = ngram_hashes_flat(["x y"], 5, short=True)
    inside, _ = ngram_hashes_flat(["x y"], 2)  # the short text's one shingle is its words' 2-gram
    assert np.array_equal(short, inside)
    letters = [chr(ord("a") + i) for i in range(26)]
    distinct = [
        a + b + c + d for a in letters for b in letters for c in letters for d in letters[:2]
    ]  # not digits: all 0
    many, _ = ngram_hashes_flat([" ".join(distinct)], 5)
    assert len(np.unique(many)) == len(many) == len(distinct) - 4 == 35148
