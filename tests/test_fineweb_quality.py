"""Tests of the fineweb_quality stage: each rule just inside and just outside its threshold, the
line and punctuation definitions, config errors, the batch form, the whole heuristic chain, and
agreement with a spaCy-based transcription of the reference (datatrove's FineWebQualityFilter)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from filters.c4 import C4Quality
from filters.fineweb_quality import FineWebQuality
from filters.gopher import GopherQuality, GopherRepetition
from filters.words import TERMINAL_PUNCTUATION
from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.core.stage import Document, Rejection

try:
    from tests.helpers.texts import agreement, real_text_variants, spacy_words
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_text import agreement, real_text_variants, spacy_words


def verdict(text: str, stage: FineWebQuality | None = None) -> Rejection | None:
    return (stage or FineWebQuality()).filter(Document("doc", None, text, None, None))


def long_line(i: int, end: str = ".") -> str:
    """A distinct line of six words and more than 30 characters."""
    return f"Line number {i:03d} talks about something else{end}"


def test_line_punctuation_fraction() -> None:
    def text(with_period: int) -> str:  # 25 lines, the first ones ending in "."
        return "\n".join(long_line(i, "." if i < with_period else "") for i in range(25))

    assert verdict(text(3)) is None  # 3 / 25 = 0.12: enough
    assert verdict(text(2)) == Rejection("fineweb_quality:line_punct_frac", 2 / 25)

    # The raw line is tested: a trailing space, a quote or "…" after the mark does not count.
    def third_line_ends(ending: str) -> str:
        return text(3).replace("002 talks about something else.", f"002 talks about something else{ending}")

    for ending in (". ", '."', "…", ";"):
        assert verdict(third_line_ends(ending)) is not None, ending
    for ending in ("!", "?", "。", "．", "..."):
        assert verdict(third_line_ends(ending)) is None, ending
    zero = FineWebQuality(build_config(FineWebQuality.Config, {"line_punct_exclude_zero": True}, "t"))
    assert verdict(text(0), zero) is None
    assert verdict(text(1), zero) == Rejection("fineweb_quality:line_punct_frac", 1 / 25)


def test_custom_stop_chars() -> None:
    lines = "\n".join(long_line(i, " END") for i in range(10))
    assert verdict(lines) is not None
    assert (
        verdict(lines, FineWebQuality(build_config(FineWebQuality.Config, {"stop_chars": ["END"]}, "t")))
        is None
    )
    assert (
        verdict(lines, FineWebQuality(build_config(FineWebQuality.Config, {"stop_chars": ["D"]}, "t")))
        is None
    )


def test_short_line_fraction() -> None:
    def text(short: int) -> str:  # 100 distinct lines, `short` of them at most 30 characters
        return "\n".join(f"Short line {i:03d} is here." if i < short else long_line(i) for i in range(100))

    assert len("Short line 000 is here.") <= 30 < len(long_line(0))
    assert verdict(text(67)) is None  # 0.67: not above
    assert verdict(text(68)) == Rejection("fineweb_quality:short_line_frac", 0.68)
    # A line of exactly short_line_length characters is short; one more and it is not.
    exact = [f"{i:029d}." for i in range(3)]
    assert {len(line) for line in exact} == {30}
    assert verdict("\n".join([*exact, long_line(0)])) == Rejection("fineweb_quality:short_line_frac", 0.75)
    assert verdict("\n".join([*(line + "0" for line in exact), long_line(0)])) is None


def test_duplicated_line_characters() -> None:
    repeated = "This exact line appears twice in the text."

    def text(filler_lines: int) -> str:
        return "\n".join([repeated, repeated] + [long_line(i) for i in range(filler_lines)])

    # Boundary: repeated chars / chars without newlines = 42 / (84 + 43 * filler) <= 0.01.
    per_line = len(long_line(0))
    assert (len(repeated), per_line) == (42, 43)
    inside = next(f for f in range(1000) if len(repeated) / (2 * len(repeated) + per_line * f) <= 0.01)
    assert verdict(text(inside)) is None
    assert verdict(text(inside - 1)) == Rejection(
        "fineweb_quality:dup_line_char_frac", len(repeated) / (2 * len(repeated) + per_line * (inside - 1))
    )
    # Lines are compared unstripped and blank lines are ignored.
    assert verdict(text(inside - 1).replace(repeated, repeated + " ", 1)) is None
    assert verdict(text(inside).replace("\n", "\n \n")) is None


def test_newlines_per_word() -> None:
    lines = [f"Supercalifragilistic word{i:03d} again." for i in range(20)]  # 4 words each: 80 words

    def text(blank_lines: int) -> str:  # 19 + blank_lines newlines
        return "\n".join(lines) + "\n" * blank_lines

    assert verdict(text(5)) is None  # 24 / 80 = 0.3: not above
    assert verdict(text(6)) == Rejection("fineweb_quality:newline_word_ratio", 25 / 80)


def test_empty() -> None:
    assert verdict("") == Rejection("fineweb_quality:empty")
    assert verdict(" \n\t\n") == Rejection("fineweb_quality:empty")


def test_terminal_punctuation_is_the_reference_set() -> None:
    stage = FineWebQuality()
    assert stage._stop_set is TERMINAL_PUNCTUATION


# -- config, registry, batches ----------------------------------------------------------------------


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(ConfigError, match="'short_line_ratio'") as err:
        build_config(FineWebQuality.Config, {"short_line_ratio": 0.5}, "recipe fineweb: fineweb_quality")
    assert "fineweb_quality" in str(err.value)


@pytest.mark.parametrize(
    "params",
    [{"line_punct_thr": 1.5}, {"short_line_length": -1}, {"stop_chars": [""]}, {"new_line_ratio": "x"}],
)
def test_bad_values(params: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(params))):
        build_config(FineWebQuality.Config, params, "t")


def test_registered_name() -> None:
    assert stage_class("fineweb_quality") is FineWebQuality


def test_batch_process() -> None:
    good = "\n".join(long_line(i) for i in range(10))
    batch = pa.RecordBatch.from_pylist(
        [{"id": "a", "text": good}, {"id": "b", "text": "\n".join(["tiny."] * 10)}], schema=DOCUMENT_SCHEMA
    )
    out = FineWebQuality().process(batch)
    assert out.kept.column("id").to_pylist() == ["a"]
    assert out.rejected.column("reason").to_pylist() == ["fineweb_quality:short_line_frac"]
    assert out.rejected.column("value").to_pylist() == [1.0]


# -- agreement with the reference on real pages -----------------------------------------------------


def reference_fineweb(text: str) -> str | None:
    """datatrove FineWebQualityFilter.filter with its defaults, words from spaCy."""
    lines = [line for line in text.split("\n") if line.strip() != ""]
    if not lines:
        return "empty"
    if sum(line.endswith(tuple(TERMINAL_PUNCTUATION)) for line in lines) / len(lines) < 0.12:
        return "line_punct_frac"
    if sum(len(line) <= 30 for line in lines) / len(lines) > 0.67:
        return "short_line_frac"
    seen: set[str] = set()
    chars = 0
    for line in lines:
        if line in seen:
            chars += len(line)
        seen.add(line)
    if chars / len(text.replace("\n", "")) > 0.01:
        return "dup_line_char_frac"
    if text.count("\n") / len(spacy_words(text)) > 0.3:
        return "newline_word_ratio"
    return None


def rule_of(rejection: Rejection | None) -> str | None:
    return None if rejection is None else rejection.reason.split(":", 1)[1]


@pytest.mark.shared_data
def test_decisions_agree_with_reference_on_real_pages() -> None:
    texts = real_text_variants()
    ours = [rule_of(verdict(t)) for t in texts]
    theirs = [reference_fineweb(t) for t in texts]
    keep_drop = agreement([(a is None, b is None) for a, b in zip(ours, theirs)])
    same_rule = agreement(list(zip(ours, theirs)))
    dropped = sum(r is not None for r in theirs)
    print(f"fineweb_quality: {len(texts)} real texts, reference drops {dropped}; "
          f"keep/drop agreement {keep_drop:.4f}, same rule {same_rule:.4f}")  # fmt: skip
    assert 0 < dropped < len(texts)
    assert keep_drop >= 0.99 and same_rule >= 0.99


@pytest.mark.shared_data
def test_heuristic_chain_on_real_pages_in_batches() -> None:
    """The four stages in FineWeb's order over real pages, as batches: every row is kept or
    rejected exactly once, and kept text is C4's rewrite (FineWeb quality sees that text)."""
    texts = real_text_variants()
    batch = pa.RecordBatch.from_pylist(
        [{"id": str(i), "text": t} for i, t in enumerate(texts)], schema=DOCUMENT_SCHEMA
    )
    rejected = 0
    for stage in (GopherRepetition(), GopherQuality(), C4Quality(), FineWebQuality()):
        out = stage.process(batch)
        assert out.kept.num_rows + out.rejected.num_rows == batch.num_rows
        assert all(r.startswith(stage.name + ":") for r in out.rejected.column("reason").to_pylist())
        rejected += out.rejected.num_rows
        batch = out.kept
    print(f"heuristic chain: {len(texts)} real texts, {batch.num_rows} kept")
    assert 0 < batch.num_rows < len(texts)
    assert rejected + batch.num_rows == len(texts)
    for text in batch.column("text").to_pylist():
        assert text == text.strip() and "\n\n" not in text  # C4 rejoined the kept lines
