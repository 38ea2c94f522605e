"""Every code block of README.md that is a command or a recipe is run here, or at least parsed.

Which blocks, and how, is decided by rule from what a block holds (never by its place in the README),
so blocks added later are covered too:

- `yaml` blocks: with a top-level `stages` key, a recipe: loaded by the real loader (`load_recipe`,
  which checks stage names, parameters and types) and run on the bundled sample (`--limit 5`); with a
  `sources` key, a tokenizer mixture, read by `read_mix_file`; a list of `- stage: {params}` entries,
  a recipe fragment: every stage and parameter name must exist; any other YAML must parse.
- `python` blocks must compile.
- Untagged (or `sh`/`bash`/`shell`/`console`) blocks are command blocks when their first line starts
  with a known program (`curate`, `python`, `make`, `spark-submit`, `torchrun`); any other block is an
  example of output (a summary table, an error message, a layout listing) and is skipped. In a command
  block, `#` lines are comments or sample output, a `# ...` after a command is a comment, `\\` joins
  lines and an indented line continues the line before. Every other line must be a known program's.
- A command line holding `[`, `|` or `...` is a synopsis: every `--option` it names must belong to
  its (sub)command. Any other line is parsed by the real parser (`pipeline.cli.build_parser()`), so a
  wrong flag or a missing argument fails: `spark-submit ... jobs/curate_job.py ARGS` parses ARGS as
  `curate run` (as the job does), `python -m pipeline ARGS` as `curate ARGS`, `python -m
  pretraining.train ARGS` and `torchrun ... -m pretraining.train ARGS` as `curate pretrain ARGS`;
  `make TARGET` needs a Makefile target; `python -m MODULE` needs the module to exist.
- Commands are also run for real when cheap and self-contained: `curate run` on the local engine
  whose inputs all exist here (the bundled sample), and `curate report|inspect|recipes|stages`
  whose DIR a run of this module wrote. They run in a temporary directory holding links to the
  repo's `data/` and `recipes/`, so relative outputs (`out/demo`) land there; an absolute or remote
  output, a placeholder (`DIR`, `PATH`, `MODEL.bin`), a missing input or the Spark engine leaves a
  command parsed only, and so are the slower tokenizer, tokenize, pretrain and classifier commands.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import importlib.util
import os
import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from pipeline.cli import build_parser, main
from pipeline.core.recipe import load_recipe
from pipeline.core.registry import stage_class
from tests.conftest import REPO, SAMPLE_WARC

README = REPO / "README.md"
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
COMMAND_LANGS = ("", "sh", "bash", "shell", "console")
PROGRAMS = ("curate", "python", "make", "spark-submit", "torchrun")
RUNNABLE = ("run", "report", "inspect", "recipes", "stages")  # cheap `curate` commands
SYNOPSIS = re.compile(r"\[|\s\|\s|\.\.\.|\S\|\S")
LINKED = ("data", "recipes")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    body: str


def readme_blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(text[: m.start()].count("\n") + 1, m["lang"].lower(), textwrap.dedent(m["body"]))
        for m in FENCE.finditer(text)
    ]


def command_lines(body: str) -> list[str]:
    """Logical lines: `\\` and indented continuations joined, comments and `#` lines dropped."""
    lines: list[str] = []
    joining = False
    for raw in body.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            joining = False
            continue
        text = re.sub(r"\s+#.*$", "", stripped)  # a comment after the command (`a#b` is a word)
        if (joining or raw[:1].isspace()) and lines:
            lines[-1] = f"{lines[-1]} {text.removesuffix(chr(92)).strip()}"
        else:
            lines.append(text.removesuffix(chr(92)).strip())
        joining = text.endswith("\\")
    return lines


def _program(words: list[str]) -> tuple[str, list[str]]:
    """The program of a command line (after any VAR=value words) and its arguments."""
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]
    return (words[0], words[1:]) if words else ("", [])


def is_command_block(block: Block) -> bool:
    if block.lang not in COMMAND_LANGS:
        return False
    lines = command_lines(block.body)
    return bool(lines) and _program(lines[0].split())[0] in PROGRAMS


# -- checks -----------------------------------------------------------------------------------------
def _subparser(
    parser: argparse.ArgumentParser, words: list[str]
) -> tuple[argparse.ArgumentParser, list[str]]:
    """The (sub)parser that `words` name, and the words naming it."""
    path = []
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or word not in subs[0].choices:
            break
        parser = subs[0].choices[word]
        path.append(word)
    return parser, path


def check_synopsis(args: list[str], line: str) -> None:
    parser, path = _subparser(build_parser(), args)
    assert path, f"README synopsis names no curate command: {line}"
    options = {s for a in parser._actions for s in a.option_strings}
    unknown = [o for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line) if o not in options]
    assert not unknown, f"README synopsis `{line}` names options `curate {' '.join(path)}` lacks: {unknown}"


def parse_curate(args: list[str], line: str) -> argparse.Namespace:
    try:
        return build_parser().parse_args(args)
    except SystemExit as exit:
        pytest.fail(f"README command does not parse (exit {exit.code}): {line}")


def _expand(words: list[str]) -> list[str]:
    """Shell-style globbing, relative to the current directory (no match: the word as written)."""
    out = []
    for word in words:
        matches = sorted(glob.glob(word)) if glob.has_magic(word) else []
        out.extend(matches or [word])
    return out


def _local_and_present(path: str) -> bool:
    return "://" not in path and not os.path.isabs(path) and os.path.exists(path)


def runnable(args: argparse.Namespace) -> bool:
    """Cheap, and everything it reads is here (inputs in the repo, DIRs written by this module)."""
    if args.command == "run":
        output_ok = "://" not in args.output and not os.path.isabs(args.output)
        return args.engine == "local" and output_ok and all(_local_and_present(p) for p in args.input)
    if args.command in ("report", "inspect"):
        dirs = [args.dir] + ([args.compare] if getattr(args, "compare", None) else [])
        return all(_local_and_present(os.path.join(d, "stats.json")) for d in dirs)
    return args.command in ("recipes", "stages")


def check_curate(args: list[str], line: str, ran: set[tuple[str, ...]]) -> None:
    if SYNOPSIS.search(line):
        check_synopsis(args, line)
        return
    args = _expand(args)
    parsed = parse_curate(args, line)
    if parsed.command not in RUNNABLE or not runnable(parsed):
        return
    if parsed.command == "run":
        args = [*args, "--no-progress"]
    key = tuple(a for a in args if a != "--overwrite")
    if key in ran:  # the same command earlier in the README: its output is there already
        return
    assert main(args) == 0, f"README command failed: {line}"
    ran.add(key)


def check_module(module: str, args: list[str], line: str, ran: set[tuple[str, ...]]) -> None:
    if module == "pipeline":
        check_curate(args, line, ran)
    elif module == "pretraining.train":
        parse_curate(["pretrain", *args], line)
    else:
        assert importlib.util.find_spec(module) is not None, (
            f"README runs a module that does not exist: {line}"
        )


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+):", (REPO / "Makefile").read_text(), re.M))


def check_command(line: str, ran: set[tuple[str, ...]]) -> None:
    program, args = _program(shlex.split(line))
    if program == "curate":
        check_curate(args, line, ran)
    elif program == "make":
        missing = [t for t in args if not t.startswith("-") and "=" not in t and t not in makefile_targets()]
        assert not missing, f"README runs make targets the Makefile lacks: {missing}"
    elif program == "python":
        assert args[:1] == ["-m"], f"README: python commands run modules (-m): {line}"
        check_module(args[1], args[2:], line, ran)
    elif program == "torchrun":
        m = args.index("-m")
        check_module(args[m + 1], args[m + 2 :], line, ran)
    elif program == "spark-submit":
        script = next(a for a in args if a.endswith(".py"))
        assert (REPO / "jobs" / Path(script).name).is_file(), f"README submits a missing job: {line}"
        rest = args[args.index(script) + 1 :]
        parse_curate(["run", "--engine", "spark", "--no-progress", *rest], line)
    else:
        pytest.fail(f"README command block holds a line of no known program ({', '.join(PROGRAMS)}): {line}")


def check_recipe_fragment(data: list, block: Block) -> None:
    for entry in data:
        name, params = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        fields = {f.name for f in dataclasses.fields(stage_class(name).Config)}
        unknown = sorted(set(params or {}) - fields)
        assert not unknown, f"README.md:{block.line}: {name} has no parameters {unknown}"


# -- the test ---------------------------------------------------------------------------------------
BLOCKS = readme_blocks()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, set[tuple[str, ...]]]:
    """A directory where README commands run: the repo's data/ and recipes/ linked in."""
    root = tmp_path_factory.mktemp("readme")
    for name in LINKED:
        (root / name).symlink_to(REPO / name)
    return root, set()


