"""The bundled GPT pretraining stage: `curate pretrain` reads tokenized shards and trains a GPT-2-style model."""
