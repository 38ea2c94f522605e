"""`curate report DIR_A --compare DIR_B`: how two runs differ, stage by stage (for tuning a recipe).

Writes DIR_A/compare.html (a separate page, so that DIR_A/report.html stays the report of DIR_A
alone) and returns a short terminal table. Stages are matched by name; a stage only one run has
shows blanks for the other. The settings that differ between the two recipes (from run.json) are
listed first, since they usually explain the differences.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.core.recipe import ABSENT
from pipeline.core.recipe import settings_diff as recipe_settings_diff
from pipeline.io.output import write_text_atomic
from pipeline.io.storage import Location
from pipeline.report import plots
from pipeline.report.html import _attrs, _e, _n, _pct, _section, _table, funnel_steps, load_stats, page


def _signed(value: int) -> str:
    return f"{value:+,}" if value else "0"


def stage_names(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """A's stages in order, with each stage only B has placed after the stage it follows in B."""
    names = [s["name"] for s in a["stages"]]
    previous = None
    for s in b["stages"]:
        if s["name"] not in names:
            names.insert(names.index(previous) + 1 if previous in names else 0, s["name"])
        previous = s["name"]
    return names


def _by_name(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in stats["stages"]}


def stage_rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Per stage: in/out/dropped of each run (None where a run lacks the stage)."""
    sa, sb = _by_name(a), _by_name(b)
    rows = []
    for name in stage_names(a, b):
        row: dict[str, Any] = {"stage": name}
        for tag, stages in (("a", sa), ("b", sb)):
            s = stages.get(name)
            row[f"{tag}_in"] = s["in"] if s else None
            row[f"{tag}_out"] = s["out"] if s else None
            row[f"{tag}_dropped"] = sum(s["dropped"].values()) if s else None
        rows.append(row)
    return rows


def reason_rows(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """(stage, reason, count in A, count in B) for every reason either run has, biggest change first."""
    sa, sb = _by_name(a), _by_name(b)
    rows = []
    for name in stage_names(a, b):
        da = sa.get(name, {}).get("dropped", {})
        db = sb.get(name, {}).get("dropped", {})
        rows.extend((name, r, da.get(r, 0), db.get(r, 0)) for r in sorted(set(da) | set(db)))
    return sorted(rows, key=lambda r: (-abs(r[3] - r[2]), r[0], r[1]))


def _settings(directory: Location) -> dict[str, Any]:
    path = directory / "run.json"
    return json.loads(path.read_text()).get("recipe_settings", {}) if path.is_file() else {}


def _setting(value: Any) -> str:
    return value if value is ABSENT else json.dumps(value)


def settings_diff(a: Location, b: Location) -> list[tuple[str, Any, Any]]:
    """(setting, value in A, value in B) for every recipe setting that differs."""
    return recipe_settings_diff(_settings(a), _settings(b))


def _cell(value: int | None) -> str:
    return "-" if value is None else _n(value)


def _html(a: Location, b: Location, sa: dict[str, Any], sb: dict[str, Any]) -> str:
    settings = settings_diff(a, b)
    setting_rows = [
        f"<tr {_attrs(setting=k)}><td>{_e(k)}</td><td class='l'>{_e(_setting(va))}</td>"
        f"<td class='l'>{_e(_setting(vb))}</td></tr>"
        for k, va, vb in settings
    ]
    rows = []
    for r in stage_rows(sa, sb):
        delta = (r["b_out"] or 0) - (r["a_out"] or 0) if None not in (r["a_out"], r["b_out"]) else None
        rows.append(
            f"<tr {_attrs(stage=r['stage'], a_out=r['a_out'], b_out=r['b_out'])}><td>{_e(r['stage'])}</td>"
            f"<td>{_cell(r['a_in'])}</td><td>{_cell(r['a_out'])}</td><td>{_pct(r['a_dropped'] or 0, r['a_in'] or 0)}</td>"
            f"<td>{_cell(r['b_in'])}</td><td>{_cell(r['b_out'])}</td><td>{_pct(r['b_dropped'] or 0, r['b_in'] or 0)}</td>"
            f"<td>{'-' if delta is None else _signed(delta)}</td></tr>"
        )
    final_delta = sb["final_documents"] - sa["final_documents"]
    rows.append(
        f"<tr {_attrs(stage='final', a_out=sa['final_documents'], b_out=sb['final_documents'])}><td><b>final</b></td>"
        f"<td></td><td><b>{sa['final_documents']:,}</b></td><td></td><td></td><td><b>{sb['final_documents']:,}</b></td>"
        f"<td></td><td><b>{_signed(final_delta)}</b></td></tr>"
    )
    reason_html = [
        f"<tr {_attrs(stage=s, reason=r, a=ca, b=cb)}><td>{_e(s)}</td><td class='l'>{_e(r)}</td><td>{_n(ca)}</td>"
        f"<td>{_n(cb)}</td><td>{_signed(cb - ca)}</td></tr>"
        for s, r, ca, cb in reason_rows(sa, sb)
    ]
    steps_a, steps_b = dict(funnel_steps(sa)), dict(funnel_steps(sb))
    labels = ["records read", "documents"] + [f"after {name}" for name in stage_names(sa, sb)]
    chart = plots.grouped(
        "compare-funnel",
        labels,
        {"A": [steps_a.get(k, 0) for k in labels], "B": [steps_b.get(k, 0) for k in labels]},
    )
    headers = ["stage", "A in", "A out", "A drop%", "B in", "B out", "B drop%", "Δ out (B−A)"]
    body = [
        "<h1>curate comparison</h1>",
        f"<p>A: <b>{_e(a)}</b> (recipe {_e(sa.get('recipe'))}, {sa['records']['read']:,} records read)<br>"
        f"B: <b>{_e(b)}</b> (recipe {_e(sb.get('recipe'))}, {sb['records']['read']:,} records read)</p>",
        _section(
            "settings",
            "Recipe settings that differ",
            _table(["setting", "A", "B"], setting_rows, left=(1, 2))
            if setting_rows
            else "<p class='muted'>none</p>",
        ),
        _section("stages", "Documents per stage", _table(headers, rows, "compare") + chart),
        _section(
            "reasons", "Drop reasons", _table(["stage", "reason", "A", "B", "Δ"], reason_html, left=(1,))
        ),
    ]
    data = {
        "a": str(a),
        "b": str(b),
        "stages": stage_rows(sa, sb),
        "final": [sa["final_documents"], sb["final_documents"]],
    }
    return page("curate comparison", "", body, data)


def format_compare(sa: dict[str, Any], sb: dict[str, Any], max_reasons: int = 10) -> str:
    """The short terminal table: out per stage in A and B, and the reasons that changed most."""
    rows = stage_rows(sa, sb)
    width = max([len(r["stage"]) for r in rows] + [5])
    fmt = f"{{:<{width}}} {{:>9}} {{:>9}} {{:>9}} {{:>7}} {{:>7}}"
    lines = [fmt.format("stage", "A out", "B out", "Δ out", "A drop", "B drop"), "-" * (width + 46)]
    for r in rows:
        a_out, b_out = r["a_out"], r["b_out"]
        delta = _signed(b_out - a_out) if a_out is not None and b_out is not None else "-"
        lines.append(
            fmt.format(
                r["stage"],
                "-" if a_out is None else f"{a_out:,}",
                "-" if b_out is None else f"{b_out:,}",
                delta,
                _pct(r["a_dropped"] or 0, r["a_in"] or 0),
                _pct(r["b_dropped"] or 0, r["b_in"] or 0),
            )
        )
    fa, fb = sa["final_documents"], sb["final_documents"]
    lines.append(fmt.format("final", f"{fa:,}", f"{fb:,}", _signed(fb - fa), "", ""))
    changed = [r for r in reason_rows(sa, sb) if r[2] != r[3]][:max_reasons]
    if changed:
        lines.append("\nreasons that changed most (A -> B):")
        lines.extend(f"  {reason}: {ca:,} -> {cb:,} ({_signed(cb - ca)})" for _, reason, ca, cb in changed)
    return "\n".join(lines)


def compare_runs(a: Location, b: Location) -> tuple[Location, str]:
    """Write A/compare.html; return its path and the terminal table."""
    a, b = Location(a), Location(b)
    sa, sb = load_stats(a), load_stats(b)
    path = a / "compare.html"
    write_text_atomic(path, _html(a, b, sa, sb))
    return path, format_compare(sa, sb)
