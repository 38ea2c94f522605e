"""The report's plots: matplotlib figures rendered to inline SVG.

Rendering is reproducible byte for byte: no date or creator metadata, and a fixed `svg.hashsalt` per
plot (its key), which also keeps the element ids of the many SVGs in one page distinct. Text stays
text (`svg.fonttype: none`), so the browser draws it with its own sans-serif font: nothing to embed
and nothing to fetch.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

KEPT = "#4a7fb5"
DROPPED = "#c0504d"
THRESHOLD = "#d62728"
OTHER = "#8064a2"
OUTSIDE = "#a0a0a0"

RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "figure.dpi": 72,
}


def render(
    key: str, width: float, height: float, draw: Callable[[Axes], None], margins: tuple[float, ...] = ()
) -> str:
    """Draw one plot (inches) and return it as an <svg> element to inline in HTML.

    `margins` (left, bottom, right, top in inches) place the axes by hand: matplotlib's layout
    engines measure every label with an extra draw and made the report several times slower."""
    left, bottom, right, top = margins or (0.55, 0.42, 0.12, 0.25)
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"curate-{key}"}):
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(
            left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height
        )
        draw(fig.add_subplot())
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: not allowed inline
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    return svg.replace("<svg ", f'<svg class="plot" role="img" aria-label="{_attr(key)}" ', 1)


def _attr(text: str) -> str:
    return re.sub(r"[^\w .:-]", "_", text)


def _label_inches(labels: list[str]) -> float:
    """Room for tick labels at 8 pt (capitals are wider than other characters)."""
    width = max((sum(0.085 if c.isupper() else 0.062 for c in label) for label in labels), default=0.3)
    return 0.2 + width


def compact(value: float, _: Any = None) -> str:
    """Tick labels that stay narrow: 950, 12k, 3.4M."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:g}"


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def hbars(key: str, counts: dict[str, float], color: str = DROPPED, fmt: str = "{:,.0f}") -> str:
    """Horizontal bars, largest first, the value written at the end of each bar."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def draw(ax: Axes) -> None:
        labels = [_short(k) for k, _ in items]
        values = [v for _, v in items]
        ax.barh(range(len(items)), values, color=color, height=0.7)
        ax.set_yticks(range(len(items)), labels)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        top = max(values, default=0) or 1
        for i, v in enumerate(values):
            ax.text(v + top * 0.01, i, fmt.format(v), va="center", fontsize=7)
        ax.set_xlim(0, top * 1.15)
        if fmt == "{:,.0f}":
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.xaxis.set_major_formatter(FuncFormatter(compact))

    left = _label_inches([_short(k) for k, _ in items])
    return render(key, 5.6, 0.45 + 0.24 * max(len(items), 1), draw, (left, 0.3, 0.1, 0.1))


def funnel(key: str, steps: list[tuple[str, int]]) -> str:
    """Documents left after each step, as bars shrinking from the records read."""

    def draw(ax: Axes) -> None:
        counts = [c for _, c in steps]
        colors = [OTHER if i < 2 else KEPT for i in range(len(steps))]
        ax.barh(range(len(steps)), counts, color=colors, height=0.72)
        ax.set_yticks(range(len(steps)), [label for label, _ in steps])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        top = max(counts, default=0) or 1
        for i, c in enumerate(counts):
            ax.text(c + top * 0.01, i, f"{c:,}  ({100 * c / top:.1f}%)", va="center", fontsize=7)
        ax.set_xlim(0, top * 1.25)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(compact))
        ax.set_xlabel("documents")

    left = _label_inches([label for label, _ in steps])
    return render(key, 7.2, 0.75 + 0.26 * len(steps), draw, (left, 0.45, 0.1, 0.1))


def histogram(key: str, name: str, hist: dict[str, Any]) -> str:
    """One signal's fixed-bin histogram with the stage's thresholds as red dashed lines. Values below
    or above the binned range are grey bars just outside it (e.g. the zeros of a log-scale signal)."""

    def draw(ax: Axes) -> None:
        edges = _edges(hist)
        ax.stairs(hist["counts"], edges, fill=True, color=KEPT, alpha=0.85)
        lo, hi = _outside_edges(hist, edges)
        if hist["under"]:
            ax.stairs([hist["under"]], [lo, edges[0]], fill=True, color=OUTSIDE)
        if hist["over"]:
            ax.stairs([hist["over"]], [edges[-1], hi], fill=True, color=OUTSIDE)
        if hist["log"]:
            log_axis(ax.xaxis)
        ax.set_xlim(lo if hist["under"] else edges[0], hi if hist["over"] else edges[-1])
        for t in hist["thresholds"]:
            ax.axvline(t, color=THRESHOLD, linestyle="--", linewidth=1.2)
            ax.annotate(
                compact(t),
                (t, 1),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                color=THRESHOLD,
                va="top",
                fontsize=7,
            )
        ax.set_title(name, loc="left")
        ax.set_xlabel(hist.get("label") or name)
        ax.set_ylabel("documents")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(compact))
        outside = []
        if hist["under"]:
            outside.append(f"{hist['under']:,} below {compact(hist['low'])}")
        if hist["over"]:
            outside.append(f"{hist['over']:,} above {compact(hist['high'])}")
        ax.set_title(f"n={hist['n']:,}" + ("; " + ", ".join(outside) if outside else ""), loc="right")

    return render(key, 3.7, 2.3, draw, (0.55, 0.42, 0.12, 0.25))


def _outside_edges(hist: dict[str, Any], edges: list[float]) -> tuple[float, float]:
    """Where the grey under/over bars go: three bins' width beyond each end (in log space if log)."""
    if hist["log"]:
        ratio = (edges[-1] / edges[0]) ** (3 / hist["bins"])
        return edges[0] / ratio, edges[-1] * ratio
    width = 3 * (edges[-1] - edges[0]) / hist["bins"]
    return edges[0] - width, edges[-1] + width


