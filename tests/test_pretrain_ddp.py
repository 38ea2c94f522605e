"""Two-process training on CPU (DDP over gloo, as under `torchrun --nproc_per_node=2`): it trains,
every rank's data position lands in the checkpoint, and an interrupted run resumes to the same losses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch comes with the `train` extra")

from devdata.shards import byte_level_tokenizer, synthetic_texts, write_text_shards  # noqa: E402
from pretraining.rundir import load_checkpoint, read_log  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


def launch_two_ranks(shards: Path, run: Path, *extra: str) -> str:
    """What `torchrun --nproc_per_node=2 -m pretraining.train ...` starts: two processes with RANK,
    WORLD_SIZE, LOCAL_RANK and a rendezvous address in their environment (started here directly, to
    spare the agent process's start-up on a small machine). Returns rank 0's output."""
    command = [
        sys.executable, "-m", "pretraining.train", "--data", str(shards), "--config", "tiny", "--output", str(run),
        "--steps", "6", "--context", "32", "--micro-batch", "2", "--batch-tokens", "256",
        "--eval-every", "3", "--eval-tokens", "128", "--ckpt-every", "3", "--no-progress", *extra,
    ]  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT), "WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}  # fmt: skip
    procs = []
    for rank in range(2):
        env = {**base, "RANK": str(rank), "LOCAL_RANK": str(rank)}
        procs.append(
            subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out
    return outputs[0]


@pytest.mark.slow
def test_two_processes_train_checkpoint_and_resume(tmp_path):
    shards = tmp_path / "shards"
    texts = synthetic_texts(200, seed=4)
    write_text_shards(shards, texts, byte_level_tokenizer(texts), val_fraction=0.1, row_group_tokens=800)

    launch_two_ranks(shards, tmp_path / "whole")
    whole = read_log(tmp_path / "whole")
    assert [r["step"] for r in whole] == list(range(1, 7))
    assert whole[-1]["loss"] < whole[0]["loss"] and "val_loss" in whole[2]
    positions = load_checkpoint(tmp_path / "whole" / "ckpt-6", "state")["data"]
    assert [(p["rank"], p["world_size"]) for p in positions] == [(0, 2), (1, 2)]
    assert positions[0] != positions[1]  # the ranks read different chunks

    # As if killed after step 5: its last checkpoint is ckpt-3, its log runs to step 5.
    split = tmp_path / "split"
    shutil.copytree(tmp_path / "whole", split)
    shutil.rmtree(split / "ckpt-6")
    (split / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in whole[:5]))
    out = launch_two_ranks(shards, split, "--resume")
    assert "resuming after step 3" in out
    keys = ("step", "loss", "lr", "val_loss")
    assert [[r.get(k) for k in keys] for r in read_log(split)] == [[r.get(k) for k in keys] for r in whole]
