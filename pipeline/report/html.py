"""DIR/report.html: what each stage removed and why, readable from disk with no server or network.

Built from DIR/stats.json (counts, drop reasons, signal histograms, dedup analysis, counters, timings)
and a few rows read from DIR (samples, languages, domains). Everything is inline: plots are
matplotlib SVGs, styles and the one small script are in the page; no fonts, scripts or images are
fetched. The same DIR gives the same bytes (see `pipeline.report.plots`). The numbers of the page are also
in a JSON block (`<script type="application/json" id="curate-data">`) and in `data-*` attributes, for
tools and tests.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any

from pipeline.io.output import write_text_atomic
from pipeline.io.storage import Location
from pipeline.report import plots
from pipeline.report import samples as S
from pipeline.report.summary import blocklist_line

REJECTED_PER_REASON = 2
REJECTED_PER_STAGE = 8
KEPT_PER_STAGE = 3
SNIPPET_CHARS = 1500
TOP_ROWS = 20

STYLE = """
:root{--kept:#4a7fb5;--drop:#c0504d;--muted:#6b6b6b;--line:#e6e6e6}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fff}
main{max-width:1180px;margin:0 auto;padding:1em 1.5em 4em}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{margin-top:2.2em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{margin:1.4em 0 .4em;font-size:1.05em}
nav{position:sticky;top:0;background:#f7f7f7;border-bottom:1px solid var(--line);padding:.45em 1.5em;
font-size:12.5px;z-index:2;line-height:1.9}nav a{margin-right:.9em;color:#2a5d8f;text-decoration:none;white-space:nowrap}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.22em .7em;border-bottom:1px solid var(--line);text-align:right}
th{font-weight:600;background:#fafafa}td:first-child,th:first-child{text-align:left}
td.l,th.l{text-align:left}.num{font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}
.card{border:1px solid var(--line);border-radius:6px;padding:.5em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}.card span{color:var(--muted);font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.6em 1em;align-items:start}
.cols{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
svg.plot{max-width:100%;height:auto;display:block}
details{margin:.3em 0;border:1px solid var(--line);border-radius:4px;padding:.3em .6em}
details[open]{background:#fcfcfc}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-word;font-size:12px;background:#f6f6f6;padding:.6em;margin:.4em 0}
.reason{color:#a33;font-weight:600}.value{background:#fff1b8;padding:0 .3em;border-radius:3px;font-weight:600}
.kept-tag{color:#2f6b2f;font-weight:600}.url{color:var(--muted);word-break:break-all}
.muted{color:var(--muted)}.meta{font-size:12px;color:var(--muted)}
.stage{border-top:1px solid transparent}.badge{font-size:11px;background:#eee;border-radius:3px;padding:.1em .4em;
margin-left:.5em;vertical-align:middle;color:#555}
button{font:inherit;font-size:12px;margin:.2em .4em .2em 0;cursor:pointer}
.bad{color:#b00;font-weight:700}.ok{color:#2f6b2f}
"""

# The page's only script: it checks that the data block parses, wires the expand/collapse buttons and
# marks the page ready (the Chromium test waits for `data-ready`).
SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("curate-data").textContent);
  document.querySelectorAll("button[data-open]").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-open") === "1";
      document.querySelectorAll(button.getAttribute("data-target") + " details").forEach(function (d) {
        d.open = open;
      });
    });
  });
  document.documentElement.setAttribute("data-ready", String(data.stages.length));
})();
"""


# -- small HTML helpers -----------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _n(value: int) -> str:
    return f'<span class="num">{value:,}</span>'


def _bytes(n: int | None) -> str:
    if not n:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f'<span title="{n:,} bytes">{n / size:.1f} {unit}</span>'
    return f"{n} B"


def _value(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _table(headers: list[str], rows: list[str], cls: str = "", left: tuple[int, ...] = ()) -> str:
    """A table; `left` names the columns (besides the first) whose header aligns left like their cells."""
    head = "".join(f"<th class='l'>{h}</th>" if i in left else f"<th>{h}</th>" for i, h in enumerate(headers))
    return f'<table class="{cls}"><tr>{head}</tr>{"".join(rows)}</table>'


def _attrs(**values: Any) -> str:
    return " ".join(f'data-{k.replace("_", "-")}="{_e(v)}"' for k, v in values.items())


def _section(anchor: str, title: str, body: str, attrs: str = "") -> str:
    return f'<section id="{_e(anchor)}" {attrs}><h2>{title}</h2>{body}</section>'


# -- stats helpers ----------------------------------------------------------------------------------
def load_stats(out: Location) -> dict[str, Any]:
    path = out / "stats.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {out} the output of `curate run`?")
    return json.loads(path.read_text())


def total_seconds(stage: dict[str, Any]) -> float:
    """A stage's whole time: applying it, plus a global stage's analysis and a prepare step."""
    extra = stage.get("analysis", {}).get("seconds", 0.0) + stage.get("prepare", {}).get("seconds", 0.0)
    return stage["seconds"] + extra


def funnel_steps(stats: dict[str, Any]) -> list[tuple[str, int]]:
    records = stats["records"]
    steps = [("records read", records["read"]), ("documents", records["documents"])]
    return steps + [(f"after {s['name']}", s["out"]) for s in stats["stages"]]


# -- sections ---------------------------------------------------------------------------------------
def _header(out: Location, stats: dict[str, Any]) -> str:
    ok = stats.get("accounting_ok")
    accounting = '<span class="ok">holds</span>' if ok else '<span class="bad">BROKEN</span>'
    records = stats["records"]
    final = stats["final_documents"]
    last_bytes = stats["stages"][-1].get("bytes_out") if stats["stages"] else None
    cards = [
        ("records read", f"{records['read']:,}"),
        ("documents", f"{records['documents']:,}"),
        ("final documents", f"{final:,}"),
        ("kept of read", _pct(final, records["read"])),
        ("final text", _bytes(last_bytes)),
        ("stages", str(len(stats["stages"]))),
    ]
    card_html = "".join(f"<div class='card'><b>{v}</b><span>{_e(k)}</span></div>" for k, v in cards)
    return (
        f"<h1>curate report: {_e(stats.get('recipe', ''))}</h1>"
        f"<p class='muted'>{_e(out)} · {stats.get('input_files', 0)} input file(s) · engine "
        f"{_e(stats.get('engine', '?'))} · recipe fingerprint {_e(stats.get('fingerprint', '?'))} · "
        f"accounting {accounting}</p><div class='cards'>{card_html}</div>"
    )


def _nav(stats: dict[str, Any]) -> str:
    links = [("funnel", "Funnel"), ("timings", "Timings"), ("languages", "Languages"), ("domains", "Domains")]
    links += [(f"stage-{s['name']}", s["name"]) for s in stats["stages"]]
    return "<nav>" + "".join(f'<a href="#{_e(a)}">{_e(t)}</a>' for a, t in links) + "</nav>"


def _funnel(stats: dict[str, Any]) -> str:
    read = stats["records"]["read"]
    tokens = any("tokens_out" in s for s in stats["stages"])
    rows = []
    previous = read
    for label, count in funnel_steps(stats)[:2]:
        rows.append(
            f"<tr {_attrs(step=label, count=count)}><td>{_e(label)}</td><td>{_n(count)}</td>"
            f"<td>{_pct(count, read)}</td><td>{_pct(count, previous)}</td><td>{_n(previous - count)}</td>"
            f"<td>-</td>{'<td>-</td>' if tokens else ''}</tr>"
        )
        previous = count
    for stage in stats["stages"]:
        count = stage["out"]
        token_cell = f"<td>{_n(stage['tokens_out'])}</td>" if "tokens_out" in stage else "<td>-</td>"
        rows.append(
            f"<tr {_attrs(step='after ' + stage['name'], count=count, bytes=stage.get('bytes_out', 0))}>"
            f"<td><a href='#stage-{_e(stage['name'])}'>after {_e(stage['name'])}</a></td><td>{_n(count)}</td>"
            f"<td>{_pct(count, read)}</td><td>{_pct(count, stage['in'])}</td>"
            f"<td>{_n(stage['in'] - count)}</td><td>{_bytes(stage.get('bytes_out'))}</td>"
            f"{token_cell if tokens else ''}</tr>"
        )
    headers = ["step", "documents", "of read", "of previous", "removed", "text bytes"]
    headers += ["tokens"] if tokens else []
    skipped = stats["records"]["skipped"]
    skipped_rows = [
        f"<tr {_attrs(skip=k, count=v)}><td>{_e(k)}</td><td>{_n(v)}</td></tr>" for k, v in skipped.items()
    ]
    body = [
        plots.funnel("funnel", funnel_steps(stats)),
        _table(headers, rows, "funnel"),
        f"<p>final documents: <b>{stats['final_documents']:,}</b></p>",
        "<h3>Records skipped before extraction</h3>",
        _table(["reason", "records"], skipped_rows) if skipped_rows else "<p class='muted'>none</p>",
    ]
    errors = stats.get("input_errors", []) + stats.get("failed_inputs", [])
    if errors:
        items = "".join(
            f"<li>{_e(e['file'])}: {_e(e.get('error', 'crashed (see the run log)'))}</li>" for e in errors
        )
        body.append(f"<h3>Input errors</h3><ul>{items}</ul>")
    return _section("funnel", "Funnel", "".join(body))


def _timings(stats: dict[str, Any]) -> str:
    stages = stats["stages"]
    whole = sum(total_seconds(s) for s in stages)
    rows = []
    for s in stages:
        seconds = total_seconds(s)
        rate = f"{s['in'] / s['seconds']:,.0f}" if s["seconds"] > 0 else "-"  # the per-document step
        extra = seconds - s["seconds"]
        rows.append(
            f"<tr {_attrs(stage=s['name'], seconds=round(seconds, 4))}><td>{_e(s['name'])}</td>"
            f"<td>{s['seconds']:.3f}</td><td>{f'{extra:.3f}' if extra else '-'}</td><td>{seconds:.3f}</td>"
            f"<td>{_pct(seconds, whole)}</td><td>{rate}</td></tr>"
        )
    headers = ["stage", "per-document s", "analysis/prepare s", "total s", "share", "docs/s"]
    note = (
        "<p class='meta'>Seconds add up over worker processes (CPU time per stage, not wall time). A global "
        "stage's total includes its analysis pass (and decontamination its n-gram preparation); docs/s "
        "is over the per-document step alone, as in the terminal summary.</p>"
    )
    chart = plots.hbars("timings", {s["name"]: total_seconds(s) for s in stages}, plots.OTHER, "{:.2f} s")
    return _section(
        "timings", "Timings", f"<div class='cols'><div>{_table(headers, rows)}{note}</div>{chart}</div>"
    )


def _languages(out: Location, stats: dict[str, Any]) -> str:
    names = [s["name"] for s in stats["stages"]]
    final = S.column_counts(S.parts(out / "documents"), "language")
    judged_parts: list[S.Counts] = []
    if "language" in names:
        rejected = S.column_counts(S.parts(out / "rejected" / "language"), "language")
        judged = dict(rejected)
        for directory in S.later_dirs(out, names, "language"):
            judged_parts.append(S.column_counts(S.parts(directory), "language"))
            for lang, n in judged_parts[-1].items():
                judged[lang] = judged.get(lang, 0) + n
    else:
        rejected, judged = S.Counts(), dict(final)
    if not judged:
        return _section(
            "languages", "Languages", "<p class='muted'>no language column (no `language` stage)</p>"
        )
    total_final = sum(final.values())
    top = sorted(judged.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROWS]
    rows = [
        f"<tr {_attrs(language=lang, judged=n, final=final.get(lang, 0))}><td>{_e(lang)}</td><td>{_n(n)}</td>"
        f"<td>{_n(rejected.get(lang, 0))}</td><td>{_n(final.get(lang, 0))}</td>"
        f"<td>{_pct(final.get(lang, 0), total_final)}</td></tr>"
        for lang, n in top
    ]
    more = (
        f"<p class='meta'>{len(judged) - TOP_ROWS} more languages not shown</p>"
        if len(judged) > TOP_ROWS
        else ""
    )
    headers = ["language", "judged by `language`", "rejected by `language`", "final documents", "of final"]
    chart = plots.hbars("languages", dict(top[:12]), plots.KEPT)
    budget = _budget_note([final, rejected, *judged_parts])
    return _section(
        "languages",
        "Languages",
        f"<div class='cols'><div>{_table(headers, rows)}{more}{budget}</div>{chart}</div>",
    )


def _budget_note(counts: list[S.Counts]) -> str:
    if all(c.complete for c in counts):
        return ""
    return (
        f"<p class='meta'>Counted over the first {S.MAX_COUNTED_ROWS:,} rows of each folder (the report's "
        "row budget, which keeps it quick on huge runs); the funnel and reasons above are exact.</p>"
    )


def _domains(out: Location, stats: dict[str, Any]) -> str:
    final = S.column_counts(S.parts(out / "documents"), "url", S.hosts)
    rejected: dict[str, int] = {}
    by_stage: dict[str, dict[str, int]] = {}
    counted = [final]
    for stage in stats["stages"]:
        counted.append(S.column_counts(S.parts(out / "rejected" / stage["name"]), "url", S.hosts))
        for host, n in counted[-1].items():
            rejected[host] = rejected.get(host, 0) + n
            by_stage.setdefault(host, {})[stage["name"]] = n
    total_final = sum(final.values())
    kept_rows = [
        f"<tr {_attrs(host=h, final=n)}><td>{_e(h)}</td><td>{_n(n)}</td><td>{_pct(n, total_final)}</td></tr>"
        for h, n in sorted(final.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROWS]
    ]
    dropped_rows = []
    for h, n in sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROWS]:
        stage, count = max(by_stage[h].items(), key=lambda kv: (kv[1], kv[0]))
        dropped_rows.append(
            f"<tr {_attrs(host=h, rejected=n)}><td>{_e(h)}</td><td>{_n(n)}</td>"
            f"<td class='l'>{_e(stage)} ({count:,})</td></tr>"
        )
    kept = _table(["host (final documents)", "documents", "of final"], kept_rows) if kept_rows else ""
    dropped = (
        _table(["host (rejected rows)", "rows", "mostly by"], dropped_rows, left=(2,)) if dropped_rows else ""
    )
    body = (
        f"<div class='cols'><div>{kept}</div><div>{dropped}</div></div>" if kept or dropped else "<p>none</p>"
    ) + _budget_note(counted)
    return _section("domains", f"Top domains (of {len(final):,} kept hosts)", body)


def _reasons(stage: dict[str, Any]) -> str:
    dropped = stage["dropped"]
    total = sum(dropped.values())
    rows = [
        f"<tr {_attrs(reason=r, count=n)}><td>{_e(r)}</td><td>{_n(n)}</td><td>{_pct(n, stage['in'])}</td>"
        f"<td>{_pct(n, total)}</td></tr>"
        for r, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    table = _table(["reason", "documents", "of stage input", "of drops"], rows, "reasons")
    chart = plots.hbars(stage["name"] + "-reasons", dropped)
    return f"<h3>Drop reasons</h3><div class='cols'><div>{table}</div>{chart}</div>"


def _signals(stage: dict[str, Any]) -> str:
    hists = {n: h for n, h in stage.get("histograms", {}).items() if h["n"]}
    if not hists:
        return ""
    figures = "".join(
        f"<figure {_attrs(signal=name, n=h['n'])} style='margin:0'>"
        f"{plots.histogram(stage['name'] + '-' + name, name, h)}</figure>"
        for name, h in hists.items()
    )
    note = (
        "<p class='meta'>Values of every document this stage judged (kept and rejected); red dashed lines are "
        "the recipe's thresholds.</p>"
    )
    return f"<h3>Signals</h3>{note}<div class='grid'>{figures}</div>"


def _counters(stage: dict[str, Any]) -> str:
    counters = stage.get("counters", {})
    if not counters:
        return ""
    parts = []
    replaced = {k.split(":", 1)[1]: v for k, v in counters.items() if k.startswith("replaced:")}
    if replaced:
        parts.append(
            "<h3>PII replaced, per type</h3>" + plots.hbars(f"{stage['name']}-pii", replaced, plots.OTHER)
        )
    hits = {k.split(":", 1)[1]: v for k, v in counters.items() if k.startswith("hits:")}
    if hits:
        parts.append(
            "<h3>Contaminated documents, per benchmark</h3>" + plots.hbars(f"{stage['name']}-hits", hits)
        )
    rows = [
        f"<tr {_attrs(counter=k, count=v)}><td>{_e(k)}</td><td>{_n(v)}</td></tr>" for k, v in counters.items()
    ]
    parts.append("<h3>Counters</h3>" + _table(["counter", "count"], rows, "counters"))
    return "".join(parts)


def _prepare(stage: dict[str, Any]) -> str:
    """What a stage prepared on the driver: url_filter's lists; decontamination's benchmarks."""
    prepare = stage.get("prepare")
    if not prepare:
        return ""
    if "blocklist" in prepare:
        lists = prepare["blocklist"]
        warning = f"<p class='bad'>{_e(lists['warning'])}</p>" if lists.get("warning") else ""
        return (
            f"<h3>URL blocklist</h3>{warning}<p {_attrs(blocklist=lists['list'], domains=lists['domains'])}>"
            f"{_e(blocklist_line(lists))}</p>"
        )
    if "benchmarks" not in prepare:  # another stage's prepare step (robots_optout's index)
        return ""
    counters = stage.get("counters", {})
    rows = [
        f"<tr {_attrs(benchmark=k, items=v)}><td>{_e(k)}</td><td>{_n(v)}</td>"
        f"<td>{_n(counters.get(f'hits:{k}', 0))}</td></tr>"
        for k, v in prepare.get("benchmarks", {}).items()
    ]
    facts = ", ".join(f"{_e(k)}: {v:,}" for k, v in prepare.items() if isinstance(v, int))
    table = _table(["benchmark", "items", "contaminated documents"], rows)
    return f"<h3>Benchmarks</h3>{table}<p class='meta'>{facts}</p>"


def _optout(out: Location, stage: dict[str, Any]) -> str:
    """robots_optout: pages lost to robots.txt and to noai signals, opt-outs per agent, top hosts."""
    if stage["name"] != "robots_optout":
        return ""
    dropped, counters = stage["dropped"], stage.get("counters", {})
    signal = sum(n for r, n in dropped.items() if r in ("robots:noai", "robots:noimageai"))
    robots = sum(dropped.values()) - signal
    cards = "".join(
        f"<div class='card' {_attrs(optout=k, count=n)}><b>{_pct(n, stage['in'])}</b><span>{k}: {n:,}</span></div>"
        for k, n in (
            ("robots.txt", robots),
            ("noai signal", signal),
            ("no robots.txt", counters.get("no_robots", 0)),
        )
    )
    agents = {k.split(":", 1)[1]: v for k, v in counters.items() if k.startswith("disallowed:")}
    per_agent = plots.hbars("robots-agents", agents) if agents else "<p class='muted'>no page disallowed</p>"
    hosts = S.column_counts(S.parts(out / "rejected" / stage["name"]), "url", S.hosts)
    rows = [
        f"<tr {_attrs(host=h, rejected=n)}><td>{_e(h)}</td><td>{_n(n)}</td></tr>"
        for h, n in sorted(hosts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROWS]
    ]
    table = _table(["host", "pages dropped"], rows) if rows else ""
    index = stage.get("prepare", {})
    facts = ", ".join(
        f"{_e(k)}: {v:,}" for k, v in index.items() if isinstance(v, int) and not isinstance(v, bool)
    )
    return (
        f"<h3>Opt-outs (share of the pages this stage saw)</h3><div class='cards'>{cards}</div>"
        "<h3>Pages disallowed, per agent</h3><p class='meta'>A page counts for every configured agent its "
        "host's robots.txt disallows; <code>*</code> = the wildcard group.</p>"
        f"<div class='cols'>{per_agent}<div>{table}{_budget_note([hosts])}</div></div>"
        f"<p class='meta'>robots.txt index: {facts}</p>"
    )


def _dedup(stage: dict[str, Any]) -> str:
    analysis = stage.get("analysis")
    if not analysis:
        return ""
    facts = ", ".join(f"{_e(k)}: {v:,}" for k, v in analysis.items() if isinstance(v, int))
    parts = [f"<h3>Duplicate clusters</h3><p>{facts}</p>"]
    if analysis.get("analysed_with"):
        parts.append(
            f"<p class='meta'>Analysed in the same pass over the corpus as {_e(analysis['analysed_with'])} "
            "(its time is counted there); documents that stage removed took no part here.</p>"
        )
    if analysis.get("cluster_sizes"):
        parts.append(plots.cluster_sizes(f"{stage['name']}-clusters", analysis["cluster_sizes"]))
    rows = []
    for cluster in analysis.get("sample_clusters", []):
        dups = cluster.get("duplicates", [])
        shown = "<br>".join(_e(S.scrub(d.get("url") or d.get("id"))) for d in dups[:5])
        more = f"<br><span class='muted'>+{len(dups) - 5} more</span>" if len(dups) > 5 else ""
        kept = cluster.get("kept", {})
        rows.append(
            f"<tr {_attrs(size=cluster['size'])}><td>{cluster['size']:,}</td>"
            f"<td class='l url'>{_e(S.scrub(kept.get('url') or kept.get('id')))}</td>"
            f"<td class='l url'>{shown}{more}</td></tr>"
        )
    if rows:
        parts.append(
            "<h4>Sample clusters</h4>" + _table(["size", "kept", "removed duplicates"], rows, left=(1, 2))
        )
    return "".join(parts)


def sample_html(row: dict[str, Any], kept: bool) -> str:
    """One expandable sample: reason and tripping value in the summary, scrubbed text inside."""
    text = S.row_text(row)
    snippet = S.scrub(text[: SNIPPET_CHARS + 200])[:SNIPPET_CHARS]
    more = f"\n… ({len(text) - SNIPPET_CHARS:,} more characters)" if len(text) > SNIPPET_CHARS else ""
    if kept:
        head = '<span class="kept-tag">kept</span>'
    else:
        value = _value(row.get("value"))
        head = f'<span class="reason">{_e(row.get("reason"))}</span>'
        head += f' <span class="value">value {_e(value)}</span>' if value else ""
    extras = S.extras(row)
    meta = " · ".join(
        f"{_e(k)}: {_e(_value(v) if isinstance(v, float) else S.scrub(str(v)))}" for k, v in extras.items()
    )
    body = (
        _e(snippet + more)
        if snippet
        else "<em>(no text: rejected before extraction, or extraction found none)</em>"
    )
    reason_attr = "" if kept else _attrs(reason=row.get("reason"))
    return (
        f"<details class='sample {'kept' if kept else 'rejected'}' {reason_attr}><summary>{head} "
        f"<span class='url'>{_e(S.scrub(row.get('url') or row.get('id')))}</span></summary>"
        f"{f'<div class=meta>{meta}</div>' if meta else ''}<pre>{body}</pre></details>"
    )


def _shown(shown: int, documents: int) -> str:
    """A sample heading counts documents, not samples: "2 of 3 shown"."""
    return f"{shown:,} of {documents:,} shown"


def _samples(out: Location, stage: dict[str, Any], names: list[str]) -> str:
    name = stage["name"]
    order = {r: i for i, r in enumerate(sorted(stage["dropped"], key=lambda r: -stage["dropped"][r]))}
    rejected = S.rejected_samples(out, name, REJECTED_PER_REASON, REJECTED_PER_STAGE)
    rejected.sort(key=lambda row: order.get(row["reason"], len(order)))
    kept = S.kept_samples(out, names, name, KEPT_PER_STAGE)
    target = f"#samples-{name}"
    buttons = (
        f"<button type='button' data-open='1' data-target='{_e(target)}'>expand all</button>"
        f"<button type='button' data-open='0' data-target='{_e(target)}'>collapse all</button>"
    )
    parts = [f"<h3>Samples</h3><div id='samples-{_e(name)}' class='samples'>{buttons}"]
    parts.append(f"<h4>rejected: {_shown(len(rejected), sum(stage['dropped'].values()))}</h4>")
    parts.extend(sample_html(r, kept=False) for r in rejected)
    if not rejected:
        parts.append("<p class='muted'>none</p>")
    parts.append(f"<h4>kept: {_shown(len(kept), stage['out'])}</h4>")
    parts.extend(sample_html(r, kept=True) for r in kept)
    if not kept:
        parts.append("<p class='muted'>none</p>")
    parts.append(
        f"<p class='meta'>Texts are scrubbed of PII. <code>curate inspect DIR --stage {_e(name)}</code> shows more.</p></div>"
    )
    return "".join(parts)


def _stage(out: Location, stage: dict[str, Any], names: list[str]) -> str:
    dropped = sum(stage["dropped"].values())
    seconds = total_seconds(stage)
    rate = f"{stage['in'] / stage['seconds']:,.0f} docs/s" if stage["seconds"] > 0 else "-"
    badge = "<span class='badge'>global</span>" if "analysis" in stage else ""
    summary = (
        f"<p>in {_n(stage['in'])} → out {_n(stage['out'])}; dropped {_n(dropped)} "
        f"({_pct(dropped, stage['in'])}); text out {_bytes(stage.get('bytes_out'))}; {seconds:.2f} s ({rate})</p>"
    )
    body = [summary]
    if stage["dropped"]:
        body.append(_reasons(stage))
    body += [_signals(stage), _optout(out, stage), _dedup(stage), _prepare(stage), _counters(stage)]
    body.append(_samples(out, stage, names))
    numbers = {
        "in": stage["in"],
        "out": stage["out"],
        "dropped": dropped,
        "bytes_out": stage.get("bytes_out", 0),
    }
    attrs = _attrs(stage=stage["name"], **numbers)
    return _section(
        f"stage-{stage['name']}", f"{_e(stage['name'])}{badge}", "".join(body), f"class='stage' {attrs}"
    )


def report_data(stats: dict[str, Any]) -> dict[str, Any]:
    """The numbers the page shows, as embedded in its JSON block."""
    return {
        "recipe": stats.get("recipe"),
        "records": {k: stats["records"][k] for k in ("read", "documents", "skipped")},
        "final_documents": stats["final_documents"],
        "stages": [
            {
                "name": s["name"],
                "in": s["in"],
                "out": s["out"],
                "dropped": s["dropped"],
                "bytes_out": s.get("bytes_out", 0),
                "seconds": round(total_seconds(s), 4),
                "counters": s.get("counters", {}),
                "signals": {n: h["n"] for n, h in s.get("histograms", {}).items()},
            }
            for s in stats["stages"]
        ],
    }


def json_block(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    return f'<script type="application/json" id="curate-data">{text}</script>'


def page(title: str, nav: str, body: list[str], data: dict[str, Any]) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{STYLE}</style></head><body>{nav}<main>{''.join(body)}</main>"
        f"{json_block(data)}<script>{SCRIPT}</script></body></html>\n"
    )


def build_report(out: str | os.PathLike[str] | Location) -> Location:
    """(Re)build DIR/report.html from DIR/stats.json and the rows in DIR."""
    out = Location(out)
    stats = load_stats(out)
    names = [s["name"] for s in stats["stages"]]
    body = [
        _header(out, stats),
        _funnel(stats),
        _timings(stats),
        _languages(out, stats),
        _domains(out, stats),
        *(_stage(out, stage, names) for stage in stats["stages"]),
    ]
    path = out / "report.html"
    write_text_atomic(
        path, page(f"curate report: {stats.get('recipe', '')}", _nav(stats), body, report_data(stats))
    )
    return path
