"""Text normalisation and word n-grams (filters/ngrams.py): examples, edge cases, and the fast paths
checked against a slow, obvious re-statement of the same rules."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from filters.ngrams import ngram_hashes, ngram_hashes_many, ngram_strings, normalize, word_hashes, words
from tests.helpers.texts import dolma_texts, generated_texts

# -- normalize ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello WORLD", "hello world"),
        ("café Crème brûlée", "cafe creme brulee"),
        ("Ångström naïve Zoë", "angstrom naive zoe"),
        ("Hello, world! (Really?) Yes: it's “quoted” — fine…", "hello world really yes it s quoted fine"),
        ("e-mail/web_site #tag @user", "e mail web site tag user"),
        ("price: $5 + 10% = ©2024", "price 0 0 0"),
        ("In 2023 we sold 1,000,000 units at 3.14 each", "in 0 we sold 0 0 units at 0 each"),
        ("version 10.0.1 and a1b2", "version 0 0 and a0b0"),
        ("  many \t\n spaces\r\n\n here  ", "many spaces here"),
        ("ﬁne ＦＵＬＬ　ｗｉｄｔｈ １２", "fine full width 0"),  # NFKD compatibility folding
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),  # format characters deleted
        ("x² + y³", "x0 y0"),
        ("Привет, МИР! ٣٫١٤ ۱۲", "привет мир 0 0"),  # other scripts: lower-cased, their digits too
        ("İstanbul", "istanbul"),  # the combining dot that lower() adds is removed
        ("ctrl\x00char\x07s", "ctrl char s"),
        ("emoji 😀 and ★ symbols", "emoji and symbols"),
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["", " ", "\n\t ", "!!! ... ???", "— © ★", "\u0301\u200b"])
def test_nothing_left(text: str) -> None:
    assert normalize(text) == ""
    assert words(text) == []


def test_normalize_is_idempotent_and_words_split_it() -> None:
    for text in _random_texts(200, seed=3):
        once = normalize(text)
        assert normalize(once) == once
        assert words(text) == (once.split(" ") if once else [])
        assert "  " not in once and once == once.strip()


def _reference_normalize(text: str) -> str:
    """The module docstring's rules, written the slow, obvious way (one character at a time)."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    text = re.sub(r"\d+(?:[.,\u060c\u066b\u2396\u2397\u2398]\d+)?", "0", text)
    out = []
    for char in text:
        category = unicodedata.category(char)
        blank = category[0] in "PS" or (category == "Cc" and not char.isspace())
        out.append(" " if blank else char)
    return " ".join("".join(out).split())


def _random_texts(count: int, seed: int) -> list[str]:
    """Random strings mixing ASCII letters, digits, punctuation, accents, other scripts, symbols."""
    rng = random.Random(seed)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      .,;:!?'\"-()[]{}$%&*+/<=>@^_`|~\n\t"
        "éèêëÉçÇñÑøØßåÅüÜöÖ“”‘’–—…•©®™€£¥°±×÷½²³ﬁＡ１٣۱१¹\u0301\u0308\u00ad\u200b\x00\x07"
        "абвгдАБВГДαβγΔΣ中文字日本語한국어עבריתالعربية😀★→"
    )
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for _ in range(count)]


def test_fast_paths_match_the_slow_reference() -> None:
    texts = _random_texts(2000, seed=1)
    texts += [t.encode("ascii", "ignore").decode() for t in texts]  # the pure-ASCII fast path
    for text in texts:
        assert normalize(text) == _reference_normalize(text), repr(text)


@pytest.mark.shared_data
def test_fast_paths_match_the_slow_reference_on_real_pages() -> None:
    for text in dolma_texts():
        assert normalize(text) == _reference_normalize(text)


def test_ascii_and_unicode_paths_agree() -> None:
    # The same ASCII text through the ASCII fast path and, with one accented word, the general path.
    for text in _random_texts(500, seed=2):
        ascii_text = text.encode("ascii", "ignore").decode()
        assert normalize("é " + ascii_text) == ("e " + normalize(ascii_text)).strip()


# -- n-gram strings ---------------------------------------------------------------------------------


def test_ngram_strings() -> None:
    w = "a b c d e f g".split()
    assert ngram_strings(w, 5) == ["a b c d e", "b c d e f", "c d e f g"]
    assert ngram_strings(w, 7) == ["a b c d e f g"]
    assert ngram_strings(w, 1) == w
    assert ngram_strings(w[:2], 2) == ["a b"]


