"""Generators of synthetic data for tests, benchmarks and the bundled sample (not shipped in the wheel)."""
