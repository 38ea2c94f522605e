"""Byte-level BPE tokenizer training (`curate tokenizer train|eval`) and tokenized shard writing (`curate tokenize`)."""
