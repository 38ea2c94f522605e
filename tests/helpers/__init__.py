"""Helpers shared by several test modules (one place, so that test modules never import each other)."""
