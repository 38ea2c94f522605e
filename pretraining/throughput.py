"""Model FLOPs utilisation (MFU): achieved training FLOP/s over the accelerator's dense bf16 peak.

FLOPs per token come from the model (`GPT.flops_per_token`, the PaLM appendix B estimate). Peaks are
NVIDIA's datasheet figures for dense bf16 tensor-core math (without structured sparsity).
"""

from __future__ import annotations

# (substring of torch.cuda.get_device_name(), peak dense bf16 TFLOP/s), first match wins: the more
# specific names come first ("H100 PCIe" before "H100"; "GH200" contains "H200").
PEAK_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756.0),  # H100 PCIe datasheet
    ("H200", 989.0),  # H200 SXM datasheet (same tensor cores as H100 SXM)
    ("H100", 989.0),  # H100 SXM datasheet ("NVIDIA H100 80GB HBM3")
    ("A100", 312.0),  # A100 datasheet (SXM and PCIe)
)


def peak_tflops_for(device_name: str | None) -> float | None:
    """The table's peak for a GPU name, or None when the GPU is not in the table (or on CPU)."""
    if not device_name:
        return None
    for key, tflops in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops
    return None


def mfu(
    flops_per_token: float, tokens_per_second: float, peak_tflops: float | None, devices: int = 1
) -> float | None:
    """Fraction of the peak of `devices` accelerators; None without a known peak."""
    if not peak_tflops or tokens_per_second <= 0:
        return None
    return flops_per_token * tokens_per_second / (peak_tflops * 1e12 * devices)