def log_axis(axis: Any, which: str = "x") -> None:
    """A log scale with plain tick labels (matplotlib's default 10^k labels go through mathtext,
    which makes a plot 5x slower to draw)."""
    (axis.axes.set_xscale if which == "x" else axis.axes.set_yscale)("log")
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(compact))


def _edges(hist: dict[str, Any]) -> list[float]:
    bins = hist["bins"]
    if hist["log"]:
        import math

        lo, hi = math.log10(hist["low"]), math.log10(hist["high"])
        return [10 ** (lo + (hi - lo) * i / bins) for i in range(bins + 1)]
    lo, hi = hist["low"], hist["high"]
    return [lo + (hi - lo) * i / bins for i in range(bins + 1)]


def cluster_sizes(key: str, sizes: dict[str, int]) -> str:
    """Clusters per size (documents sharing one survivor), log-scaled counts."""
    items = sorted((int(k), v) for k, v in sizes.items())

    def draw(ax: Axes) -> None:
        ax.bar([str(s) for s, _ in items], [v for _, v in items], color=OTHER)
        ax.set_xlabel("cluster size (documents)")
        ax.set_ylabel("clusters")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        if items and max(v for _, v in items) > 50:
            log_axis(ax.yaxis, "y")
        ax.grid(axis="x", visible=False)
        ax.set_xlim(-0.7, max(len(items), 8) - 0.3)  # a lone bar stays bar-sized
        if len(items) > 20:
            ax.tick_params(axis="x", labelrotation=90)

    return render(key, 4.6, 2.3, draw, (0.55, 0.42 if len(items) <= 20 else 0.6, 0.12, 0.1))


def grouped(key: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """Horizontal bars of several runs side by side (the comparison of two runs)."""
    colors = [KEPT, DROPPED, OTHER]

    def draw(ax: Axes) -> None:
        height = 0.8 / max(len(series), 1)
        for j, (name, values) in enumerate(series.items()):
            ys = [i + j * height for i in range(len(labels))]
            ax.barh(ys, values, height=height, color=colors[j % len(colors)], label=name)
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(labels))], labels)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", fontsize=7)
        ax.set_xlabel("documents")

    return render(key, 7.2, 0.75 + 0.34 * len(labels), draw, (_label_inches(labels), 0.45, 0.1, 0.1))
