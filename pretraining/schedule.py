"""Learning rate per optimizer step: linear warm-up, then cosine decay or warmup-stable-decay (WSD).

cosine: after warm-up, lr falls along half a cosine from the peak to min_lr_ratio x peak at the last
step (GPT-3, nanoGPT). wsd: the peak is held until the last `decay_fraction` of the steps, then lr
falls linearly to the minimum (Hu et al. 2024, "MiniCPM"); a run can then be extended from a
checkpoint taken before the decay.
"""

from __future__ import annotations

import math


def learning_rate(
    step: int,
    steps: int,
    peak: float,
    warmup_steps: int,
    min_lr_ratio: float,
    schedule: str = "cosine",
    decay_fraction: float = 0.2,
) -> float:
    """lr for step (0-based) of a run of `steps` steps."""
    floor = peak * min_lr_ratio
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    if schedule == "wsd":
        decay_start = max(warmup_steps, steps - round(decay_fraction * steps))
        if step < decay_start:
            return peak
        progress = (step - decay_start + 1) / max(1, steps - decay_start)
        return peak - (peak - floor) * min(1.0, progress)
    if schedule != "cosine":
        raise ValueError(f"unknown learning-rate schedule {schedule!r} (cosine or wsd)")
    progress = min(1.0, (step - warmup_steps) / max(1, steps - 1 - warmup_steps))
    return floor + 0.5 * (1.0 + math.cos(math.pi * progress)) * (peak - floor)
