"""`curate tokenize --engine spark`: the same shards and manifest, byte for byte, as the local engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.tokenizer import REPO, make_corpus, train_small, tree_bytes
from tokenizer_training.mixture import Source
from tokenizer_training.tokenize import TokenizeConfig, tokenize

pytest.importorskip("pyspark", reason="the spark extra is not installed (make setup installs it)")
pytestmark = pytest.mark.slow
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Java not found: the Spark engine needs it (make setup installs it)", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def spark_environment():
    # executors are Python processes started by Spark: they find our packages through PYTHONPATH
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


def test_spark_and_local_workers_write_identical_shards(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", chars=150_000, parts=4)
    tokdir = train_small(corpus, tmp_path / "tok")
    sources = [Source("web", (str(corpus),), 0.7), Source("more", (str(corpus / "part-00000.parquet"),), 0.3)]
    outputs = {}
    for name, engine in {
        "local1": {"workers": 1},
        "spark": {"engine": "spark", "master": "local[2]"},
    }.items():
        out = tmp_path / name
        tokenize(
            TokenizeConfig(
                str(tokdir),
                sources,
                str(out),
                shard_tokens=20_000,
                val_fraction=0.05,
                progress=False,
                **engine,
            )
        )
        outputs[name] = tree_bytes(out)
    assert outputs["spark"] == outputs["local1"]
    assert sum(1 for path in outputs["spark"] if path.startswith("train/")) >= 2
