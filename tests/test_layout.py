"""The layout stays readable: no import cycles, every module imports alone, no oversized module
without a stated reason, and the shipped artefacts hold only the product's packages."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

from pipeline import dist

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("pipeline", "filters", "classifiers", "jobs", "tokenizer_training", "pretraining")
OURS = (*PRODUCT, "devdata", "bench")
MAX_LINES = 600
REASON = "Longer than 600 lines"  # what a module over the limit says at its top, with why


def _modules() -> dict[str, Path]:
    found = {}
    for package in OURS:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that `path` imports when it is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module in modules:
                    found.add(node.module)
                for alias in node.names:  # `from pipeline.report import plots` imports a module
                    if f"{node.module}.{alias.name}" in modules:
                        found.add(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(ast.parse(path.read_text()).body)
    return found


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: _module_level_imports(path, modules) - {name} for name, path in modules.items()}
    # a package's __init__ is imported before its modules: a module importing its parent package is fine
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_alone() -> None:
    """Each module imported first, in a process whose other modules of ours are forgotten each time."""
    names = [n for n in _modules() if not n.startswith("bench") and n != "pipeline.__main__"]
    script = (
        "import importlib, sys, traceback\n"
        f"ours = {OURS!r}\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] in ours]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *names], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]


def test_no_oversized_module_without_a_reason() -> None:
    roots = [*OURS, "tests"]
    oversized = []
    for root in roots:
        for path in sorted((REPO / root).rglob("*.py")):
            text = path.read_text()
            lines = text.count("\n")
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if lines > MAX_LINES and REASON not in docstring:
                oversized.append(f"{path.relative_to(REPO)} ({lines} lines)")
    assert not oversized, f"over {MAX_LINES} lines without '{REASON} ...' in the docstring: {oversized}"


def test_shipped_zip_holds_only_product_packages(tmp_path) -> None:
    target = tmp_path / "curate.zip"
    dist.build(REPO, target)
    with zipfile.ZipFile(target) as bundle:
        tops = {name.split("/")[0] for name in bundle.namelist()}
    assert tops == {*PRODUCT, "recipes", "data"}, tops
    assert not {"devdata", "tests", "bench"} & tops


def test_wheel_package_list_is_the_product() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(p.rstrip("*") for p in include) == sorted(PRODUCT)
