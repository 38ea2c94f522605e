"""Spark entry points for spark-submit (thin: they call the same CLI and stages as `curate run`)."""
