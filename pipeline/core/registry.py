"""Stage registry: recipe names -> stage classes.

A stage module registers its class with `@register`; `STAGE_MODULES` lists the modules imported on
first lookup, so adding a filter is one module plus one line here and one line in a recipe.
"""

from __future__ import annotations

import importlib

from pipeline.core.stage import Stage

STAGE_MODULES = [
    "filters.extract",
    "filters.url",
    "filters.robots_optout",
    "filters.language",
    "filters.gopher",
    "filters.c4",
    "filters.fineweb_quality",
    "filters.quality_classifier",
    "filters.dedup",
    "filters.pii",
    "filters.decontam",
]

_REGISTRY: dict[str, type[Stage]] = {}
_loaded = False


def register(cls: type[Stage]) -> type[Stage]:
    if not cls.name:
        raise TypeError(f"{cls.__qualname__} has no `name`")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two stages registered as {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_modules() -> None:
    global _loaded
    if _loaded:
        return
    for module in STAGE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            # A module not written yet (or an optional extra not installed) simply registers nothing.
            if err.name not in (module, *module.split(".")[:1]):
                raise
    _loaded = True


def stage_class(name: str) -> type[Stage]:
    _load_modules()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown stage {name!r}; known stages: {known}") from None


def stage_names() -> list[str]:
    _load_modules()
    return sorted(_REGISTRY)
