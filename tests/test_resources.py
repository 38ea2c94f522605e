"""Shipped files (recipes, demo blocklists) found from a checkout and from the `make dist` zip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from pipeline.core.recipe import recipes_dir
from pipeline.dist import build
from pipeline.io.resources import shipped
from tests.conftest import REPO

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import pipeline
from pipeline.core.recipe import available_recipes, load_recipe, recipes_dir
from filters.url import resolve_path
recipe = load_recipe("fineweb")
print(json.dumps({
    "module": pipeline.__file__,
    "recipes": str(recipes_dir()),
    "names": sorted(available_recipes()),
    "stages": [s.name for s in recipe.stages],
    "demo": str(resolve_path("data/blocklists/demo")),
    "domains": (resolve_path("data/blocklists/demo") / "domains").is_file(),
}))
"""


def test_checkout_reads_shipped_files_in_place():
    assert recipes_dir() == REPO / "recipes"
    assert shipped("data/blocklists/demo") == REPO / "data" / "blocklists" / "demo"


def test_dist_zip_is_deterministic_and_serves_recipes_and_lists(tmp_path):
    first, second = tmp_path / "a" / "curate.zip", tmp_path / "b" / "curate.zip"
    build(REPO, first)
    build(REPO, second)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "pipeline/run.py" in names and "recipes/fineweb.yaml" in names
    assert "data/blocklists/demo/domains" in names and not any("__pycache__" in n for n in names)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(first)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert found["module"].startswith(str(first))  # imported from the zip, not the checkout
    assert "curate-shipped" in found["recipes"] and "fineweb" in found["names"]
    assert found["stages"][0] == "url_filter" and found["domains"] is True
    assert "curate-shipped" in found["demo"]
