"""Benchmark decontamination: 13-gram overlap with HumanEval and with user-given benchmark files."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.decontam import Decontamination, humaneval_path
from filters.ngrams import words
from pipeline.cli import main
from pipeline.core.config import ConfigError, build_config
from pipeline.core.schema import DOCUMENT_SCHEMA
from tests.conftest import SAMPLE_WARC

FILLER = "Our team spent the afternoon in the library reading about the history of the old harbour town."


def humaneval_prompts() -> list[str]:
    with gzip.open(humaneval_path(), "rt") as handle:
        return [json.loads(line)["prompt"] for line in handle]


def prepared(tmp_path, **params) -> Decontamination:
    stage = Decontamination(build_config(Decontamination.Config, params, "t"))
    stage.prepare(str(tmp_path / "work"))
    stage.ensure_setup()
    return stage


def judge(stage: Decontamination, texts: list[str]) -> list[dict]:
    rows = [{"id": f"d{i}", "url": f"http://x/{i}", "text": t} for i, t in enumerate(texts)]
    out = stage.process(pa.RecordBatch.from_pylist(rows, schema=DOCUMENT_SCHEMA))
    verdict = {r["id"]: None for r in out.kept.to_pylist()}
    verdict.update({r["id"]: r for r in out.rejected.to_pylist()})
    return [verdict[f"d{i}"] for i in range(len(texts))]


def test_humaneval_prompt_verbatim_and_13_word_window_are_removed_12_kept(tmp_path):
    stage = prepared(tmp_path)
    prompt = humaneval_prompts()[10]
    prompt_words = words(prompt)
    assert len(prompt_words) >= 20
    window13 = " ".join(prompt_words[3:16])
    window12 = " ".join(prompt_words[3:15])
    verbatim, with13, with12, clean = judge(
        stage,
        [
            f"{FILLER}\n{prompt}\n{FILLER}",
            f"{FILLER} As the blog said, {window13}, which we liked. {FILLER}",
            f"{FILLER} As the blog said, {window12}, which we liked. {FILLER}",
            FILLER * 3,
        ],
    )
    assert verbatim["reason"] == "decontamination:humaneval" and verbatim["benchmark"] == "humaneval"
    assert verbatim["value"] >= len(prompt_words) - 12
    assert with13["reason"] == "decontamination:humaneval"
    assert with13["matched_ngram"] == window13
    assert with12 is None
    assert clean is None
    assert stage.counters["hits:humaneval"] == 2


def test_answer_only_mode_ignores_prompts(tmp_path):
    stage = prepared(tmp_path, use="answer")
    (verdict,) = judge(stage, [humaneval_prompts()[3]])
    assert verdict is None


def test_user_benchmarks_jsonl_parquet_and_text(tmp_path):
    question = "Which planet in our solar system has the largest number of known moons orbiting it today"
    jsonl = tmp_path / "quiz.jsonl"
    jsonl.write_text(json.dumps({"question": question, "answer": "Saturn"}) + "\n")
    parquet = tmp_path / "facts.parquet"
    fact = "the first public library in the town opened its doors to readers in the spring of the year"
    pq.write_table(pa.table({"question": [fact]}), parquet)
    text = tmp_path / "lines.txt"
    line = "a slow river winds past seven old mills before it reaches the grey sea at low tide"
    text.write_text(line + "\n")
    stage = prepared(tmp_path, benchmarks=[str(jsonl), str(parquet), str(text)], text_fields=["question"])
    results = judge(
        stage, [f"{FILLER} {question}?", f"{FILLER} In fact {fact}.", f"{FILLER} {line}.", FILLER]
    )
    assert [r and r["benchmark"] for r in results] == ["quiz.jsonl", "facts.parquet", "lines.txt", None]


def test_bad_benchmarks_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        prepared(tmp_path, benchmarks=[str(tmp_path / "missing.jsonl")])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "x"}) + "\n")
    with pytest.raises(ConfigError, match="none of the fields"):
        prepared(tmp_path, benchmarks=[str(bad)])
    with pytest.raises(ConfigError, match="use must be one of"):
        build_config(Decontamination.Config, {"use": "question"}, "t")


def test_benchmarks_flag_end_to_end(tmp_path):
    out = tmp_path / "clean"
    assert (
        main(
            ["run", "--no-progress", "--recipe", "fineweb", "--input", str(SAMPLE_WARC), "--output", str(out)]
        )
        == 0
    )
    kept = pq.read_table(out / "documents").to_pylist()
    victim = kept[5]
    passage = " ".join(victim["text"].split()[20:45])
    bench = tmp_path / "leak.jsonl"
    bench.write_text(json.dumps({"text": passage}) + "\n")
    out2 = tmp_path / "decontaminated"
    args = ["run", "--no-progress", "--recipe", "fineweb", "--input", str(SAMPLE_WARC), "--output", str(out2)]
    assert main([*args, "--benchmarks", str(bench)]) == 0
    rows = pq.read_table(out2 / "rejected" / "decontamination").to_pylist()
    assert victim["id"] in {r["id"] for r in rows}
    for row in rows:  # generated articles share sentences, so others may hold the passage too
        assert row["benchmark"] == "leak.jsonl"
        assert row["matched_ngram"] in " ".join(words(row["text"]))
    stats = json.loads((out2 / "stats.json").read_text())
    assert stats["stages"][-1]["prepare"]["benchmarks"] == {"humaneval": 292, "leak.jsonl": 1}
    assert main([*args, "--benchmarks", str(tmp_path / "nope.jsonl")]) == 2
