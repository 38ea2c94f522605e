"""Tests of filters/words.py and filters/text.py: word splitting and sentence counting against spaCy's blank English
pipeline (what the reference FineWeb filters use), and the shared text statistics.

Also home of the helpers the other heuristic-filter tests import: `real_texts()` (pages of the
shared data extracted with trafilatura as FineWeb did) and the spaCy reference splitters.
"""

from __future__ import annotations

from collections import Counter

import pytest

from filters.text import analyze, clear_caches, find_duplicates
from filters.words import (
    SENTENCE_END_CHARS,
    SYMBOL_CHARS,
    TERMINAL_PUNCTUATION,
    count_sentences,
    count_words,
    split_chunk,
    split_words,
)
from tests.helpers.texts import (
    agreement,
    real_text_variants,
    real_texts,
    spacy_nlp,
    spacy_sentence_count,
    spacy_words,
)

# -- helpers shared with the other test modules -----------------------------------------------------


# -- word splitting ---------------------------------------------------------------------------------

# (text, spaCy's blank English tokens) for rules the splitter re-implements.
EXAMPLES = [
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    (
        "don't can't won't I'm you're it's",
        ["do", "n't", "ca", "n't", "wo", "n't", "I", "'m", "you", "'re", "it", "'s"],
    ),
    ("dont Im cannot gonna", ["do", "nt", "I", "m", "can", "not", "gon", "na"]),
    ("its well were ill", ["its", "well", "were", "ill"]),
    ("John's dogs' don’t", ["John", "'s", "dogs", "'", "do", "n’t"]),
    ("co-op a-3 3-a 2020–2021 a--b", ["co", "-", "op", "a-3", "3", "-", "a", "2020–2021", "a", "--", "b"]),
    (
        "Mr. Smith, e.g. the U.S. and USA. etc.",
        ["Mr.", "Smith", ",", "e.g.", "the", "U.S.", "and", "USA", ".", "etc", "."],
    ),
    ('(hello). "quoted" [1]', ["(", "hello", ")", ".", '"', "quoted", '"', "[", "1", "]"]),
    ("10km $10. US$5 50%. 5pm", ["10", "km", "$", "10", ".", "US$", "5", "50", "%", ".", "5", "pm"]),
    ("hi... ...hi hi..", ["hi", "...", "...", "hi", "hi", ".."]),
    (
        "https://example.com/a-b?c=d www.example.com x@y.com",
        ["https://example.com/a-b?c=d", "www.example.com", "x@y.com"],
    ),
    (
        "end.Next a/b x=y 1*2 +5 +a C++",
        ["end", ".", "Next", "a", "/", "b", "x", "=", "y", "1", "*", "2", "+5", "+", "a", "C++"],
    ),
    ("(University): Ph.D., (1-8)", ["(", "University", "):", "Ph.D.", ",", "(", "1", "-", "8)"]),
    ("#hashtag @user café. naïve", ["#", "hashtag", "@user", "café", ".", "naïve"]),
    ("line one\n\nline\ttwo \u00a0 three", ["line", "one", "line", "two", "three"]),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_split_words_examples(text: str, expected: list[str]) -> None:
    assert split_words(text) == expected
    assert count_words(text) == len(expected)


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_examples_are_what_spacy_does(text: str, expected: list[str]) -> None:
    assert list(spacy_words(text)) == expected


def test_memoised_chunks_are_shared() -> None:
    clear_caches()
    first, second = split_words("Hello, world"), split_words("Hello, world")
    assert first == second and first[0] is second[0]
    assert split_chunk("world!") == ("world", "!")


@pytest.mark.shared_data
def test_word_splitting_agrees_with_spacy_on_real_pages() -> None:
    texts = real_texts()
    chunks = Counter(chunk for text in texts for chunk in text.split())
    tokenizer = spacy_nlp().tokenizer
    differing = {c: n for c, n in chunks.items() if split_chunk(c) != tuple(t.text for t in tokenizer(c))}
    chunk_agreement = 1 - sum(differing.values()) / sum(chunks.values())
    doc_agreement = agreement([(split_words(t), list(spacy_words(t))) for t in texts])
    print(f"word splitting vs spaCy: {chunk_agreement:.5f} of chunks, {doc_agreement:.4f} of pages identical")
    assert chunk_agreement >= 0.999, sorted(differing, key=differing.get)[-20:]
    assert doc_agreement >= 0.98


# -- sentences --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("One sentence here", 1),
        ("One. Two! Three? Four", 4),
        ("Mr. Smith went to Washington. He stayed.", 2),  # "Mr." keeps its period
        ("Wait... what", 1),  # "..." is not a sentence end for the sentencizer
        ('He said "stop." Then left.', 2),  # closing quote stays with the first sentence
        ("", 1),  # like datatrove's split_into_sentences
        ("end.Next", 2),
    ],
)
def test_count_sentences(line: str, expected: int) -> None:
    assert count_sentences(line) == expected
    assert spacy_sentence_count(line) == expected


