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
    header = f"{'stage':<20} {'in':>8} {'out':>8} {'dropped':>8} {'drop%':>6}  {'docs/s':>8}  top reasons"
    lines.append(header)
    lines.append("-" * len(header))
    for stage in stats["stages"]:
        dropped = sum(stage["dropped"].values())
        seconds = stage["seconds"] + stage.get("analysis", {}).get("seconds", 0.0)  # dedup: analysis + apply
        rate = f"{stage['in'] / seconds:8.0f}" if seconds > 0 else "       -"
        top = sorted(stage["dropped"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        reasons = ", ".join(f"{reason} {n}" for reason, n in top)
        lines.append(
            f"{stage['name']:<20} {stage['in']:>8} {stage['out']:>8} {dropped:>8} "
            f"{_pct(dropped, stage['in']):>6}  {rate}  {reasons}"
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
