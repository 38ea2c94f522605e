"""Tests of the c4_quality stage: each line rule and page rule just inside and just outside its
threshold, the rewritten text, counters, config errors, the batch form, and agreement with a
spaCy-based transcription of the reference (datatrove's C4QualityFilter as FineWeb ran it)."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from filters.c4 import C4Quality
from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.schema import DOCUMENT_SCHEMA
from pipeline.core.stage import Document, Rejection

try:
    from tests.helpers.texts import agreement, real_text_variants, spacy_sentence_count
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_text import agreement, real_text_variants, spacy_sentence_count


def run(text: str, stage: C4Quality | None = None) -> tuple[Rejection | None, str]:
    """The verdict and the text after the stage."""
    doc = Document("doc", None, text, None, None)
    result = (stage or C4Quality()).filter(doc)
    return result, doc.text


SENTENCES = [f"This is sentence number {i} of the page." for i in range(1, 9)]
BODY = "\n".join(SENTENCES[:5])  # five one-sentence lines: just enough


def test_five_sentences_kept_four_dropped() -> None:
    assert run(BODY) == (None, BODY)
    assert run("\n".join(SENTENCES[:4]))[0] == Rejection("c4_quality:too_few_sentences", 4)
    # Sentences are counted within lines, as spaCy's sentencizer splits them; "Mr." does not end one.
    two_lines = "First one here. Second one here! Third one here?\nMr. Smith came. He left at noon."
    assert run(two_lines)[0] is None
    assert run(two_lines.replace("He left", "he left").replace("came.", "came"))[0] == Rejection(
        "c4_quality:too_few_sentences", 4
    )


def test_words_per_line() -> None:
    kept, text = run(BODY + "\nThree words here")
    assert kept is None and text.endswith("\nThree words here")
    stage = C4Quality()
    kept, text = run(BODY + "\nTwo words\n\n   \nOne", stage)
    assert kept is None and text == BODY
    assert stage.counters["lines_removed:too_few_words"] == 4  # "Two words", two blank lines, "One"


def test_word_length() -> None:
    stage = C4Quality()
    long_ok = "a " + "x" * 1000 + " word"
    assert run(BODY + "\n" + long_ok, stage) == (None, BODY + "\n" + long_ok)
    assert run(BODY + "\na " + "x" * 1001 + " word", stage) == (None, BODY)
    assert stage.counters["lines_removed:too_long_word"] == 1


def test_citations_are_stripped() -> None:
    line = "Cited[1] twice[23] and[edit] more[citation needed] and empty[] but not [a]."
    kept, text = run(BODY + "\n" + line)
    assert kept is None
    assert text.split("\n")[-1] == "Cited twice and more and empty but not [a]."
    # Words are counted before the marks go: "[1] [2] x" still has three (and is not re-stripped).
    assert run(BODY + "\n[1] [2] x")[1].split("\n")[-1] == "  x"


@pytest.mark.parametrize(
    "line", ["Please enable JavaScript to view this page.", "javascript:void(0) is used {here}"]
)
def test_javascript_lines_are_removed(line: str) -> None:
    stage = C4Quality()
    assert run(BODY + "\n" + line, stage) == (None, BODY)  # a "{" in a javascript line only drops the line
    assert stage.counters["lines_removed:javascript"] == 1


@pytest.mark.parametrize(
    "phrase",
    ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"],
)
def test_policy_lines_are_removed(phrase: str) -> None:
    stage = C4Quality()
    assert run(f"{BODY}\nRead our {phrase.title()} before you go.", stage) == (None, BODY)
    assert stage.counters["lines_removed:policy"] == 1


def test_lorem_ipsum_and_curly_brackets_drop_the_page() -> None:
    assert run(BODY + "\nSome Lorem Ipsum dolor here.")[0] == Rejection("c4_quality:lorem_ipsum")
    assert run(BODY + "\nfunction body { return 1 }")[0] == Rejection("c4_quality:curly_bracket")
    # Only lines that survive the earlier line rules can drop the page.
    assert run(BODY + "\nlorem ipsum")[0] is None
    assert run(BODY + "\n{x}")[0] is None


def test_terminal_punctuation_rule_is_off_as_in_fineweb_but_available() -> None:
    line = "A line without an end mark"
    assert run(f"{BODY}\n{line}")[1].endswith(line)
    strict = C4Quality(build_config(C4Quality.Config, {"filter_no_terminal_punct": True}, "t"))
    assert run(f"{BODY}\n{line}\nTrailing off...\nQuoted end here.'", strict) == (
        None,
        BODY + "\nQuoted end here.'",
    )
    assert strict.counters["lines_removed:no_terminal_punct"] == 2


def test_lines_are_stripped_and_rejoined() -> None:
    text = "\n\n  " + BODY.replace("\n", "  \n\t") + "  \n\n"
    assert run(text) == (None, BODY)


def test_counters() -> None:
    stage = C4Quality()
    run(BODY + "\nshort\nuses javascript here ok", stage)
    assert stage.counters["lines_total"] == 7
    assert stage.counters["lines_kept"] == 5


def test_rules_can_be_turned_off() -> None:
    params = {"min_num_sentences": -1, "filter_lorem_ipsum": False, "filter_curly_bracket": False}
    stage = C4Quality(build_config(C4Quality.Config, params, "t"))
    assert run("lorem ipsum dolor { sit }", stage) == (None, "lorem ipsum dolor { sit }")


# -- config, registry, batches ----------------------------------------------------------------------


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(ConfigError, match="'split_paragraph'") as err:
        build_config(C4Quality.Config, {"split_paragraph": False}, "recipe fineweb: c4_quality")
    assert "c4_quality" in str(err.value)


@pytest.mark.parametrize(
    "params", [{"min_num_sentences": -2}, {"max_word_length": "long"}, {"filter_policy": "yes"}]
)
def test_bad_values(params: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(params))):
        build_config(C4Quality.Config, params, "t")


def test_registered_name() -> None:
    assert stage_class("c4_quality") is C4Quality
    assert C4Quality().describe()["filter_no_terminal_punct"] is False


def test_batch_process_rewrites_kept_text() -> None:
    texts = [
        BODY + "\nshort line\nEnable javascript please now.",
        "Too few.",
        BODY + "\nlorem ipsum dolor sit",
    ]
    batch = pa.RecordBatch.from_pylist(
        [{"id": str(i), "text": t, "url": None} for i, t in enumerate(texts)], schema=DOCUMENT_SCHEMA
    )
    out = C4Quality().process(batch)
    assert out.kept.column("text").to_pylist() == [BODY]
    assert out.rejected.column("id").to_pylist() == ["1", "2"]
    assert out.rejected.column("text").to_pylist() == texts[1:]  # rejected rows keep their input text
    assert out.rejected.column("reason").to_pylist() == [
        "c4_quality:too_few_sentences",
        "c4_quality:lorem_ipsum",
    ]
    assert out.rejected.column("value").to_pylist() == [0.0, None]  # "Too few." is a 2-word line


# -- agreement with the reference on real pages -----------------------------------------------------

_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"]


def reference_c4(text: str) -> tuple[str | None, str]:
    """datatrove C4QualityFilter(filter_no_terminal_punct=False).filter, sentences from spaCy."""
    sentences = 0
    kept = []
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if any(len(w) > 1000 for w in words):
            continue
        line = _CITATION.sub("", line)
        if len(words) < 3:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            return "lorem_ipsum", text
        if "javascript" in lower:
            continue
        if "{" in line:
            return "curly_bracket", text
        if any(p in lower for p in _POLICY):
            continue
        sentences += spacy_sentence_count(line)
        kept.append(line)
    if sentences < 5:
        return "too_few_sentences", text
    return None, "\n".join(kept).strip()


@pytest.mark.shared_data
def test_decisions_and_text_agree_with_reference_on_real_pages() -> None:
    texts = real_text_variants()
    ours, theirs = [], []
    for text in texts:
        verdict, new_text = run(text)
        ours.append((None if verdict is None else verdict.reason.split(":", 1)[1], new_text))
        theirs.append(reference_c4(text))
    keep_drop = agreement([(a[0] is None, b[0] is None) for a, b in zip(ours, theirs)])
    identical = agreement(list(zip(ours, theirs)))
    dropped = sum(r[0] is not None for r in theirs)
    print(f"c4_quality: {len(texts)} real texts, reference drops {dropped}; "
          f"keep/drop agreement {keep_drop:.4f}, same rule and text {identical:.4f}")  # fmt: skip
    assert 0 < dropped < len(texts)
    assert keep_drop >= 0.99
    assert identical >= 0.99
