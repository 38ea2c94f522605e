"""The summary table printed at the end of `curate run`."""

from __future__ import annotations

from typing import Any


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def format_summary(stats: dict[str, Any]) -> str:
    records = stats["records"]
    lines = []
    skipped = ", ".join(f"{k} {v}" for k, v in records["skipped"].items()) or "none"
    lines.append(f"records read: {records['read']}  documents: {records['documents']}  skipped: {skipped}")
    header = (
        f"{'stage':<20} {'in':>8} {'out':>8} {'dropped':>8} {'drop%':>6}  {'docs/s':>8} "
        f"{'analysis s':>10}  top reasons"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for stage in stats["stages"]:
        dropped = sum(stage["dropped"].values())
        # docs/s over the per-document step only; a global stage's pass over all documents (dedup's
        # analysis, decontamination's n-gram set) has its own column: on Spark it holds job set-up.
        seconds = stage["seconds"]
        rate = f"{stage['in'] / seconds:8.0f}" if seconds > 0 else "       -"
        once = stage.get("analysis", {}).get("seconds", 0.0) + stage.get("prepare", {}).get("seconds", 0.0)
        analysis = f"{once:10.2f}" if "analysis" in stage or "prepare" in stage else f"{'-':>10}"
        top = sorted(stage["dropped"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        reasons = ", ".join(f"{reason} {n}" for reason, n in top)
        lines.append(
            f"{stage['name']:<20} {stage['in']:>8} {stage['out']:>8} {dropped:>8} "
            f"{_pct(dropped, stage['in']):>6}  {rate} {analysis}  {reasons}"
        )
    lines.append(
        f"final documents: {stats['final_documents']} ({_pct(stats['final_documents'], records['read']).strip()} of records read)"
    )
    for stage in stats["stages"]:
        lists = stage.get("prepare", {}).get("blocklist")
        if lists:
            lines.append(f"{stage['name']}: {blocklist_line(lists)}")
            if lists.get("warning"):
                lines.append(f"warning: {stage['name']}: {lists['warning']}")
    errors = stats.get("input_errors") or []
    for error in errors:
        lines.append(f"input error: {error['file']}: {error['error']}")
    return "\n".join(lines)


def blocklist_line(lists: dict[str, Any]) -> str:
    """Which URL list a url_filter loaded, from where, and its sizes (stats.json `prepare.blocklist`)."""
    name = {"UT1": "UT1 lists", "demo": "DEMO list (not FineWeb's)", "none": "no domain/URL list"}.get(
        lists["list"], "custom list"
    )
    where = f" {lists['path']}" if lists.get("path") else ""
    return (
        f"{name}{where} ({lists['found_by']}): {lists['domains']:,} domains, {lists['urls']:,} URLs; "
        f"words: {lists['banned_words']} banned, {lists['soft_banned_words']} soft-banned, "
        f"{lists['banned_subwords']} banned sub-words"
    )


def format_inputs(stats: dict[str, Any], exit_code: int | None = None) -> str:
    """The last line of `curate run`'s output: how many input files were read, and how many failed."""
    unreadable = stats.get("unreadable_inputs") or []
    partly = {e["file"] for e in stats.get("input_errors") or []} - set(unreadable)
    crashed = len(stats.get("failed_inputs") or [])
    in_full = stats.get("input_files", 0) - len(unreadable) - len(partly)
    parts = [f"{in_full} read in full"]
    if partly:
        parts.append(f"{len(partly)} in part (cut short or with broken records)")
    parts.append(f"{len(unreadable)} could not be read")
    if crashed:
        parts.append(f"{crashed} crashed")
    line = "input files: " + ", ".join(parts)
    if exit_code == 3:
        line += " (exit code 3; --allow-partial accepts unreadable inputs)"
    elif exit_code:
        line += f" (exit code {exit_code})"
    return line
