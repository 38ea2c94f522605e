"""`curate pretrain` on CPU with the tiny model: learning, exact resume, checkpoints, the log, the CLI
and its errors. Shards come from devdata.shards (contract format, a real byte-level BPE tokenizer)."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest

torch = pytest.importorskip("torch", reason="torch comes with the `train` extra")

from devdata.shards import byte_level_tokenizer, synthetic_texts, write_shards, write_text_shards  # noqa: E402
from pipeline.cli import main as curate  # noqa: E402
from pretraining import model as model_module  # noqa: E402
from pretraining.options import CONFIG_NAMES, TrainOptions  # noqa: E402
from pretraining.rundir import read_log  # noqa: E402
from pretraining.sample import load_model  # noqa: E402
from pretraining.schedule import learning_rate  # noqa: E402
from pretraining.throughput import mfu, peak_tflops_for  # noqa: E402
from pretraining.train import train  # noqa: E402

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: the tiny model gains nothing from more, and a shared 2-core machine makes
    OpenMP's spinning threads very slow."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tokenizer():
    return byte_level_tokenizer(synthetic_texts(300, seed=1))


@pytest.fixture(scope="module")
def shards(tmp_path_factory, tokenizer):
    root = tmp_path_factory.mktemp("shards")
    write_text_shards(root, synthetic_texts(300, seed=2), tokenizer, val_fraction=0.1, row_group_tokens=1500)
    return root


def tiny(data, output, **changes) -> TrainOptions:
    base = TrainOptions(
        data=str(data),
        output=str(output),
        config="tiny",
        steps=12,
        context=32,
        micro_batch=4,
        batch_tokens=256,  # 2 micro-batches accumulated
        eval_every=4,
        eval_tokens=256,
        ckpt_every=4,
        progress=False,
    )
    return replace(base, **changes)


def test_tiny_model_overfits_a_small_batch(tmp_path, tokenizer):
    # 6 short documents, ~300 tokens: about two batches, seen again and again.
    data = tmp_path / "small"
    write_text_shards(data, synthetic_texts(6, seed=5), tokenizer, val_fraction=0)
    result = train(tiny(data, tmp_path / "run", steps=40, batch_tokens=128, lr=3e-3, warmup_steps=4))
    losses = [r["loss"] for r in result.records]
    assert losses[0] > 5.0  # ~ln(384): uniform over the vocabulary at the start
    assert losses[-1] < losses[0] / 4, losses  # ~0.8 from ~6.0 here


def test_a_stopped_and_resumed_run_logs_the_same_losses(tmp_path, shards):
    whole = train(tiny(shards, tmp_path / "whole"))
    first = train(tiny(shards, tmp_path / "split", stop_at=6))
    assert first.stopped_early and first.step == 6
    assert (tmp_path / "split" / "ckpt-6").is_dir()
    # a killed run may have logged steps after its last checkpoint: they are redone on resume
    with (tmp_path / "split" / "log.jsonl").open("a") as log:
        log.write(json.dumps({"step": 7, "loss": 0.0}) + "\n" + '{"step": 8, "lo')
    second = train(tiny(shards, tmp_path / "split", resume=True))
    assert second.step == 12 and [r["step"] for r in second.records] == list(range(7, 13))
    keys = ("step", "loss", "lr", "grad_norm", "tokens", "val_loss")
    expected = [[r.get(k) for k in keys] for r in read_log(tmp_path / "whole")]
    got = [[r.get(k) for k in keys] for r in read_log(tmp_path / "split")]
    assert len(expected) == 12 and got == expected
    assert sum("val_loss" in r for r in read_log(tmp_path / "split")) == 3  # steps 4, 8, 12
    assert whole.records[-1]["loss"] < whole.records[0]["loss"]


def test_a_checkpoint_reloads_into_an_identical_model(tmp_path, shards):
    result = train(tiny(shards, tmp_path / "run", steps=5, ckpt_every=2, keep_ckpts=2))
    assert sorted(p.name for p in (tmp_path / "run").glob("ckpt-*")) == ["ckpt-4", "ckpt-5"]  # last 2 kept
    loaded, step, eot_id = load_model(tmp_path / "run")
    assert step == 5 and eot_id == 0
    trained = result.model.eval()
    idx = torch.randint(0, 300, (2, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(trained(idx)[0], loaded(idx)[0])
    earlier, _, _ = load_model(tmp_path / "run", step=4)
    with torch.no_grad():
        assert not torch.equal(trained(idx)[0], earlier(idx)[0])


def test_log_jsonl_has_the_fields(tmp_path, shards):
    train(tiny(shards, tmp_path / "run", steps=4, peak_tflops=1.0))
    records = read_log(tmp_path / "run")
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    fields = {
        "step",
        "loss",
        "lr",
        "grad_norm",
        "tokens",
        "tokens_per_s",
        "mfu",
        "step_ms",
        "data_ms",
        "data_fraction",
    }
    for r in records:
        assert fields <= r.keys()
        assert math.isfinite(r["loss"]) and r["tokens_per_s"] > 0 and 0 <= r["data_fraction"] <= 1
        assert r["data_ms"] <= r["step_ms"]
    assert records[-1]["tokens"] == 4 * 256
    assert "val_loss" in records[3] and "val_loss" not in records[2]
    # MFU = FLOPs/token x tokens/s / peak (1 TFLOP/s given here); null on CPU without --peak-tflops
    model, _, _ = load_model(tmp_path / "run")
    assert records[0]["mfu"] == pytest.approx(model.flops_per_token() * records[0]["tokens_per_s"] / 1e12)
    train(tiny(shards, tmp_path / "plain", steps=1))
    assert read_log(tmp_path / "plain")[0]["mfu"] is None
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["options"]["lr"] == 3e-3 and run["model"]["block_size"] == 32  # defaults resolved


def test_curate_pretrain_trains_and_samples(tmp_path, shards, capsys):
    run = tmp_path / "run"
    args = ["pretrain", "--data", str(shards), "--config", "tiny", "--output", str(run)]
    assert (
        curate(
            [
                *args,
                "--steps",
                "3",
                "--context",
                "32",
                "--micro-batch",
                "4",
                "--batch-tokens",
                "128",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "step      3/3" in out and (run / "ckpt-3" / "model.pt").is_file()
    assert (run / "tokenizer.json").read_bytes() == (shards / "tokenizer.json").read_bytes()
    sample = ["pretrain", "sample", str(run), "--prompt", "The old farmer", "--max-new-tokens", "12"]
    assert curate([*sample, "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("The old farmer") and len(text) > len("The old farmer\n")
    assert curate([*sample, "--seed", "3"]) == 0
    assert capsys.readouterr().out == text  # same seed, same text
    assert curate([*sample, "--temperature", "0"]) == 0
    assert capsys.readouterr().out.startswith("The old farmer")


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        ("none", ["--data", "{tmp}/nowhere", "--config", "tiny"], "does not exist"),
        ("empty", ["--data", "{tmp}/empty", "--config", "tiny"], "manifest.json not found"),
        ("no_train", ["--data", "{tmp}/valonly", "--config", "tiny"], "lists no train shards"),
        ("none", ["--data", "{shards}", "--config", "gpt2-7b"], "unknown model config 'gpt2-7b'"),
        ("none", ["--data", "{shards}", "--config", "tiny", "--batch-tokens", "1000"], "not a multiple"),
        ("none", ["--config", "tiny"], "needs --data"),
        ("other_run", ["--data", "{shards}", "--config", "tiny"], "already holds a run"),
        ("other_run", ["--data", "{shards}", "--config", "tiny", "--resume", "--lr", "0.1"], "lr: run has"),
        ("not_a_run", ["--data", "{shards}", "--config", "tiny"], "holds no training run"),
    ],
)
def test_bad_inputs_give_clear_errors(tmp_path, shards, capsys, setup, argv, message):
    run = tmp_path / "run"
    if setup == "empty":
        (tmp_path / "empty").mkdir()
    elif setup == "no_train":
        write_shards(tmp_path / "valonly", [], [[1, 2]], vocab_size=10, eot_id=9)
    elif setup == "other_run":
        train(tiny(shards, run, steps=1))
    elif setup == "not_a_run":
        run.mkdir()
        (run / "notes.txt").write_text("mine")
    argv = [a.format(tmp=tmp_path, shards=shards) for a in argv]
    capsys.readouterr()
    assert curate(["pretrain", *argv, "--output", str(run), "--context", "32", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("curate: error: ") and message in err
    assert "Traceback" not in err


def test_sample_errors(tmp_path, capsys):
    assert curate(["pretrain", "sample", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert curate(["pretrain", "sample", str(tmp_path)]) == 2
    assert "holds no checkpoint" in capsys.readouterr().err


def test_help_needs_no_torch():
    code = (
        "import sys; from pipeline.cli import build_parser; p = build_parser(); "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "p.parse_args(['pretrain', '--data', 'x', '--config', 'tiny', '--output', 'y']); "
        "p.parse_args(['pretrain', 'sample', 'RUN', '--prompt', 'hi']); print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_config_names_match_the_model_table():
    assert tuple(model_module.CONFIGS) == CONFIG_NAMES


def test_gpt2_124m_shape_and_flops():
    config = model_module.make_config("gpt2-124m", vocab_size=50257)
    assert config.padded_vocab_size == 50304
    with torch.device("meta"):
        model = model_module.GPT(config)
    # GPT-2 small has 124M parameters with its learned position table (0.8M) and biases; ours has neither
    assert 123e6 < model.num_params() < 124e6
    assert model.flops_per_token() == 6 * model.num_params() + 12 * 12 * 1024 * 768


def test_learning_rate_schedules():
    lr = [learning_rate(s, 100, 1.0, 10, 0.1) for s in range(100)]
    assert lr[0] == pytest.approx(0.1) and lr[9] == pytest.approx(1.0)
    assert lr[10] == pytest.approx(1.0) and lr[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(lr[10:]))
    wsd = [learning_rate(s, 100, 1.0, 10, 0.1, "wsd", 0.2) for s in range(100)]
    assert wsd[10:80] == [1.0] * 70 and wsd[-1] == pytest.approx(0.1) and wsd[85] < 1.0


def test_peak_table():
    assert peak_tflops_for("NVIDIA H100 80GB HBM3") == 989
    assert peak_tflops_for("NVIDIA H200") == 989
    assert peak_tflops_for("NVIDIA H100 PCIe") == 756
    assert peak_tflops_for("NVIDIA A100-SXM4-80GB") == 312
    assert peak_tflops_for("NVIDIA GeForce RTX 4090") is None and peak_tflops_for(None) is None
    assert mfu(1e9, 1e5, 100.0) == pytest.approx(1e14 / 1e14)
    assert mfu(1e9, 1e5, None) is None
