"""bench/results.md keeps the sections of benchmarks that were not re-run on this machine."""

from bench.__main__ import join_results


def test_a_partial_bench_run_keeps_the_other_sections(tmp_path):
    joined = tmp_path / "results.md"
    first = tmp_path / "first"
    first.mkdir()
    (first / "alpha.md").write_text("## alpha\n\nold alpha\n")
    (first / "beta.md").write_text("## beta\n\nbeta figures\n")
    join_results(first, joined)
    fresh = tmp_path / "fresh"  # a new checkout: the per-bench folder is not committed
    fresh.mkdir()
    (fresh / "alpha.md").write_text("## alpha\n\nnew alpha\n")
    join_results(fresh, joined)
    text = joined.read_text()
    assert "new alpha" in text and "old alpha" not in text
    assert "beta figures" in text and text.index("## alpha") < text.index("## beta")
