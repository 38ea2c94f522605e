"""The one text normalisation of the quality classifier, shared by training and scoring.

`preprocess(texts)` is what `curate classifier train`/`bootstrap` write into fastText's training file
and what the `quality_classifier` stage and `curate classifier score` feed to `predict`, so a model
never sees text prepared differently from what it was trained on. Steps, in order:

1. truncate to the first `MAX_CHARS` (100,000) characters (code points) of the raw text: bounds the
   cost of a huge page, and 100k characters is far beyond what a bag of n-grams needs to judge it;
2. lower-case (Unicode case mapping, Arrow's `utf8_lower`);
3. split on whitespace (the characters Python's `str.isspace` accepts: ASCII whitespace, no-break and
   other Unicode spaces, line/paragraph separators) and on NUL (a fastText delimiter), and join the
   words with single spaces: runs collapse, leading and trailing whitespace goes.

A null text becomes the empty string. For text without special-case letters (Turkish dotted I, ...)
this equals `" ".join(text[:100_000].lower().replace("\\0", " ").split())` in Python.
The result holds no newline, as fastText's `predict` requires (one line per document). All steps are
Arrow compute kernels over the whole batch (C++), not a Python loop per document.

`PREPROCESS_VERSION` names these rules: a model card records it, and the stage refuses a model whose
card names another one. Change any rule above => bump the version.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

PREPROCESS_VERSION = 1
MAX_CHARS = 100_000


def describe() -> dict[str, object]:
    """What a model card records about the preprocessing."""
    return {
        "version": PREPROCESS_VERSION,
        "max_chars": MAX_CHARS,
        "steps": ["truncate", "lower", "split_whitespace_and_nul", "join_with_space"],
    }


def preprocess_array(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The normalised texts as an Arrow string array (nulls become empty strings)."""
    if pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.string())
    texts = pc.fill_null(texts, "")
    # Each skip below is exact: a text of at most MAX_CHARS bytes has at most MAX_CHARS characters.
    if len(texts) and pc.max(pc.binary_length(texts)).as_py() > MAX_CHARS:
        texts = pc.utf8_slice_codeunits(texts, 0, MAX_CHARS)
    texts = pc.utf8_lower(texts)
    if pc.any(pc.match_substring(texts, "\x00")).as_py():
        texts = pc.replace_substring(texts, "\x00", " ")
    # A sentinel space ends every text: pyarrow 26's utf8_split_whitespace now and then keeps a text's
    # final whitespace code point as a word (which depends on the bytes after the text in memory:
    # ~1 in 400 random short texts); the sentinel, if kept, is removed by the trim below.
    texts = pc.binary_join_element_wise(texts, "", " ")
    # split + join (not a regex replace): twice as fast, and the same whitespace as Python's split()
    words = pc.utf8_split_whitespace(texts)
    return pc.utf8_trim(pc.binary_join(words, " "), " ")  # leading/trailing runs leave empty words


def preprocess(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> list[str]:
    """The normalised texts, ready for fastText (training lines or `predict`)."""
    array = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.string())
    return preprocess_array(array).to_pylist()
