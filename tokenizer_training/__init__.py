"""Placeholder package: lands with its roadmap issue."""
