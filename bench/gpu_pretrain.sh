#!/usr/bin/env bash
# Throughput of gpt2-124m on one GPU: STEPS optimizer steps of 524,288 tokens (default 300), then
# tokens/s, MFU and the data-loading share from log.jsonl. Run from a checkout on a CUDA machine:
#
#   bench/gpu_pretrain.sh [SHARDDIR] [STEPS]
#
# SHARDDIR: shards from `curate tokenize`. Without it, random ids at GPT-2's vocabulary size are
# written to $WORK/shards first (`python -m devdata.shards`, 160M tokens, ~0.3 GB; speed does not
# depend on the ids). 300 steps = 157M tokens: about 6 minutes at 450K tokens/s, plus compilation.
# Environment: PYTHON (default python), WORK (default /tmp/curate-gpu-pretrain), EXTRA (more options
# for pretraining.train, e.g. "--micro-batch 16" or "--no-compile").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
WORK=${WORK:-/tmp/curate-gpu-pretrain}
SHARDS=${1:-}
STEPS=${2:-300}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA device')"
if [ -z "$SHARDS" ]; then
  SHARDS="$WORK/shards"
  [ -f "$SHARDS/manifest.json" ] || "$PYTHON" -m devdata.shards --output "$SHARDS" --tokens 160000000
fi
# shellcheck disable=SC2086  # EXTRA is a list of options
"$PYTHON" -m pretraining.train --data "$SHARDS" --config gpt2-124m --output "$WORK/run" --steps "$STEPS" \
  --batch-tokens 524288 --micro-batch 32 --eval-every 100 --ckpt-every "$STEPS" --log-every 10 \
  --overwrite --no-progress ${EXTRA:-}

"$PYTHON" - "$WORK/run/log.jsonl" <<'PY'
import json, pathlib, statistics, sys

log = pathlib.Path(sys.argv[1])
records = [json.loads(line) for line in log.open()]
config = json.loads((log.parent / "run.json").read_text())["options"]["config"]
steady = records[20:] or records  # the first steps compile and warm up

def median(key):
    values = [r[key] for r in steady if r.get(key) is not None]
    return statistics.median(values) if values else None

mfu = median("mfu")
print(f"{config}, {len(records)} steps; medians of steps {steady[0]['step']}-{steady[-1]['step']}:")
print(f"  tokens/s       {median('tokens_per_s'):,.0f}")
print(f"  MFU            {'n/a (unknown GPU: pass --peak-tflops via EXTRA)' if mfu is None else f'{mfu:.1%}'}")
print(f"  step           {median('step_ms'):,.0f} ms")
print(f"  data loading   {median('data_fraction'):.2%} of a step (target: under 5%)")
if median("mem_gib") is not None:
    print(f"  peak memory    {max(r['mem_gib'] for r in records):.1f} GiB")
print(f"  loss           {records[0]['loss']:.3f} -> {records[-1]['loss']:.3f}")
PY