def test_the_rules_see_every_kind_of_block() -> None:
    kinds = {b.lang for b in BLOCKS}
    assert {"", "yaml", "python"} <= kinds
    assert any(is_command_block(b) for b in BLOCKS)
    assert any(b.lang == "" and not is_command_block(b) for b in BLOCKS)  # output examples exist
    assert any("stages" in (yaml.safe_load(b.body) or {}) for b in BLOCKS if b.lang == "yaml")


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{b.line}-{b.lang or 'text'}" for b in BLOCKS])
def test_readme_block(block: Block, workspace, monkeypatch, tmp_path, capsys) -> None:
    root, ran = workspace
    monkeypatch.chdir(root)
    if block.lang in ("yaml", "yml"):
        data = yaml.safe_load(block.body)
        if isinstance(data, dict) and "stages" in data:
            recipe = tmp_path / "recipe.yaml"
            recipe.write_text(block.body)
            load_recipe(str(recipe))
            args = ["run", "--no-progress", "--recipe", str(recipe), "--input", str(SAMPLE_WARC)]
            assert main([*args, "--output", str(tmp_path / "out"), "--limit", "5"]) == 0
        elif isinstance(data, dict) and "sources" in data:
            from tokenizer_training.mixture import read_mix_file

            mix = tmp_path / "mix.yaml"
            mix.write_text(block.body)
            read_mix_file(str(mix))
        elif isinstance(data, list):
            check_recipe_fragment(data, block)
    elif block.lang == "python":
        compile(block.body, f"README.md:{block.line}", "exec")
    elif is_command_block(block):
        for line in command_lines(block.body):
            check_command(line, ran)
    capsys.readouterr()  # what the commands printed is not checked here
