"""What `curate stages` prints: every stage in pipeline order, what it does, its parameters (default
and meaning) and the reasons it gives for the documents it drops.

- Order: the stages of the default recipe (`fineweb`) in its order, then those only other bundled
  recipes use, each placed after the stage it follows there, then any other registered stage.
- Description: the stage class's docstring, then its module's docstring.
- A parameter's meaning is the comment next to its Config field: the comment at the end of the
  field's line(s), or else the comment lines right above it. One rule for every stage, so a new stage
  documents its parameters by commenting them (tests/test_stage_doc.py checks that every one has a
  meaning).
- Reasons: each stage declares the reason codes it can emit (`Stage.reasons`); a `{param}` part
  stands for a value taken from that parameter or from the data (e.g. `language:score<{threshold}`).
  The tests check that every reason the test runs see is declared (tests/helpers/runs.py).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import re
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from pipeline.core.registry import stage_class, stage_names
from pipeline.core.stage import GlobalStage, Stage

DEFAULT_RECIPE = "fineweb"


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any  # REQUIRED when the field has no default
    meaning: str


REQUIRED = "(required)"


def _comments_by_line(source: str) -> dict[int, str]:
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


@cache
def _own_meanings(cls: type) -> dict[str, str]:
    """Field -> meaning for the fields `cls` itself defines (from the comments in its source)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # defined where no source is available
        return {}
    comments = _comments_by_line(source)
    lines = source.splitlines()
    tree = ast.parse(source)
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    meanings = {}
    for node in body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        trailing = [
            comments[n] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1) if n in comments
        ]
        above = []
        line = node.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments[line])
            line -= 1
        meanings[node.target.id] = " ".join(trailing or above)
    return meanings


def parameters(config_cls: type) -> list[Parameter]:
    """The fields of a stage's Config dataclass, with their defaults and meanings."""
    meanings: dict[str, str] = {}
    for cls in reversed(config_cls.__mro__):  # a subclass's comment wins over its base's
        if dataclasses.is_dataclass(cls):
            meanings.update(_own_meanings(cls))
    found = []
    for f in dataclasses.fields(config_cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = REQUIRED
        found.append(Parameter(f.name, default, meanings.get(f.name, "")))
    return found


def _recipe_stage_names(path: Any) -> list[str]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return []
    names = []
    for item in data.get("stages") or []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.append(str(next(iter(item))))
    return names


def pipeline_order() -> list[str]:
    """Every registered stage: the default recipe's order, then the stages of other recipes after
    the stage they follow there, then the rest by name."""
    from pipeline.core.recipe import recipes_dir

    paths = sorted(recipes_dir().glob("*.yaml"), key=lambda p: (p.stem != DEFAULT_RECIPE, p.stem))
    order: list[str] = []
    for path in paths:
        previous = None
        for name in _recipe_stage_names(path):
            if name not in order:
                order.insert(order.index(previous) + 1 if previous in order else len(order), name)
            previous = name
    registered = stage_names()
    return [n for n in order if n in registered] + sorted(set(registered) - set(order))


def reason_pattern(template: str) -> re.Pattern[str]:
    """A declared reason as a regex: `{param}` parts match any text."""
    parts = re.split(r"\{[^}]*\}", template)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


def is_declared(cls: type[Stage], reason: str) -> bool:
    return any(reason_pattern(template).match(reason) for template in cls.reasons or ())


def _value(value: Any) -> str:
    if value == REQUIRED:
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


def _description(cls: type[Stage]) -> str:
    own = inspect.cleandoc(cls.__dict__.get("__doc__") or "")  # its own, not its base class's
    module = (sys.modules[cls.__module__].__doc__ or "").strip()
    return "\n\n".join(d for d in dict.fromkeys([own, inspect.cleandoc(module)]) if d)


def _where(cls: type[Stage]) -> str:
    if issubclass(cls, GlobalStage):
        return "global: sees every document that reaches it before dropping any"
    if cls.needs == "html":
        return "before extract: reads the raw page"
    return "reads the extracted text"


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else "" for line in text.splitlines())


def format_stage(name: str, number: int | None = None) -> str:
    cls = stage_class(name)
    head = f"{number}. {name}" if number is not None else name
    lines = [f"{head}  ({cls.__module__}; {_where(cls)})", _indented(_description(cls), "    "), ""]
    params = parameters(cls.Config)
    lines.append("    parameters:" if params else "    parameters: none")
    for p in params:
        lines.append(f"      {p.name}: {_value(p.default)}")
        if p.meaning:
            lines.append(_indented(textwrap.fill(p.meaning, 96), "          "))
    if cls.reasons is None:
        reasons = "(not declared)"
    else:
        reasons = ", ".join(cls.reasons) or "none (it drops no document)"
    lines.append(textwrap.fill(f"reasons: {reasons}", 100, initial_indent="    ", subsequent_indent="      "))
    return "\n".join(lines)


def format_reader() -> str:
    from pipeline.io.warc import ReaderConfig

    lines = ["reader  (not a stage: the WARC/WET reader; `reader:` in a recipe, --set reader.PARAM=VALUE)"]
    for p in parameters(ReaderConfig):
        lines.append(f"      {p.name}: {_value(p.default)}")
        if p.meaning:
            lines.append(_indented(textwrap.fill(p.meaning, 96), "          "))
    return "\n".join(lines)


def format_stages(names: list[str] | None = None) -> str:
    """`curate stages [NAME...]`: the named stages (default: all, in pipeline order, and the reader)."""
    order = pipeline_order()
    unknown = [n for n in names or [] if n not in order and n != "reader"]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r}; known stages: {', '.join(order)}")
    chosen = names or ["reader", *order]
    blocks = [format_reader() if n == "reader" else format_stage(n, order.index(n) + 1) for n in chosen]
    footer = (
        "Set a parameter in a recipe (`- STAGE: {PARAM: VALUE}`) or with --set STAGE.PARAM=VALUE. "
        "A reason's {PARAM} part is filled in from that parameter's value or from the data."
    )
    return "\n\n".join([*blocks, textwrap.fill(footer, 100)])
