"""`curate stages`: every stage in pipeline order, its description, parameters (default, meaning), reasons."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import pytest
import yaml

from pipeline.cli import build_parser, main
from pipeline.core.recipe import recipes_dir
from pipeline.core.registry import STAGE_MODULES, stage_class, stage_names
from pipeline.core.stage_doc import is_declared, parameters, pipeline_order, reason_pattern


@dataclass
class _Base:
    inherited: int = 1  # from the base class


@dataclass
class _Example(_Base):
    # the block right above a field is its meaning
    above: int = 2
    trailing: str = "x"  # the comment at the end of the line
    # a block above a field with its own trailing comment is not its meaning
    both: float = 0.5  # trailing wins
    spread: dict[int, float] = field(
        default_factory=lambda: {2: 0.2}  # a field written over several lines
    )
    bare: bool = False

    required: int = field(default=0)


def test_parameter_meanings_come_from_the_comments_next_to_the_fields() -> None:
    found = {p.name: (p.default, p.meaning) for p in parameters(_Example)}
    assert found == {
        "inherited": (1, "from the base class"),
        "above": (2, "the block right above a field is its meaning"),
        "trailing": ("x", "the comment at the end of the line"),
        "both": (0.5, "trailing wins"),
        "spread": ({2: 0.2}, "a field written over several lines"),
        "bare": (False, ""),
        "required": (0, ""),
    }


def test_every_stage_documents_what_it_does_its_parameters_and_its_reasons() -> None:
    shipped = [n for n in stage_names() if stage_class(n).__module__ in STAGE_MODULES]  # not test stages
    assert len(shipped) >= 12
    for name in shipped:
        cls = stage_class(name)
        assert cls.__doc__ or sys.modules[cls.__module__].__doc__, f"{name}: no docstring says what it does"
        assert cls.reasons is not None, f"{name}: declare `reasons` (() if it drops nothing)"
        missing = [p.name for p in parameters(cls.Config) if not p.meaning]
        assert not missing, f"{name}: parameters without a comment saying what they mean: {missing}"


def test_pipeline_order_is_the_default_recipe_then_the_others() -> None:
    fineweb = [
        next(iter(s)) if isinstance(s, dict) else s
        for s in yaml.safe_load((recipes_dir() / "fineweb.yaml").read_text())["stages"]
    ]
    order = pipeline_order()
    assert sorted(order) == sorted(stage_names())
    assert [n for n in order if n in fineweb] == fineweb
    assert order.index("quality_classifier") == order.index("fineweb_quality") + 1  # as in fineweb_qc


def test_reason_templates() -> None:
    assert reason_pattern("language:score<{threshold}").match("language:score<0.65")
    assert not reason_pattern("language:score<{threshold}").match("language:other")
    assert not reason_pattern("url:url").match("url:urls")
    language = stage_class("language")
    assert is_declared(language, "language:other") and is_declared(language, "language:score<0.9")
    assert not is_declared(language, "language:unknown")
    assert is_declared(stage_class("gopher_repetition"), "gopher_repetition:dup_7_gram_char_frac")


def test_curate_stages_prints_everything_in_order(capsys) -> None:
    assert main(["stages"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f". {name}  (") for name in pipeline_order()]
    assert positions == sorted(positions)
    assert out.startswith("reader  (")
    gopher = out[out.index(". gopher_quality  (") : out.index(". c4_quality  (")]
    assert "Drops documents whose words, symbols and lines do not look like prose." in gopher
    assert "Rae et al. 2021" in gopher  # the module docstring, whole
    assert "min_doc_words: 50\n          fewest words" in gopher
    assert "gopher_quality:word_count" in gopher and "gopher_quality:stop_words" in gopher
    assert "language:score<{threshold}" in out
    assert "reasons: none (it drops no document)" in out  # pii


def test_curate_stages_names_and_errors(capsys) -> None:
    assert main(["stages", "extract"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2. extract  (filters.extract; before extract: reads the raw page)")
    assert "gopher" not in out and "timeout: 1.0" in out and "reasons: empty, timeout, error" in out
    assert main(["stages", "gopher_quailty"]) == 2
    assert "unknown stage 'gopher_quailty'; known stages: url_filter, extract" in capsys.readouterr().err


def test_run_help_explains_every_option_and_the_exit_codes(capsys) -> None:
    run = build_parser()._subparsers._group_actions[0].choices["run"]  # the `curate run` parser
    silent = [a.option_strings[0] for a in run._actions if a.option_strings and not a.help]
    assert not silent, f"options of `curate run` without help: {silent}"
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "(default: fineweb)" in out and "exit codes:" in out
    assert "3  some input files could not be read" in out and "--allow-partial" in out
