"""`curate inspect DIR --stage NAME [--reason R] [--n 5] [--kept]`: a stage's samples in the terminal.

Rejected rows come from DIR/rejected/<stage>/ with their reason and the value that tripped it; with
`--kept`, rows the stage kept (final documents, then rows later stages rejected). Text is shown as
stored (this is a local look at your own data; the shareable report scrubs PII). On a terminal the
output is coloured and paged (`less -R`, or $PAGER through pydoc); piped, it is plain text.
"""

from __future__ import annotations

import os
import pydoc
import shutil
import subprocess
import sys
from typing import Any, TextIO

from pipeline.io.storage import Location
from pipeline.report import samples as S
from pipeline.report.html import load_stats

RESET, BOLD, DIM, RED, YELLOW, GREEN, CYAN = (
    "\033[0m",
    "\033[1m",
    "\033[2m",
    "\033[31m",
    "\033[33m",
    "\033[32m",
    "\033[36m",
)


class Style:
    """ANSI styling that is a no-op when colours are off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{RESET}" if self.color and codes else text


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def format_sample(row: dict[str, Any], index: int, kept: bool, style: Style, chars: int) -> str:
    lines = [style(f"── sample {index} ", BOLD) + style("─" * 50, DIM)]
    if kept:
        lines.append(style("kept", BOLD, GREEN))
    else:
        value = row.get("value")
        shown = f"  {style('value', DIM)} {style(_value(value), BOLD, YELLOW)}" if value is not None else ""
        lines.append(f"{style('reason', DIM)} {style(str(row.get('reason')), BOLD, RED)}{shown}")
    lines.append(f"{style('url', DIM)}    {style(str(row.get('url')), CYAN)}")
    lines.append(f"{style('id', DIM)}     {row.get('id')}")
    for key, value in S.extras(row).items():
        lines.append(f"{style(key, DIM)} {style(_value(value), YELLOW)}")
    meta = " · ".join(f"{k} {row[k]}" for k in S.META if row.get(k))
    if meta:
        lines.append(style(meta, DIM))
    text = S.row_text(row)
    if chars and len(text) > chars:
        text = text[:chars] + style(f"\n… ({len(text) - chars:,} more characters; --chars 0 shows all)", DIM)
    lines.append("")
    lines.append(text or style("(no text: rejected before extraction, or extraction found none)", DIM))
    return "\n".join(lines) + "\n"


def check_stage(stats: dict[str, Any], stage: str) -> list[str]:
    names = [s["name"] for s in stats["stages"]]
    if stage not in names:
        raise ValueError(f"unknown stage {stage!r}; stages of this run: {', '.join(names)}")
    return names


def check_reason(stats: dict[str, Any], stage: str, reason: str) -> None:
    dropped = next(s["dropped"] for s in stats["stages"] if s["name"] == stage)
    if not any(S.reason_matches(r, reason) for r in dropped):
        known = ", ".join(sorted(dropped)) or "none (the stage dropped nothing)"
        raise ValueError(f"no {stage} rejection matches reason {reason!r}; its reasons: {known}")


def inspect_text(
    out: Location,
    stage: str,
    reason: str | None = None,
    n: int = 5,
    kept: bool = False,
    color: bool = False,
    chars: int = 2000,
) -> str:
    """The samples as one text (ANSI-coloured when `color`)."""
    out = Location(out)
    if n < 1:
        raise ValueError("--n must be at least 1")
    stats = load_stats(out)
    names = check_stage(stats, stage)
    if kept and reason is not None:
        raise ValueError("--reason selects rejected rows; leave it out with --kept")
    if reason is not None:
        check_reason(stats, stage, reason)
    if kept:
        rows = S.kept_samples(out, names, stage, n)
    else:
        rows = S.rejected_samples(out, stage, per_reason=n, limit=n, reason=reason)
    style = Style(color)
    what = "kept" if kept else "rejected"
    matching = f" matching reason {reason!r}" if reason else ""
    head = style(f"{stage}: {len(rows)} {what} sample(s){matching} from {out}", BOLD)
    if not rows:
        return head + "\n(none)\n"
    return head + "\n\n" + "\n".join(format_sample(r, i + 1, kept, style, chars) for i, r in enumerate(rows))


def wants_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def show(text: str, stream: TextIO | None = None) -> None:
    """Page `text` on a terminal (`less -R` keeps the colours), print it otherwise."""
    stream = stream or sys.stdout
    if not stream.isatty():
        stream.write(text)
        return
    if os.environ.get("PAGER") or not shutil.which("less"):
        pydoc.pager(text)
        return
    subprocess.run(["less", "-RFX"], input=text, text=True, check=False)
