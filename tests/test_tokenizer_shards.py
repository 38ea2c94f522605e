"""`curate tokenize`: the shard contract, determinism, --resume after a kill, llmc, mixtures, errors."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.helpers.tokenizer import (
    REPO,
    curate,
    curate_here,
    documents_by_id,
    make_corpus,
    train_small,
    tree_bytes,
)
from tokenizer_training.documents import below, id_hash
from tokenizer_training.encoder import load_tokenizer
from tokenizer_training.mixture import Source
from tokenizer_training.parts import VAL_SALT
from tokenizer_training.shards import LLMC_MAGIC, read_llmc
from tokenizer_training.tokenize import TokenizeConfig, tokenize

SHARD_TOKENS = 40_000
ROW_GROUP_TOKENS = 8_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"), chars=250_000, parts=6)


@pytest.fixture(scope="module")
def tokdir(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_small(corpus, tmp_path_factory.mktemp("tok") / "tok")


def run(tokdir: Path, out: Path, sources: list[Source], **settings) -> dict:
    options = {
        "shard_tokens": SHARD_TOKENS,
        "row_group_tokens": ROW_GROUP_TOKENS,
        "val_fraction": 0.05,
        "progress": False,
    }
    return tokenize(TokenizeConfig(str(tokdir), sources, str(out), **{**options, **settings})).manifest


@pytest.fixture(scope="module")
def single(corpus: Path, tokdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single") / "shards"
    run(tokdir, out, [Source("input", (str(corpus),))], workers=1)
    return out


def shard_rows(sharddir: Path, split: str) -> list[tuple[str, list[int]]]:
    rows = []
    for path in sorted((sharddir / split).glob("*.parquet")):
        table = pq.read_table(path)
        rows += list(zip(table.column("id").to_pylist(), table.column("input_ids").to_pylist()))
    return rows


def test_documents_round_trip_with_eot_and_hash_split(single: Path, corpus: Path, tokdir: Path) -> None:
    texts = documents_by_id(corpus)
    tokenizer = load_tokenizer(tokdir)
    train, val = shard_rows(single, "train"), shard_rows(single, "val")
    assert sorted(d for d, _ in train + val) == sorted(texts)  # every document exactly once
    for doc_id, ids in train + val:
        assert ids[-1] == tokenizer.eot_id and tokenizer.eot_id not in ids[:-1]
        assert tokenizer.decode(ids[:-1]) == texts[doc_id]
    assert {d for d, _ in val} == {d for d in texts if id_hash(d, VAL_SALT) < below(0.05)}
    assert 0 < len(val) < 0.15 * len(texts)
    order = [d for d, _ in train]
    assert order == [d for d in texts if d in set(order)]  # input order: parts by path, rows in order


def test_manifest_totals_match_shard_files(single: Path, tokdir: Path) -> None:
    manifest = json.loads((single / "manifest.json").read_text())
    assert list(manifest) == sorted(manifest)
    assert manifest["dtype"] == "uint16" and manifest["format"] == "parquet" and manifest["version"] == 1
    tokenizer_bytes = (tokdir / "tokenizer.json").read_bytes()
    assert (single / "tokenizer.json").read_bytes() == tokenizer_bytes
    assert manifest["tokenizer"]["sha256"] == hashlib.sha256(tokenizer_bytes).hexdigest()
    assert manifest["eot_id"] == manifest["tokenizer"]["eot_id"] == load_tokenizer(tokdir).eot_id
    totals = {"train": [0, 0, 0], "val": [0, 0, 0]}
    for shard in manifest["shards"]:
        path = single / shard["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shard["sha256"]
        file = pq.ParquetFile(path)
        assert file.schema_arrow.names == ["input_ids", "id"]
        assert str(file.schema_arrow.field("input_ids").type) == "list<element: uint16>"
        table = file.read()
        lengths = [len(x) for x in table.column("input_ids").to_pylist()]
        assert (table.num_rows, sum(lengths)) == (shard["documents"], shard["tokens"])
        assert shard["tokens"] <= SHARD_TOKENS or shard["documents"] == 1
        for group in range(file.num_row_groups):  # row groups bounded by tokens: ~ROW_GROUP_TOKENS
            group_tokens = sum(len(x) for x in file.read_row_group(group).column("input_ids").to_pylist())
            assert group_tokens < ROW_GROUP_TOKENS + max(lengths)
        totals[shard["split"]] = [
            a + b for a, b in zip(totals[shard["split"]], [shard["tokens"], shard["documents"], 1])
        ]
    for split in ("train", "val"):
        assert [manifest["totals"][split][k] for k in ("tokens", "documents", "shards")] == totals[split]
    assert manifest["totals"]["train"]["shards"] >= 3  # the budget split the corpus
    assert manifest["totals"]["tokens"] == totals["train"][0] + totals["val"][0]
    (source,) = manifest["sources"]
    assert source["tokens"] == totals["train"][0] and source["share"] == 1.0 and source["epochs"] == 1.0
    assert not (single / "_work").exists()


def test_report_is_self_contained(single: Path) -> None:
    page = (single / "report.html").read_text()
    assert "<svg" in page and "Tokens per document" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        "http://www.w3.org/1999/xlink", ""
    )
    assert "src=" not in page and "<link" not in page


def test_workers_give_identical_bytes(single: Path, corpus: Path, tokdir: Path, tmp_path: Path) -> None:
    run(tokdir, tmp_path / "w2", [Source("input", (str(corpus),))], workers=2)
    assert tree_bytes(tmp_path / "w2") == tree_bytes(single)


def test_resume_after_kill_gives_identical_shards(
    single: Path, corpus: Path, tokdir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    args = ["tokenize", "--tokenizer", str(tokdir), "--input", str(corpus), "--output", str(out), "--workers", "1",
            "--shard-tokens", str(SHARD_TOKENS), "--row-group-tokens", str(ROW_GROUP_TOKENS), "--val-fraction", "0.05",
            "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args], env=env, cwd=REPO, stderr=subprocess.PIPE
    )
    work = out / "_work" / "tokens"
    deadline = time.monotonic() + 60
    while not (work.is_dir() and any(work.glob("*.parquet"))) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "manifest.json").exists()  # killed mid-run
    (work / ".s000-p000005.parquet.tmp-deadbeef").write_bytes(b"half a file")  # as a kill mid-write leaves
    result = curate(*args, check=False)
    assert result.returncode == 2 and "--resume" in result.stderr
    result = curate(*args, "--resume")
    assert "already tokenized" in result.stderr
    assert tree_bytes(out) == tree_bytes(single)


def test_llmc_shards_have_the_header_and_the_same_tokens(
    single: Path, corpus: Path, tokdir: Path, tmp_path: Path
) -> None:
    manifest = run(tokdir, tmp_path / "llmc", [Source("input", (str(corpus),))], format="llmc", workers=1)
    assert manifest["format"] == "llmc"
    for split in ("train", "val"):
        shards = [s for s in manifest["shards"] if s["split"] == split]
        tokens = []
        for shard in shards:
            path = tmp_path / "llmc" / shard["path"]
            assert path.suffix == ".bin"
            header = np.fromfile(path, dtype="<i4", count=256)
            assert list(header[:3]) == [LLMC_MAGIC, 1, shard["tokens"]] and not header[3:].any()
            assert path.stat().st_size == 256 * 4 + 2 * shard["tokens"]
            tokens += read_llmc(path).tolist()
        expected = [t for _, ids in shard_rows(single, split) for t in ids]
        assert tokens == expected
    tokenizer = load_tokenizer(tokdir)
    first = read_llmc(tmp_path / "llmc" / "train" / "shard-00000.bin").tolist()
    end = first.index(tokenizer.eot_id)
    assert tokenizer.decode(first[:end]) == documents_by_id(corpus)[shard_rows(single, "train")[0][0]]


@pytest.fixture(scope="module")
def second_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus2"), chars=100_000, parts=2, seed=11)


def test_mixture_reaches_target_shares_by_subsampling(
    corpus: Path, second_corpus: Path, tokdir: Path, tmp_path: Path
) -> None:
    sources = [Source("web", (str(corpus),), 0.5), Source("code", (str(second_corpus),), 0.5)]
    manifest = run(tokdir, tmp_path / "mix", sources, workers=2)
    web, code = manifest["sources"]
    assert (
        code["epochs"] == 1.0 and web["epochs"] < 0.6
    )  # the scarce source is used once, the other subsampled
    assert abs(web["share"] - 0.5) < 0.02 and abs(code["share"] - 0.5) < 0.02
    assert web["tokens"] + code["tokens"] == manifest["totals"]["train"]["tokens"]
    ids = [d for d, _ in shard_rows(tmp_path / "mix", "train")]
    assert len(ids) == len(set(ids))  # subsampling repeats nothing
    # interleaved: both sources appear in the first tenth of the train stream
    code_ids = set(documents_by_id(second_corpus))
    head = ids[: len(ids) // 10]
    assert any(d in code_ids for d in head) and any(d not in code_ids for d in head)
    again = run(tokdir, tmp_path / "mix-again", sources, workers=1)
    assert again == manifest and tree_bytes(tmp_path / "mix-again") == tree_bytes(tmp_path / "mix")


def test_mixture_repeats_a_source_to_reach_its_share(
    corpus: Path, second_corpus: Path, tokdir: Path, tmp_path: Path
) -> None:
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        f"total_tokens: 160000\nsources:\n  - {{name: web, inputs: [{corpus}], weight: 0.5}}\n"
        f"  - {{name: code, inputs: [{second_corpus}], weight: 0.5}}\n"
    )
    code_, _, err = curate_here("tokenize", "--tokenizer", str(tokdir), "--mix-file", str(mix), "--output",
                                str(tmp_path / "rep"), "--no-progress", "--val-fraction", "0.05")  # fmt: skip
    assert code_ == 0, err
    manifest = json.loads((tmp_path / "rep" / "manifest.json").read_text())
    web, code = manifest["sources"]
    assert 1.5 < code["epochs"] < 2 and web["epochs"] < 1
    assert abs(code["share"] - 0.5) < 0.02 and abs(manifest["totals"]["train"]["tokens"] - 160_000) < 3_000
    counts = Counter(d for d, _ in shard_rows(tmp_path / "rep", "train"))
    code_ids = set(documents_by_id(second_corpus))
    repeats = [counts[d] for d in code_ids if d in counts]
    assert max(repeats) == 2 and min(repeats) >= 1  # one full pass, then part of a second
    val_ids = [d for d, _ in shard_rows(tmp_path / "rep", "val")]
    assert len(val_ids) == len(set(val_ids))  # val is never repeated


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "web/documents:0.5"], "bad --mix item 'web/documents:0.5'"),
        (["--mix", "web=DOCS:heavy"], "weight 'heavy' is not a number"),
        (["--mix", "web=DOCS:0.5", "web=DOCS:0.5"], "given twice"),
        (["--mix", "web=DOCS:-1"], "must be a positive number"),
    ],
)
def test_bad_mix_is_a_clear_error(
    corpus: Path, tokdir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.replace("DOCS", str(corpus)) for a in args]
    code, _, err = curate_here("tokenize", "--tokenizer", str(tokdir), *args, "--output", str(tmp_path / "o"))
    assert code == 2 and "curate: error:" in err and message in err


def test_input_and_output_errors(single: Path, corpus: Path, tokdir: Path, tmp_path: Path) -> None:
    empty, out = tmp_path / "empty", str(tmp_path / "o")
    empty.mkdir()
    tokenize_ = ["tokenize", "--no-progress"]
    code, _, err = curate_here(*tokenize_, "--tokenizer", str(empty), "--input", str(corpus), "--output", out)
    assert code == 2 and f"{empty} holds no tokenizer.json" in err
    code, _, err = curate_here(*tokenize_, "--tokenizer", str(tokdir), "--input", str(empty), "--output", out)
    assert code == 2 and f"input {empty} holds no Parquet parts" in err
    code, _, err = curate_here(
        *tokenize_, "--tokenizer", str(tokdir), "--input", str(corpus), "--output", str(single)
    )
    assert code == 2 and "--resume" in err and "--overwrite" in err
    code, _, err = curate_here(*tokenize_, "--tokenizer", str(tokdir), "--input", str(corpus), "--output",
                               str(single), "--resume", "--val-fraction", "0.1")  # fmt: skip
    assert code == 2 and "other inputs, tokenizer or settings" in err
    assert not Path(out).exists()


def test_vocab_past_65536_gives_uint32_and_no_llmc(corpus: Path, tokdir: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.json"  # the same merges, <|endoftext|> moved to id 69,999
    spec = json.loads((tokdir / "tokenizer.json").read_text())
    spec["added_tokens"][0]["id"] = 69_999
    big.write_text(json.dumps(spec))
    code, _, err = curate_here("tokenize", "--tokenizer", str(big), "--input", str(corpus), "--output",
                               str(tmp_path / "llmc"), "--format", "llmc")  # fmt: skip
    assert code == 2 and "--format llmc stores uint16 tokens" in err and "70,000 ids" in err
    manifest = run(
        big, tmp_path / "wide", [Source("input", (str(corpus / "part-00000.parquet"),))], workers=1
    )
    assert manifest["dtype"] == "uint32" and manifest["vocab_size"] == 70_000 and manifest["eot_id"] == 69_999
    file = pq.ParquetFile(tmp_path / "wide" / manifest["shards"][0]["path"])
    assert str(file.schema_arrow.field("input_ids").type) == "list<element: uint32>"
    ids = file.read().column("input_ids").to_pylist()
    assert all(row[-1] == 69_999 for row in ids)
