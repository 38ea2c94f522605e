"""The run directory: RUNDIR/run.json, tokenizer.json, log.jsonl and ckpt-<step>/.

run.json holds the resolved options, the model config and the data fingerprint: what makes this run
this run, checked by --resume. A checkpoint is a folder written under a temporary name and renamed
when complete (a killed run leaves no half checkpoint): model.pt (weights and model config, all that
`sample` needs) and state.pt (optimizer, data positions of every rank, RNG states, step).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

RUN_FILE, LOG_FILE, TOKENIZER_FILE = "run.json", "log.jsonl", "tokenizer.json"
CKPT_PATTERN = re.compile(r"^ckpt-(\d+)$")
TMP_PREFIX = ".tmp-"


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def checkpoints(rundir: Path) -> list[tuple[int, Path]]:
    """(step, folder) of the complete checkpoints, oldest first."""
    if not rundir.is_dir():
        return []
    found = [
        (int(m.group(1)), p) for p in rundir.iterdir() if (m := CKPT_PATTERN.match(p.name)) and p.is_dir()
    ]
    return sorted(found)


def latest_checkpoint(rundir: Path) -> Path | None:
    found = checkpoints(rundir)
    return found[-1][1] if found else None


def _own_entries(rundir: Path) -> list[Path]:
    names = (RUN_FILE, LOG_FILE, TOKENIZER_FILE)
    return [
        p
        for p in rundir.iterdir()
        if p.name in names or CKPT_PATTERN.match(p.name) or p.name.startswith(TMP_PREFIX)
    ]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def prepare_rundir(
    rundir: Path, record: dict[str, Any], given: dict[str, Any], resume: bool, overwrite: bool
) -> tuple[dict[str, Any], bool]:
    """Make rundir ready for this run; returns (the run record written to run.json, whether an earlier
    run is continued). Refuses to mix runs: rundir must be new or empty, hold this run (--resume), or
    be replaced (--overwrite). On --resume, the hyperparameters `given` must match the stored ones,
    and the stored ones win over defaults."""
    if rundir.exists() and not rundir.is_dir():
        raise ValueError(f"output {rundir} exists and is not a directory")
    rundir.mkdir(parents=True, exist_ok=True)
    run_file = rundir / RUN_FILE
    stored = json.loads(run_file.read_text()) if run_file.is_file() else None
    if overwrite:
        for path in _own_entries(rundir):
            _remove(path)
        stored = None
    elif stored is not None and not resume:
        raise ValueError(
            f"{rundir} already holds a run (config {stored['options']['config']!r}, "
            f"{stored['options']['steps']} steps); pass --resume to continue it or --overwrite to replace it"
        )
    elif stored is None and any(rundir.iterdir()):
        raise ValueError(
            f"{rundir} is not empty and holds no training run (no {RUN_FILE}); choose another --output"
        )
    for path in rundir.glob(f"{TMP_PREFIX}*"):  # left by a killed run: incomplete
        _remove(path)
    if stored is not None:
        _check_same_run(rundir, stored, record, given)
        record = _continued(stored, record)
    write_json_atomic(run_file, record)
    return record, stored is not None


def _check_same_run(
    rundir: Path, stored: dict[str, Any], record: dict[str, Any], given: dict[str, Any]
) -> None:
    if stored.get("data_fingerprint") != record["data_fingerprint"]:
        raise ValueError(
            f"{rundir} was trained on other shards than {record['options']['data']} (their manifest lists "
            "different files or checksums); --resume needs the same data, or use --overwrite"
        )
    differ = [
        f"{name}: run has {stored['options'].get(name)!r}, this one {value!r}"
        for name, value in given.items()
        if stored["options"].get(name) != value
    ]
    if differ:
        raise ValueError(
            f"--resume with settings that differ from the run in {rundir} ({'; '.join(differ)}); "
            "drop those options to continue it, or use --overwrite to start a new run"
        )


def _continued(stored: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The stored record, with the settings a resumed run may change (steps, how to run) taken anew."""
    from pretraining.options import HYPERPARAMETERS

    options = {k: (stored["options"][k] if k in HYPERPARAMETERS else v) for k, v in record["options"].items()}
    return {**stored, "options": options}


def read_log(rundir: Path) -> list[dict[str, Any]]:
    """log.jsonl's records; a last line cut off by a kill is ignored."""
    path = rundir / LOG_FILE
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def truncate_log(rundir: Path, last_step: int) -> None:
    """Keep the log records up to last_step (a resumed run logs the steps after its checkpoint again)."""
    kept = [r for r in read_log(rundir) if r["step"] <= last_step]
    tmp = rundir / f"{TMP_PREFIX}{LOG_FILE}"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
    os.replace(tmp, rundir / LOG_FILE)


def save_checkpoint(
    rundir: Path, step: int, model_blob: dict[str, Any], state_blob: dict[str, Any], keep: int
) -> Path:
    """Write ckpt-<step>/ atomically, then delete all but the newest `keep` checkpoints."""
    import torch

    final = rundir / f"ckpt-{step}"
    tmp = rundir / f"{TMP_PREFIX}ckpt-{step}"
    _remove(tmp)
    tmp.mkdir()
    torch.save(model_blob, tmp / "model.pt")
    torch.save(state_blob, tmp / "state.pt")
    (tmp / "meta.json").write_text(json.dumps({"step": step, "tokens": state_blob.get("tokens")}) + "\n")
    _remove(final)
    os.replace(tmp, final)
    for _, old in checkpoints(rundir)[:-keep]:
        _remove(old)
    return final


def load_checkpoint(path: Path, part: str) -> dict[str, Any]:
    """model.pt or state.pt of a checkpoint folder, onto the CPU. Our own files: pickled RNG states
    need weights_only=False (the default became True in torch 2.6)."""
    import torch

    file = path / f"{part}.pt"
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint file {file} does not exist")
    return torch.load(file, map_location="cpu", weights_only=False)
