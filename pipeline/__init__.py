"""curate: a FineWeb-style pretraining-data pipeline (WARC -> clean text -> tokenized shards)."""

__version__ = "0.1.0"
