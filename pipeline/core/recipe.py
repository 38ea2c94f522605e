"""Recipes: YAML files naming the stages to run, in order, with their parameters.

```yaml
name: fineweb
description: what this recipe is for
reader: {max_page_bytes: 5000000}
stages:
  - url_filter: {blocklist_dir: /data/ut1}
  - extract
  - language: {languages: [en], threshold: 0.65}
```
`--recipe NAME` looks in the repo's `recipes/` folder (or $CURATE_RECIPES); `--recipe PATH` reads a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.stage import Stage
from pipeline.io.resources import shipped
from pipeline.io.warc import ReaderConfig


def recipes_dir() -> Path:
    """The bundled recipes (CURATE_RECIPES overrides): see pipeline.io.resources for where they live."""
    return Path(os.environ["CURATE_RECIPES"]) if "CURATE_RECIPES" in os.environ else shipped("recipes")


_TOP_LEVEL_KEYS = {"name", "description", "reader", "stages"}


@dataclass
class Recipe:
    name: str
    description: str
    reader: ReaderConfig
    stages: list[Stage]
    source: str

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reader": dataclasses.asdict(self.reader),
            "stages": [stage.describe() for stage in self.stages],
        }

    def fingerprint(self) -> str:
        """Identifies what the recipe does (not where it came from): same fingerprint, same output."""
        canonical = json.dumps(self.describe(), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


ABSENT = "(stage not in this run)"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def flat_settings(described: dict[str, Any]) -> dict[str, Any]:
    """`Recipe.describe()` (as stored in run.json) as {"reader.PARAM" | "STAGE.PARAM": value}."""
    flat: dict[str, Any] = {}
    _flatten("reader", described.get("reader", {}), flat)
    for stage in described.get("stages", []):
        _flatten(stage["name"], {k: v for k, v in stage.items() if k != "name"}, flat)
    return flat


def settings_diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(setting, value in a, value in b) for every setting of two described recipes that differs;
    a stage only one of them has shows ABSENT for the other."""
    fa, fb = flat_settings(a), flat_settings(b)
    return [
        (key, fa.get(key, ABSENT), fb.get(key, ABSENT))
        for key in sorted(set(fa) | set(fb))
        if fa.get(key, ABSENT) != fb.get(key, ABSENT)
    ]


def available_recipes() -> dict[str, str]:
    """name -> first line of the description, for `curate recipes`."""
    found = {}
    for path in sorted(recipes_dir().glob("*.yaml")):
        try:
            description = str((yaml.safe_load(path.read_text()) or {}).get("description", ""))
        except yaml.YAMLError:
            description = "(unreadable YAML)"
        found[path.stem] = (description.strip().splitlines() or [""])[0]
    return found


def resolve_recipe_path(recipe: str) -> Path:
    path = Path(recipe)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ConfigError(f"recipe file not found: {recipe}")
        return path
    candidate = recipes_dir() / f"{recipe}.yaml"
    if not candidate.is_file():
        known = ", ".join(sorted(available_recipes())) or "(none)"
        raise ConfigError(
            f"unknown recipe {recipe!r}; known recipes: {known} (or pass a path to a .yaml file)"
        )
    return candidate


def load_recipe(recipe: str, overrides: dict[str, dict[str, Any]] | None = None) -> Recipe:
    """Load by name or path; `overrides` maps stage name -> parameters set from the command line."""
    path = resolve_recipe_path(recipe)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"recipe {path}: invalid YAML: {err}") from None
    return parse_recipe(data, str(path), overrides)


def _stage_entries(raw: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.stages: expected a non-empty list of stages")
    entries = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            entries.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            ((name, params),) = item.items()
            if params is not None and not isinstance(params, dict):
                raise ConfigError(
                    f"{where}.stages[{i}] ({name}): parameters must be a mapping, got {params!r}"
                )
            entries.append((str(name), params or {}))
        else:
            raise ConfigError(
                f"{where}.stages[{i}]: expected a stage name or `name: {{params}}`, got {item!r}"
            )
    return entries


def parse_recipe(data: Any, source: str, overrides: dict[str, dict[str, Any]] | None = None) -> Recipe:
    where = f"recipe {source}"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with `stages`")
    unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(_TOP_LEVEL_KEYS))}"
        )
    overrides = dict(overrides or {})
    reader_params = data.get("reader")
    if "reader" in overrides:  # `--set reader.batch_size=64`
        reader_params = {
            **(reader_params if isinstance(reader_params, dict) else {}),
            **overrides.pop("reader"),
        }
    reader = build_config(ReaderConfig, reader_params, f"{where}.reader")
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, (name, params) in enumerate(_stage_entries(data.get("stages"), where)):
        try:
            cls = stage_class(name)
        except KeyError as err:
            raise ConfigError(f"{where}.stages[{i}]: {err.args[0]}") from None
        if name in seen:
            raise ConfigError(f"{where}.stages[{i}]: stage {name!r} appears twice")
        seen.add(name)
        params = {**params, **overrides.pop(name, {})}
        stages.append(cls(build_config(cls.Config, params, f"{where}.stages[{i}] ({name})")))
    if overrides:
        raise ConfigError(f"{where}: options given for stage(s) not in the recipe: {', '.join(overrides)}")
    _check_order(stages, where)
    return Recipe(
        name=str(data.get("name") or Path(source).stem),
        description=str(data.get("description", "")),
        reader=reader,
        stages=stages,
        source=source,
    )


def _check_order(stages: list[Stage], where: str) -> None:
    """Stages that read the raw page must come before `extract`; text stages after it."""
    extract_at = next((i for i, s in enumerate(stages) if s.name == "extract"), None)
    for i, stage in enumerate(stages):
        if stage.needs == "html" and stage.name != "extract" and extract_at is not None and i > extract_at:
            raise ConfigError(
                f"{where}.stages[{i}] ({stage.name}): needs the raw page, so it must come before extract"
            )
        if stage.needs == "text" and extract_at is not None and i < extract_at:
            raise ConfigError(
                f"{where}.stages[{i}] ({stage.name}): needs extracted text, so it must come after extract"
            )
