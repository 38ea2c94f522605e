"""Load a trained tokenizer (TOKDIR or a tokenizer.json) for encoding documents.

A tokenizer.json of our byte-level layout (tokenizer_training.bpe) is encoded with `tiktoken` built
from the same ranks and pattern: several times faster per core than HF tokenizers' encoder on the
same vocabulary (bench/bench_tokenizer.py), and the ids are the same (tests/test_tokenizer_train.py
checks both encoders against each other). Any other tokenizer.json falls back to HF tokenizers.

Documents are encoded as ordinary text: a literal "<|endoftext|>" inside a document is spelled with
ordinary tokens, so only the separator we append is the special id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenizer_training.bpe import EOT, Vocabulary, vocabulary_from_tokenizer_json

TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "card.json"


def tokenizer_file(where: str | Path) -> Path:
    """TOKDIR/tokenizer.json, or the file itself; a clear error when it is missing."""
    path = Path(where)
    if path.is_dir():
        path = path / TOKENIZER_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f"{where} holds no {TOKENIZER_FILE}: give the TOKDIR written by `curate tokenizer train`"
            )
    elif not path.is_file():
        raise FileNotFoundError(f"tokenizer {where} does not exist (expected a TOKDIR with {TOKENIZER_FILE})")
    return path


@dataclass
class LoadedTokenizer:
    """Encoding and decoding with one tokenizer.json; `encode_batch` appends nothing."""

    path: Path
    raw: bytes
    vocabulary: Vocabulary | None
    vocab_size: int
    specials: dict[str, int]
    _tiktoken: Any = field(default=None, repr=False)
    _hf: Any = field(default=None, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def eot_id(self) -> int:
        return self.specials[EOT]

    @property
    def library(self) -> str:
        return "tiktoken" if self.vocabulary is not None else "tokenizers"

    def encode(self, text: str) -> list[int]:
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        if self.vocabulary is not None:
            encoding = self.tiktoken_encoding()
            return [encoding.encode_ordinary(text) for text in texts]
        return [e.ids for e in self.hf().encode_batch(texts, add_special_tokens=False)]

    def decode(self, ids: list[int]) -> str:
        if self.vocabulary is not None:
            return self.tiktoken_encoding().decode(ids)
        return self.hf().decode(ids, skip_special_tokens=False)

    def tiktoken_encoding(self) -> Any:
        if self._tiktoken is None:
            import tiktoken

            assert self.vocabulary is not None
            self._tiktoken = tiktoken.Encoding(
                name=f"curate-{self.sha256[:12]}",
                pat_str=self.vocabulary.pattern,
                mergeable_ranks=self.vocabulary.ranks,
                special_tokens=self.specials,
            )
        return self._tiktoken

    def hf(self) -> Any:
        if self._hf is None:
            from tokenizers import Tokenizer

            self._hf = Tokenizer.from_str(self.raw.decode("utf-8"))
        return self._hf


def load_tokenizer(where: str | Path) -> LoadedTokenizer:
    path = tokenizer_file(where)
    raw = path.read_bytes()
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    vocabulary = vocabulary_from_tokenizer_json(spec, str(path))
    if vocabulary is not None:
        return LoadedTokenizer(path, raw, vocabulary, vocabulary.size, dict(vocabulary.specials))
    from tokenizers import Tokenizer

    try:
        hf = Tokenizer.from_str(raw.decode("utf-8"))
    except Exception as err:  # tokenizers raises its own Exception type for a malformed file
        raise ValueError(f"{path} does not load with HF tokenizers: {err}") from None
    specials = {t["content"]: t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
    if EOT not in specials:
        raise ValueError(f"{path} has no {EOT} special token (it separates documents)")
    return LoadedTokenizer(path, raw, None, hf.get_vocab_size(with_added_tokens=True), specials, _hf=hf)
