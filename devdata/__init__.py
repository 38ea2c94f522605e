"""Synthetic, deterministic test and benchmark data generators (not shipped in the wheel)."""