@pytest.mark.shared_data
def test_sentence_counts_agree_with_spacy_on_real_lines() -> None:
    lines = [line.strip() for text in real_texts() for line in text.splitlines() if line.strip()]
    rate = agreement([(count_sentences(line), spacy_sentence_count(line)) for line in lines])
    print(f"sentence counts vs spaCy sentencizer: {rate:.5f} of {len(lines)} lines")
    assert rate >= 0.999


# -- character sets ---------------------------------------------------------------------------------


def test_character_sets() -> None:
    assert {".", "!", "?", "。", "！", "？"} <= TERMINAL_PUNCTUATION
    assert not {"…", '"', "'", ",", ":", ";"} & TERMINAL_PUNCTUATION
    assert SENTENCE_END_CHARS <= TERMINAL_PUNCTUATION and {".", "!", "?"} <= SENTENCE_END_CHARS
    # datatrove's PUNCTUATION_SET quirks: "’" is a symbol, "‘" and "•" are not; no letter is.
    assert {"#", "-", "’", "…", "\x00"} <= SYMBOL_CHARS
    assert not {"‘", "•", "\n", "\t"} & SYMBOL_CHARS
    assert not any(ch.isalpha() for ch in SYMBOL_CHARS)


# -- the shared analysis ----------------------------------------------------------------------------


def test_analyze_is_cached_by_text() -> None:
    text = "Some text here.\nAnd more."
    assert analyze(text) is analyze("".join(["Some text here.\n", "And more."]))
    assert analyze(text) is not analyze(text + " ")


def test_line_and_paragraph_duplicates() -> None:
    stats = analyze("\nA\n\nB\nA\n\n\nB\nC\n")
    # Lines cut at runs of "\n", not stripped: "", A, B, A, B, C, "" -> A, B, "" repeat.
    assert stats.line_duplicates.total == 7
    assert (stats.line_duplicates.count, stats.line_duplicates.chars) == (3, 2)
    # Paragraphs of the stripped text cut at 2+ newlines: "A", "B\nA", "B\nC".
    assert (stats.paragraph_duplicates.total, stats.paragraph_duplicates.count) == (3, 0)
    assert find_duplicates(["x", "yy", "yy", "yy"]).chars == 4
    assert stats.nonblank_lines() == ["A", "B", "A", "B", "C"]
    shapes = analyze("- a\n  • b...\nc …  \r\n-").line_shapes
    assert (shapes.total, shapes.bullets, shapes.ellipses) == (4, 3, 2)


def _reference_top(words: list[str], n: int) -> int | None:
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def _reference_dup(words: list[str], n: int) -> int:
    seen: set[str] = set()
    repeated = idx = 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx : idx + n])
        if gram in seen:
            repeated += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


@pytest.mark.parametrize(
    "text",
    [
        "a b c a b c a b c d e f a b c",
        "the cat sat on the mat and the cat sat on the hat and the cat sat",
        "x y x y x y x y x y x y x y",
        "one two three four five six seven eight nine ten eleven one two three four five six seven",
        "tie breaks go first: long word short x long word short x",
        "a",
        "",
    ],
)
def test_ngram_statistics_match_the_reference_definitions(text: str) -> None:
    stats = analyze(text)
    words = split_words(text)
    for n in range(1, 11):
        assert stats.top_ngram_chars(n) == _reference_top(words, n), n
        assert stats.dup_ngram_chars(n) == _reference_dup(words, n), n


@pytest.mark.shared_data
def test_ngram_statistics_on_real_pages() -> None:
    for text in real_text_variants()[::7]:
        words = split_words(text)
        signals = analyze(text).ngram_signals((2, 3, 4), (5, 6, 7, 8, 9, 10))
        for n in (2, 3, 4):
            assert signals.top[n] == _reference_top(words, n)
        for n in (5, 6, 7, 8, 9, 10):
            assert signals.dup[n] == _reference_dup(words, n)


def test_word_profile() -> None:
    profile = analyze("The cat, the 2 dogs & 3... • x").word_profile
    # tokens: The cat , the 2 dogs & 3 ... • x  (11); "," "&" "..." are symbols; "•" is not.
    assert profile.n_words == 11
    assert profile.n_content == 8
    assert profile.content_chars == len("Thecatthe2dogs3•x")
    assert profile.n_alpha == 5  # The cat the dogs x
    assert analyze("the be the").count_present(frozenset({"the", "be", "to"})) == 2
