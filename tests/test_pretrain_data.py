"""The shard loader of `curate pretrain` (pretraining/data.py): every token once per epoch across ranks,
exact resume positions, both shard formats, clear errors. No torch needed."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from devdata.shards import write_shards
from pretraining.data import DataSplit, TokenLoader, list_chunks, read_chunk, read_manifest

EOT = 60_000
DOC_LENGTHS = [5, 17, 1, 40, 9, 23, 3, 31, 12, 7] * 6  # 60 documents, 888 ids


def unique_docs() -> list[list[int]]:
    """Documents of distinct ids (0, 1, 2, ... across all of them): each token is identifiable."""
    docs, next_id = [], 0
    for length in DOC_LENGTHS:
        docs.append(list(range(next_id, next_id + length)))
        next_id += length
    return docs


@pytest.fixture(scope="module", params=["parquet", "llmc"])
def shards(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"shards-{request.param}")
    docs = unique_docs()
    # several shards, many row groups: chunks of ~60 tokens
    write_shards(
        root,
        docs[:50],
        docs[50:],
        vocab_size=EOT + 1,
        eot_id=EOT,
        fmt=request.param,
        shard_tokens=300,
        row_group_tokens=60,
    )
    return root, request.param


def split_of(root, fmt, split="train") -> DataSplit:
    return DataSplit(read_manifest(root), split, llmc_chunk_tokens=50 if fmt == "llmc" else 1 << 20)


def rank_stream(split: DataSplit, rank: int, world: int, tokens: int, seed: int = 3) -> np.ndarray:
    """The first `tokens` ids of one rank's stream (whole batches read, then cut)."""
    B, T = 2, 15
    with TokenLoader(split, B, T, rank=rank, world_size=world, shuffle=True, seed=seed) as loader:
        batches = [next(loader) for _ in range(-(-tokens // (B * (T + 1))))]
    return np.concatenate([b.reshape(-1) for b in batches])[:tokens]


def check_one_epoch(streams: list[np.ndarray], docs: list[list[int]]) -> None:
    tokens = np.concatenate(streams)
    ids = np.sort(tokens[tokens != EOT])
    expected = np.sort(np.concatenate([np.array(d) for d in docs]))
    np.testing.assert_array_equal(ids, expected)  # every id exactly once: none lost, none repeated
    assert (tokens == EOT).sum() == len(docs)
    # documents arrive whole and in order, each followed by its end-of-text id
    stored = {d[0]: d for d in docs}
    for stream in streams:
        for piece in np.split(stream, np.flatnonzero(stream == EOT) + 1):
            if piece.size:
                assert piece[-1] == EOT
                assert piece[:-1].tolist() == stored[int(piece[0])]


def test_each_token_exactly_once_per_epoch_across_two_ranks(shards):
    root, fmt = shards
    split = split_of(root, fmt)
    docs = unique_docs()[:50]
    assert split.tokens == sum(len(d) + 1 for d in docs)
    world = 2
    epoch_tokens = [
        [sum(c.tokens for c in split.rank_chunks(epoch, r, world, True, 3)) for r in range(world)]
        for epoch in (0, 1)
    ]
    assert all(t > 0 for t in epoch_tokens[0]) and sum(epoch_tokens[0]) == split.tokens
    streams = [rank_stream(split, r, world, epoch_tokens[0][r] + epoch_tokens[1][r]) for r in range(world)]
    check_one_epoch([s[: epoch_tokens[0][r]] for r, s in enumerate(streams)], docs)
    # the stream runs on into a second epoch (another chunk order), again covering everything once
    check_one_epoch([s[epoch_tokens[0][r] :] for r, s in enumerate(streams)], docs)
    first = [s[: epoch_tokens[0][r]] for r, s in enumerate(streams)]
    second = [s[epoch_tokens[0][r] :] for r, s in enumerate(streams)]
    assert any(not np.array_equal(a, b) for a, b in zip(first, second)), "epochs should be reshuffled"


def test_one_rank_reads_the_same_tokens_as_two(shards):
    root, fmt = shards
    split = split_of(root, fmt)
    check_one_epoch([rank_stream(split, 0, 1, split.tokens)], unique_docs()[:50])


def test_a_loader_resumes_at_the_exact_token(shards):
    root, fmt = shards
    split = split_of(root, fmt)
    with TokenLoader(split, 3, 10, rank=1, world_size=2, seed=9) as loader:
        while loader.state_dict()["epoch"] == 0:  # resume in the second epoch: the order is reshuffled
            next(loader)
        next(loader)
        state = loader.state_dict()
        expected = [next(loader) for _ in range(5)]
    assert state["rank"] == 1 and state["world_size"] == 2 and state["epoch"] == 1
    json.dumps(state)  # the state is plain data for the checkpoint
    with TokenLoader(split, 3, 10, rank=1, world_size=2, seed=9, state=state) as resumed:
        got = [next(resumed) for _ in range(5)]
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_validation_order_is_the_manifest_order(shards):
    root, fmt = shards
    split = split_of(root, fmt, "val")
    with TokenLoader(split, 1, 20, shuffle=False) as loader:
        first = next(loader)[0]
    val_docs = unique_docs()[50:]
    stream = [t for d in val_docs for t in [*d, EOT]]
    assert first.tolist() == stream[:21]


def test_parquet_chunks_are_row_groups(tmp_path):
    write_shards(tmp_path, unique_docs(), [], vocab_size=EOT + 1, eot_id=EOT, row_group_tokens=100)
    manifest = read_manifest(tmp_path)
    chunks = list_chunks(manifest, "train")
    files = {s.path for s in manifest.split_shards("train")}
    assert len(chunks) == sum(pq.ParquetFile(f).metadata.num_row_groups for f in files) > 5
    assert all(c.tokens <= 100 or c.tokens == 41 for c in chunks)  # bounded (a 40-id doc + EOT alone)
    assert read_chunk(chunks[1]).dtype == np.uint16  # the stored dtype; ids widen only into batches


def test_uint32_shards_read_back(tmp_path):
    big = [[70_000, 5, 69_999], [1, 2]]
    write_shards(tmp_path, big, [], vocab_size=70_001, eot_id=70_000)
    manifest = read_manifest(tmp_path)
    assert manifest.dtype == "uint32"
    with TokenLoader(DataSplit(manifest, "train"), 1, 6, shuffle=False) as loader:
        assert next(loader)[0].tolist() == [70_000, 5, 69_999, 70_000, 1, 2, 70_000]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"manifest\.json not found"):
        read_manifest(tmp_path)
    write_shards(tmp_path, [[1, 2, 3]], [], vocab_size=10, eot_id=9)
    manifest_path = tmp_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    with pytest.raises(ValueError, match="1 chunk"):
        TokenLoader(DataSplit(read_manifest(tmp_path), "train"), 1, 2, rank=0, world_size=2)
    manifest["shards"][0]["tokens"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="holds 4 tokens, its manifest entry says 99"):
        DataSplit(read_manifest(tmp_path), "train")
    manifest["shards"][0]["path"] = "train/missing.parquet"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(FileNotFoundError, match=r"missing\.parquet"):
        read_manifest(tmp_path)
    del manifest["eot_id"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="'eot_id'"):
        read_manifest(tmp_path)
    manifest_path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_manifest(tmp_path)


def test_a_state_of_another_world_size_is_refused(tmp_path):
    write_shards(tmp_path, unique_docs(), [], vocab_size=EOT + 1, eot_id=EOT, row_group_tokens=100)
    split = DataSplit(read_manifest(tmp_path), "train")
    with TokenLoader(split, 1, 4, rank=0, world_size=2) as loader:
        next(loader)
        state = loader.state_dict()
    with pytest.raises(ValueError, match="same number of processes"):
        TokenLoader(split, 1, 4, rank=0, world_size=1, state=state)


def test_a_corrupt_llmc_header_is_reported(tmp_path):
    write_shards(tmp_path, [[1, 2, 3]], [], vocab_size=10, eot_id=9, fmt="llmc")
    path = tmp_path / "train" / "shard-00000.bin"
    data = bytearray(path.read_bytes())
    data[0:4] = (7).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"not an llm\.c token shard"):
        DataSplit(read_manifest(tmp_path), "train")


def test_chunks_end_at_document_ends(shards):
    root, fmt = shards
    split = split_of(root, fmt)
    assert len(split.chunks) > 10
    assert all(read_chunk(c)[-1] == EOT for c in split.chunks)


def test_random_shards_for_throughput_runs_follow_the_contract(tmp_path):
    from devdata.shards import write_random_shards

    write_random_shards(
        tmp_path, 50_000, 5_000, vocab_size=1000, doc_tokens=100, shard_tokens=20_000, row_group_tokens=4_000
    )
    manifest = read_manifest(tmp_path)
    train = DataSplit(manifest, "train")
    assert train.tokens == 50_000 and len(manifest.split_shards("train")) == 3 and len(train.chunks) > 10
    assert DataSplit(manifest, "val").tokens == 5_000
    ids = read_chunk(train.chunks[0])
    assert ids.max() <= 999 and (ids == 999).sum() == ids.size // 100  # one end-of-text per document


def test_a_read_error_on_the_loader_thread_reaches_the_caller(tmp_path):
    write_shards(tmp_path, unique_docs(), [], vocab_size=EOT + 1, eot_id=EOT, row_group_tokens=100)
    split = DataSplit(read_manifest(tmp_path), "train")
    (tmp_path / "train" / "shard-00000.parquet").unlink()  # gone after the chunks were listed
    loader = TokenLoader(split, 1, 4)
    with pytest.raises(OSError):
        next(loader)
    loader.close()
