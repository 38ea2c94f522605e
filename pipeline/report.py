"""DIR/report.html: what each stage removed and why, readable from disk with no server or network.

This first version shows the funnel, the drop reasons per stage, the input errors and a few
rejected and kept samples per stage; everything is inline (no scripts, fonts or CDNs).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.output import write_text_atomic

SAMPLES_PER_STAGE = 3
SNIPPET_CHARS = 600

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.bar{background:#4a7fb5;height:.9em;display:inline-block}
.drop{background:#c0504d}details{margin:.3em 0;border:1px solid #eee;padding:.3em .6em}
pre{white-space:pre-wrap;font-size:12px;background:#fafafa;padding:.5em}.reason{color:#a33;font-weight:600}
.muted{color:#777}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _samples(directory: Path, n: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for part in sorted(directory.glob("part-*.parquet")):
        for batch in pq.ParquetFile(part).iter_batches(batch_size=n):
            rows.extend(batch.to_pylist()[: n - len(rows)])
            break
        if len(rows) >= n:
            break
    return rows


def _sample_html(row: dict[str, Any]) -> str:
    text = row.get("text") or ""
    snippet = text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
    reason = ""
    if row.get("reason"):
        value = f" (value {row['value']:.4g})" if row.get("value") is not None else ""
        reason = f'<span class="reason">{_e(row["reason"])}{_e(value)}</span> '
    return (
        f"<details><summary>{reason}{_e(row.get('url') or row.get('id'))}</summary>"
        f"<pre>{_e(snippet) or '<em>(no text)</em>'}</pre></details>"
    )


def _funnel(stats: dict[str, Any]) -> str:
    read = stats["records"]["read"]
    rows = [("records read", read), ("documents", stats["records"]["documents"])]
    rows += [(f"after {s['name']}", s["out"]) for s in stats["stages"]]
    body = "".join(
        f"<tr><td>{_e(label)}</td><td>{count:,}</td><td>{_pct(count, read)}</td>"
        f'<td style="text-align:left"><span class="bar" style="width:{300 * count / max(read, 1):.0f}px"></span></td></tr>'
        for label, count in rows
    )
    return f"<table><tr><th>step</th><th>count</th><th>of read</th><th></th></tr>{body}</table>"


def _stage_section(out: Path, stage: dict[str, Any]) -> str:
    dropped = sum(stage["dropped"].values())
    rate = f"{stage['in'] / stage['seconds']:,.0f} docs/s" if stage["seconds"] > 0 else "-"
    parts = [
        f"<h2 id='stage-{_e(stage['name'])}'>{_e(stage['name'])}</h2>",
        f"<p>in {stage['in']:,} → out {stage['out']:,}; dropped {dropped:,} ({_pct(dropped, stage['in'])}); "
        f"{stage['seconds']:.2f} s ({rate})</p>",
    ]
    if stage["dropped"]:
        top = max(stage["dropped"].values())
        rows = "".join(
            f"<tr><td>{_e(reason)}</td><td>{n:,}</td>"
            f'<td style="text-align:left"><span class="bar drop" style="width:{250 * n / top:.0f}px"></span></td></tr>'
            for reason, n in sorted(stage["dropped"].items(), key=lambda kv: (-kv[1], kv[0]))
        )
        parts.append(f"<table><tr><th>reason</th><th>documents</th><th></th></tr>{rows}</table>")
    if stage.get("counters"):
        parts.append(
            "<p class='muted'>" + ", ".join(f"{_e(k)}: {v:,}" for k, v in stage["counters"].items()) + "</p>"
        )
    rejected = _samples(out / "rejected" / stage["name"], SAMPLES_PER_STAGE)
    if rejected:
        parts.append("<h3>rejected samples</h3>" + "".join(_sample_html(r) for r in rejected))
    return "\n".join(parts)


def build_report(out: Path) -> Path:
    """(Re)build DIR/report.html from DIR/stats.json and the sample rows in DIR."""
    stats_path = out / "stats.json"
    if not stats_path.is_file():
        raise FileNotFoundError(f"{stats_path} not found: is {out} the output of `curate run`?")
    stats = json.loads(stats_path.read_text())
    records = stats["records"]
    skipped = "".join(f"<tr><td>{_e(k)}</td><td>{v:,}</td></tr>" for k, v in records["skipped"].items())
    errors = "".join(f"<li>{_e(e['file'])}: {_e(e['error'])}</li>" for e in stats.get("input_errors", []))
    kept = _samples(out / "documents", SAMPLES_PER_STAGE)
    body = [
        f"<h1>curate report: {_e(stats.get('recipe', ''))}</h1>",
        f"<p class='muted'>{_e(out)} · {stats.get('input_files', 0)} input file(s) · engine "
        f"{_e(stats.get('engine', '?'))} · accounting {'holds' if stats.get('accounting_ok') else 'BROKEN'}</p>",
        "<h2 id='funnel'>Funnel</h2>",
        _funnel(stats),
        f"<p>final documents: <b>{stats['final_documents']:,}</b></p>",
        "<h2 id='skipped'>Records skipped before extraction</h2>",
        f"<table><tr><th>reason</th><th>records</th></tr>{skipped}</table>" if skipped else "<p>none</p>",
    ]
    if errors:
        body.append(f"<h2 id='errors'>Input errors</h2><ul>{errors}</ul>")
    body.extend(_stage_section(out, stage) for stage in stats["stages"])
    body.append("<h2 id='kept'>Kept samples</h2>" + "".join(_sample_html(r) for r in kept))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>curate report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n"
    )
    path = out / "report.html"
    write_text_atomic(path, page)
    return path
