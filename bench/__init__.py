"""Benchmarks (`make bench`): each bench_*.py writes bench/results/<name>.md; this package joins them."""
