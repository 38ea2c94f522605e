"""Engines run a recipe segment over input files and compute the global stages' analyses: local processes or Spark."""
