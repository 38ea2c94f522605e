"""Byte-level BPE vocabularies: split patterns, `tokenizer.json` from merge ranks, and back.

One layout for every tokenizer we write, whichever library trained it: ids 0-255 are the 256 single
bytes (id == byte value), ids 256.. are the merges in the order they were learned (a token's id is its
rank), and the special tokens follow the last merge. `tokenizer.json` holds the vocabulary in HF
`tokenizers`' byte-level form (GPT-2's printable stand-in character for each byte), a Split
pre-tokenizer with the pattern, and the merge list, so `tokenizers.Tokenizer.from_file` and
`transformers.PreTrainedTokenizerFast` both load it; the same ranks drive `tiktoken` for fast encoding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

EOT = "<|endoftext|>"

# Pre-tokenisation split patterns. Both are written without possessive quantifiers on purpose:
# HF tokenizers runs Oniguruma with Ruby syntax, where `\p{N}{1,3}+` means "one or more runs of 1-3
# digits" (not possessive), so tiktoken's current cl100k string splits numbers differently under
# the two libraries. These forms give the same pieces under both (tested).
SPLIT_PATTERNS = {
    # GPT-4's cl100k_base pattern as first published in tiktoken (tiktoken_ext/openai_public.py,
    # before it was rewritten with possessive quantifiers for speed).
    "gpt4": (
        r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
        r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
    ),
    # nanochat's variant (nanochat/tokenizer.py SPLIT_PATTERN): numbers split in runs of 1-2 digits
    # so that a small vocabulary spends fewer tokens on numbers.
    "nanochat": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
        r"""|\s*[\r\n]|\s+(?!\S)|\s+"""
    ),
}
DEFAULT_PATTERN = "gpt4"


@cache
def byte_to_char() -> tuple[str, ...]:
    """The printable character standing for each byte in byte-level BPE (GPT-2's convention, which HF
    `tokenizers`' ByteLevel uses): printable Latin-1 bytes stand for themselves, the other 68 bytes take
    the code points from U+0100 on, in byte order."""
    printable = {*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)}
    chars, shifted = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(0x100 + shifted))
            shifted += 1
    return tuple(chars)


@cache
def char_to_byte() -> dict[int, int]:
    """A str.translate table: each stand-in character to the code point of its byte (then Latin-1)."""
    table = dict.fromkeys(range(256), 0x100)  # a raw byte value is no stand-in: it fails to encode
    table.update({ord(char): byte for byte, char in enumerate(byte_to_char())})
    return table


def token_text(token: bytes) -> str:
    table = byte_to_char()
    return "".join(table[b] for b in token)


def token_bytes(text: str) -> bytes:
    try:
        return text.translate(char_to_byte()).encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"token {text!r} is not a byte-level token") from None


def split_with_ranks(token: bytes, ranks: dict[bytes, int], below: int) -> list[bytes]:
    """Run rank-ordered BPE (tiktoken's rule: merge the adjacent pair whose concatenation has the lowest
    rank) over `token`'s bytes using only ranks below `below`."""
    parts = [token[i : i + 1] for i in range(len(token))]
    while len(parts) > 1:
        best_rank, best_at = below, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_rank, best_at = rank, i
        if best_at < 0:
            break
        parts[best_at : best_at + 2] = [parts[best_at] + parts[best_at + 1]]
    return parts


def merges_from_ranks(ranks: dict[bytes, int]) -> list[tuple[bytes, bytes]]:
    """The merge list equivalent to rank-ordered BPE: for each multi-byte token (by rank), the two
    pieces that BPE with the lower ranks leaves of its bytes. Those pieces are what tiktoken joins last,
    so a merge-list encoder (HF tokenizers) takes the same steps."""
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) == 1:
            continue
        parts = split_with_ranks(token, ranks, rank)
        if len(parts) != 2:
            raise ValueError(f"token {token!r} (rank {rank}) cannot be formed from two lower-ranked tokens")
        merges.append((parts[0], parts[1]))
    return merges