def test_short_texts_give_one_shingle_unless_asked_not_to() -> None:
    assert ngram_strings(["a", "b", "c"], 5) == ["a b c"]
    assert ngram_strings(["a"], 5) == ["a"]
    assert ngram_strings(["a", "b", "c"], 5, short=False) == []  # the reference's behaviour
    assert ngram_strings([], 5) == []
    assert ngram_strings([], 5, short=False) == []


def test_duplicates_and_order_are_kept() -> None:
    assert ngram_strings("x y x y x".split(), 2) == ["x y", "y x", "x y", "y x"]


def test_invalid_n() -> None:
    with pytest.raises(ValueError):
        ngram_strings(["a"], 0)
    with pytest.raises(ValueError):
        ngram_hashes(["a"], 0)
    with pytest.raises(ValueError):
        ngram_hashes(["a"], 2, bits=16)


# -- n-gram hashes ----------------------------------------------------------------------------------


def test_ngram_hashes_follow_the_ngram_strings() -> None:
    text = "The cat sat on the mat; the cat sat on the hat. The cat sat on the mat!"
    w = words(text)
    strings = ngram_strings(w, 3)
    hashes = ngram_hashes(w, 3)
    assert hashes.dtype == np.uint64 and len(hashes) == len(strings)
    # equal n-grams <-> equal hashes
    by_string: dict[str, int] = {}
    for s, h in zip(strings, hashes.tolist()):
        assert by_string.setdefault(s, h) == h
    assert len(set(by_string.values())) == len(by_string)
    assert np.array_equal(ngram_hashes(text, 3), hashes)  # a str is normalised first


def test_ngram_hashes_depend_on_word_order_and_boundaries() -> None:
    h = lambda *w: int(ngram_hashes(list(w), len(w))[0])  # noqa: E731
    assert h("a", "b") != h("b", "a")
    assert h("ab", "c") != h("a", "bc")
    assert h("a", "a", "b") != h("a", "b", "b")
    assert h("a") == int(word_hashes(["a"])[0])


def test_short_text_hash_equals_the_same_words_inside_a_longer_text() -> None:
    short = ngram_hashes(["b", "c", "d"], 5)
    assert len(short) == 1
    assert short[0] == ngram_hashes("a b c d e".split(), 3)[1]
    assert len(ngram_hashes(["b", "c"], 5, short=False)) == 0
    assert len(ngram_hashes("", 5)) == 0 and ngram_hashes("", 5).dtype == np.uint64


@pytest.mark.parametrize(
    ("n", "bits", "short"), [(5, 64, True), (3, 32, True), (5, 64, False), (1, 64, True)]
)
def test_many_documents_at_once_equal_one_at_a_time(n: int, bits: int, short: bool) -> None:
    docs: list[str | list[str]] = ["", "one", "two words", *generated_texts(20, seed=8), "a b c d e", "!!!"]
    docs += [["x", "y"], [], words(generated_texts(1, seed=9)[0])]
    together = ngram_hashes_many(docs, n, bits=bits, short=short)
    assert len(together) == len(docs)
    for doc, hashes in zip(docs, together):
        assert hashes.dtype == np.uint64
        assert np.array_equal(hashes, ngram_hashes(doc, n, bits=bits, short=short))
        tokens = words(doc) if isinstance(doc, str) else doc
        assert len(hashes) == len(ngram_strings(tokens, n, short=short))
    assert ngram_hashes_many([], 5) == []


def test_32_bit_hashes() -> None:
    h32 = ngram_hashes("one two three four five six", 2, bits=32)
    h64 = ngram_hashes("one two three four five six", 2)
    assert h32.dtype == np.uint64 and int(h32.max()) < 2**32
    assert np.array_equal(h32, h64 >> np.uint64(32))


def test_no_collisions_among_many_distinct_ngrams() -> None:
    strings: set[str] = set()
    hashes: set[int] = set()
    for text in generated_texts(300, seed=11):
        w = words(text)
        for n in (3, 5, 8):
            for s, h in zip(ngram_strings(w, n, short=False), ngram_hashes(w, n, short=False).tolist()):
                strings.add(s)
                hashes.add(h)
    assert len(strings) > 50_000
    assert len(hashes) == len(strings)


def test_hashes_do_not_depend_on_python_hash_seed() -> None:
    code = "from filters.ngrams import ngram_hashes; print(ngram_hashes('Déjà vu, all over again: 42 times!', 2).tolist())"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=REPO,
        ).stdout
        for seed in ("1", "2", "random")
    }
    assert len(outputs) == 1
    assert outputs.pop().strip() == str(ngram_hashes("Déjà vu, all over again: 42 times!", 2).tolist())


# -- data (also used by tests/test_minhash.py) ------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
