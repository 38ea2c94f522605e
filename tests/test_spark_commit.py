"""The Spark engine's commit protocol (no Spark needed): roll forward committed waves, drop the rest."""

import json

from pipeline.spark import recover_staging


def test_committed_wave_is_rolled_forward_and_uncommitted_one_dropped(tmp_path):
    out = tmp_path / "out"
    (out / "_shards").mkdir(parents=True)
    done = out / "_staging" / "wave1"
    (done / "documents").mkdir(parents=True)
    (done / "documents" / "part-00000-x.parquet").write_bytes(b"A")
    (out / "documents").mkdir()
    (out / "documents" / "part-wave1-00001.parquet").write_bytes(b"B")  # moved before the crash
    moves = [
        ["documents/part-00000-x.parquet", "documents/part-wave1-00000.parquet"],
        ["documents/part-00001-y.parquet", "documents/part-wave1-00001.parquet"],
    ]
    (done / "commit.json").write_text(
        json.dumps({"segment": "s0", "moves": moves, "shards": {"in1-abc": {"final_documents": 1}}})
    )
    half = out / "_staging" / "wave2"
    (half / "documents").mkdir(parents=True)
    (half / "documents" / "part-00000-z.parquet").write_bytes(b"C")

    recover_staging(out)

    assert sorted(p.name for p in (out / "documents").iterdir()) == [
        "part-wave1-00000.parquet",
        "part-wave1-00001.parquet",
    ]
    assert (out / "documents" / "part-wave1-00000.parquet").read_bytes() == b"A"
    assert json.loads((out / "_shards" / "s0" / "in1-abc.json").read_text()) == {"final_documents": 1}
    assert not (out / "_staging").exists()