@dataclass(frozen=True)
class Vocabulary:
    """A trained byte-level BPE: ranks (bytes -> id), the merge list, pattern and special tokens."""

    ranks: dict[bytes, int]
    merges: list[tuple[bytes, bytes]]
    pattern: str
    specials: dict[str, int]

    @property
    def size(self) -> int:
        """Ids 0..size-1 (the largest id plus one)."""
        return max(max(self.ranks.values()), *self.specials.values()) + 1

    @property
    def eot_id(self) -> int:
        return self.specials[EOT]

    @classmethod
    def from_ranks(cls, ranks: dict[bytes, int], pattern: str, special_tokens: list[str]) -> Vocabulary:
        check_ranks(ranks)
        first = len(ranks)
        return cls(
            ranks, merges_from_ranks(ranks), pattern, {t: first + i for i, t in enumerate(special_tokens)}
        )

    @classmethod
    def from_merges(
        cls, merges: list[tuple[bytes, bytes]], pattern: str, special_tokens: list[str]
    ) -> Vocabulary:
        """Ids in our layout from a merge list in learning order (HF tokenizers' trainer output)."""
        ranks = {bytes([b]): b for b in range(256)}
        for left, right in merges:
            ranks.setdefault(left + right, len(ranks))
        first = len(ranks)
        return cls(ranks, merges, pattern, {t: first + i for i, t in enumerate(special_tokens)})

    def to_tokenizer_json(self) -> dict[str, Any]:
        """The `tokenizers` serialisation (format version 1.0)."""
        added = [
            {
                "id": token_id,
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for token, token_id in sorted(self.specials.items(), key=lambda item: item[1])
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {
                        "type": "Split",
                        "pattern": {"Regex": self.pattern},
                        "behavior": "Isolated",
                        "invert": False,
                    },
                    {
                        "type": "ByteLevel",
                        "add_prefix_space": False,
                        "trim_offsets": True,
                        "use_regex": False,
                    },
                ],
            },
            "post_processor": None,
            "decoder": {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "trim_offsets": True,
                "use_regex": False,
            },
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": {token_text(t): i for t, i in sorted(self.ranks.items(), key=lambda item: item[1])},
                "merges": [[token_text(a), token_text(b)] for a, b in self.merges],
            },
        }

    def tokenizer_json_text(self) -> str:
        return json.dumps(self.to_tokenizer_json(), ensure_ascii=False, indent=None) + "\n"

    def tiktoken_ranks_text(self) -> str:
        """tiktoken's rank-file format (base64 token, space, rank per line), as its `load_tiktoken_bpe` reads."""
        import base64

        lines = (
            f"{base64.b64encode(t).decode()} {r}" for t, r in sorted(self.ranks.items(), key=lambda i: i[1])
        )
        return "\n".join(lines) + "\n"


def check_ranks(ranks: dict[bytes, int]) -> None:
    if any(ranks.get(bytes([b])) is None for b in range(256)):
        raise ValueError("a byte-level vocabulary needs all 256 single bytes")
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise ValueError("token ranks must be 0..N-1 without gaps")


def vocabulary_from_tokenizer_json(spec: dict[str, Any], where: str) -> Vocabulary | None:
    """Our layout back from a parsed tokenizer.json, or None when the file is not of the byte-level
    Split+ByteLevel BPE shape we write (the caller then encodes with HF tokenizers itself)."""
    model = spec.get("model") or {}
    pre = spec.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers") if pre.get("type") == "Sequence" else None
    if (
        model.get("type") != "BPE"
        or spec.get("normalizer") is not None
        or not steps
        or len(steps) != 2
        or steps[0].get("type") != "Split"
        or steps[0].get("behavior") != "Isolated"
        or steps[0].get("invert")
        or "Regex" not in (steps[0].get("pattern") or {})
        or steps[1].get("type") != "ByteLevel"
        or steps[1].get("use_regex")
        or steps[1].get("add_prefix_space")
    ):
        return None
    try:
        ranks = {token_bytes(text): token_id for text, token_id in model["vocab"].items()}
        merges = []
        for merge in model["merges"]:
            left, right = merge.split(" ") if isinstance(merge, str) else merge
            merges.append((token_bytes(left), token_bytes(right)))
    except (ValueError, KeyError, TypeError):
        return None
    if any(ranks.get(bytes([b])) != b for b in range(256)):
        return None  # not our id layout: tiktoken ranks would not reproduce its merge order
    if any(ranks.get(left + right, -1) < 256 + i for i, (left, right) in enumerate(merges)):
        return None  # a merge whose token is missing or ranked before the merge itself
    specials = {t["content"]: t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
    if EOT not in specials:
        raise ValueError(f"{where} has no {EOT} special token (it separates documents)")
    return Vocabulary(ranks, merges, steps[0]["pattern"]["Regex"], specials)
