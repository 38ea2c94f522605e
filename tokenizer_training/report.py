"""SHARDDIR/report.html: totals, per source, per split and a tokens-per-document histogram.

One self-contained page (inline CSS and SVG, nothing fetched); its bytes depend only on the
manifest and the histogram, so reruns and engines give the same file.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

MAX_SHARD_ROWS = 100  # the page stays small; manifest.json lists every shard
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "td,th{border-bottom:1px solid #ddd;padding:0.25em 0.8em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.plot{max-width:100%;height:auto}"
)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def histogram_svg(histogram: np.ndarray) -> str:
    """Documents per power-of-two band of token counts."""
    from pipeline.report.plots import render

    used = np.nonzero(histogram)[0]
    if not len(used):
        return "<p>(no documents)</p>"
    bands = list(range(int(used[0]), int(used[-1]) + 1))
    labels = [f"{1 << b}" if b == 0 else f"{1 << b}-{(1 << (b + 1)) - 1}" for b in bands]

    def draw(ax: Any) -> None:
        ax.bar(range(len(bands)), [int(histogram[b]) for b in bands], color="#4a7fb5")
        ax.set_xticks(range(len(bands)), labels, rotation=45, ha="right")
        ax.set_xlabel("tokens per document (including <|endoftext|>)")
        ax.set_ylabel("documents")

    return render("tokens-per-document", 7.0, 3.0, draw, margins=(0.7, 1.0, 0.15, 0.2))


def render_report(manifest: dict[str, Any], histogram: np.ndarray) -> str:
    totals = manifest["totals"]
    tokenizer = manifest["tokenizer"]
    parts = [
        "<h1>Tokenized shards</h1>",
        f"<p>{totals['tokens']:,} tokens in {totals['documents']:,} documents, format {manifest['format']}, "
        f"dtype {manifest['dtype']}, vocabulary {manifest['vocab_size']:,} (tokenizer sha256 "
        f"{tokenizer['sha256'][:16]}…, &lt;|endoftext|&gt; = {manifest['eot_id']}).</p>",
        "<h2>Splits</h2>",
        _table(
            ["split", "tokens", "documents", "shards", "tokens/document"],
            [
                [
                    s,
                    totals[s]["tokens"],
                    totals[s]["documents"],
                    totals[s]["shards"],
                    totals[s]["tokens"] / totals[s]["documents"] if totals[s]["documents"] else 0.0,
                ]
                for s in ("train", "val")
            ],
        ),
        "<h2>Sources (train)</h2>",
        _table(
            [
                "source",
                "weight",
                "target share",
                "realised share",
                "epochs",
                "tokens",
                "documents",
                "val tokens",
            ],
            [
                [
                    s["name"],
                    s["weight"],
                    s["target_share"],
                    s["share"],
                    s["epochs"],
                    s["tokens"],
                    s["documents"],
                    s["val_tokens"],
                ]
                for s in manifest["sources"]
            ],
        ),
        "<h2>Tokens per document</h2>",
        histogram_svg(histogram),
        "<h2>Shards</h2>",
        _table(
            ["path", "tokens", "documents", "sha256"],
            [
                [s["path"], s["tokens"], s["documents"], s["sha256"][:16] + "…"]
                for s in manifest["shards"][:MAX_SHARD_ROWS]
            ],
        ),
    ]
    if len(manifest["shards"]) > MAX_SHARD_ROWS:
        parts.append(
            f"<p>… and {len(manifest['shards']) - MAX_SHARD_ROWS:,} more shards (see manifest.json).</p>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>curate tokenize</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )
