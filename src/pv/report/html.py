"""``pv report --html``: one self-contained HTML file for auditors.

Rendered from the JSON shape of :mod:`pv.status.export` (the same data as
``pv status --format json``). No network and no external assets: CSS and the
small vanilla-JS filter are inline, and a Content-Security-Policy forbids any
fetch, so the file opens identically offline, from an archive or an e-mail.
Tables are rendered server-side, so the report reads fine with JS disabled;
JS only adds the status filter, the "overclaiming only" toggle and search.
"""

from __future__ import annotations

from html import escape
from typing import Any

RUNG_NAMES: tuple[str, ...] = ("INVALID", "DRAFT", "PARTIAL_ALGORITHM_LEVEL", "FUNCTIONAL", "DISCHARGED")
_RUNG_LABEL = {"INVALID": "Invalid", "DRAFT": "Draft", "PARTIAL_ALGORITHM_LEVEL": "Partial", "FUNCTIONAL": "Functional",
               "DISCHARGED": "Discharged"}

_CSS = """
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dee7;--bg:#f6f7fa;--card:#fff;
--INVALID:#7f1d1d;--DRAFT:#6b7280;--PARTIAL_ALGORITHM_LEVEL:#b45309;--FUNCTIONAL:#1d4ed8;--DISCHARGED:#15803d;--bad:#b91c1c}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}header{background:#111827;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:20px}header p{margin:0;color:#c7cdd8;font-size:13px}
main{padding:18px 28px 40px;max-width:1500px}section{background:var(--card);border:1px solid var(--line);
border-radius:8px;padding:14px 16px;margin:0 0 18px}h2{font-size:16px;margin:0 0 10px}
.summary{display:flex;gap:10px;flex-wrap:wrap}.tile{border:1px solid var(--line);border-radius:8px;
padding:8px 14px;min-width:120px}.tile b{display:block;font-size:22px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;color:#fff;font-size:12px;font-weight:600;
white-space:nowrap}.badge.none{background:#9ca3af}
.badge.INVALID{background:var(--INVALID)}.badge.DRAFT{background:var(--DRAFT)}.badge.PARTIAL_ALGORITHM_LEVEL{background:var(--PARTIAL_ALGORITHM_LEVEL)}
.badge.FUNCTIONAL{background:var(--FUNCTIONAL)}.badge.DISCHARGED{background:var(--DISCHARGED)}
.badge.over{background:#fff;color:var(--bad);border:1.5px solid var(--bad)}
.filters{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-bottom:12px}
.filters button{border:1px solid var(--line);background:#fff;border-radius:6px;padding:5px 10px;cursor:pointer;
font:inherit}.filters button.active{background:#111827;color:#fff;border-color:#111827}
.filters input[type=search]{padding:5px 8px;border:1px solid var(--line);border-radius:6px;min-width:220px}
#shown{color:var(--muted);margin-left:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);background:#fafbfc}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.next{font-size:12px;color:var(--muted);margin-bottom:2px}
ul.why{margin:0;padding-left:18px;color:#7c2d12}ul.why li{margin:1px 0}.ok{color:var(--DISCHARGED)}
.out{font-weight:600}.out.passed{color:#15803d}.out.failed,.out.error{color:var(--bad)}
.out.none,.out.skipped,.out.xfailed,.out.xpassed,.out.stale{color:#b45309}.muted{color:var(--muted)}
.sb{font-size:11px;color:var(--bad);font-weight:600;white-space:nowrap}td code.muted{white-space:nowrap}.counts{white-space:nowrap;color:var(--muted)}
tr.hidden{display:none}
"""

_JS = """
(function(){
  var current='ALL', overOnly=false, query='';
  function apply(){
    var shown=0, total=0;
    document.querySelectorAll('tr[data-computed]').forEach(function(tr){
      var ok=(current==='ALL'||tr.dataset.computed===current)&&(!overOnly||tr.dataset.over==='1')
        &&(!query||tr.textContent.toLowerCase().indexOf(query)>=0);
      tr.classList.toggle('hidden',!ok);
      if(tr.dataset.kind==='contract'){total++; if(ok){shown++;}}
    });
    document.getElementById('shown').textContent=shown+' of '+total+' contracts shown';
  }
  document.querySelectorAll('.filters button[data-filter]').forEach(function(b){
    b.addEventListener('click',function(){
      current=b.dataset.filter;
      document.querySelectorAll('.filters button[data-filter]').forEach(function(o){
        o.classList.toggle('active',o===b);});
      apply();});
  });
  document.getElementById('over').addEventListener('change',function(e){overOnly=e.target.checked;apply();});
  document.getElementById('q').addEventListener('input',function(e){query=e.target.value.toLowerCase();apply();});
  apply();
})();
"""


def _badge(name: str | None, extra: str = "") -> str:
    if name is None:
        return '<span class="badge none">undeclared</span>'
    return f'<span class="badge {escape(name)}{extra}">{escape(_RUNG_LABEL.get(name, name))}</span>'


def _contract_row(c: dict[str, Any]) -> str:
    over = c["overclaims"]
    declared = _badge(c["declared"])
    if over:
        declared += ' <span class="badge over" title="declared status is above the computed one">overclaims</span>'
    n = c["counts"]
    counts = (f'{n["falsifiers"]} falsifier{"" if n["falsifiers"] == 1 else "s"}: {n["bound"]} bound, '
              f'{n["pending"]} pending, {n["passed"]} passed, {n["discharged"]}/{n["live"]} discharged')
    why = c["why_not_higher"]
    nxt = c.get("next_rung")
    why_html = (f'<div class="next">not {escape(_RUNG_LABEL.get(nxt, nxt or ""))} because:</div>'
                "<ul class=\"why\">" + "".join(f"<li>{escape(w)}</li>" for w in why) + "</ul>") if why else (
        '<span class="ok">top rung reached</span>')
    return (
        f'<tr data-kind="contract" data-computed="{escape(c["computed"])}" data-over="{int(over)}" '
        f'id="c-{escape(c["contract_id"])}">'
        f'<td><b>{escape(c["contract_id"])}</b><br><code class="muted">{escape(c["path"])}</code></td>'
        f'<td>{escape(c["version"])}</td><td>{declared}</td><td>{_badge(c["computed"])}</td>'
        f'<td class="counts">{escape(counts)}</td><td>{why_html}</td></tr>'
    )


def _outcome(text: str | None, passed: bool, note: str) -> str:
    if text is None:
        cls, label = "none", "never run"
    elif text == "passed" and not passed:
        cls, label = "stale", "stale"
    else:
        cls, label = text, text
    return f'<span class="out {escape(cls)}" title="{escape(note)}">{escape(label)}</span>'


def _trace_rows(c: dict[str, Any]) -> list[str]:
    rows = []
    attrs = f'data-kind="falsifier" data-computed="{escape(c["computed"])}" data-over="{int(c["overclaims"])}"'
    for f in c["falsifiers"]:
        tests = f["tests"] or [None]
        packs = ", ".join(
            f'<code>{escape(p["pack"])}</code> '
            + ('<span class="ok">discharged</span>' if p["discharged"] else
               f'<span class="out failed" title="{escape(p["note"])}">not discharged</span>')
            + f'<br><span class="muted">{escape(p["note"])}</span>'
            for p in f["packs"]
        ) or ('<span class="muted">LIVE-PENDING: ' + escape(f["pending_reason"]) + "</span>" if f["pending"]
              else '<span class="muted">none</span>')
        for i, t in enumerate(tests):
            first = i == 0
            fid = (f'<b>{escape(f["id"])}</b>' + (' <span class="sb">ship-blocking</span>' if f["ship_blocking"]
                                                   else "")) if first else ""
            if t is None:
                refs = ", ".join(r["text"] for r in f["refs"]) or "(no reference)"
                test_cell = f'<span class="muted">{escape(refs)}</span>'
                out = escape("; ".join(f["problems"])) or '<span class="muted">—</span>'
            else:
                test_cell = f'<code>{escape(t["node_id"])}</code>'
                out = _outcome(t["outcome"], t["passed"], t["note"])
            rows.append(
                f'<tr {attrs}><td>{escape(c["contract_id"]) if first else ""}</td><td>{fid}</td>'
                f'<td>{escape(f["state"]) if first else ""}</td><td>{test_cell}</td><td>{out}</td>'
                f'<td>{packs if first else ""}</td></tr>'
            )
    return rows


def render(data: dict[str, Any], *, title: str = "pv contract status", generated: str = "") -> str:
    """The whole report as one HTML string (``data``: :func:`pv.status.export.to_json`)."""
    contracts = data["contracts"]
    summary = data["summary"]
    tiles = "".join(
        f'<div class="tile">{_badge(r)}<b>{summary["computed"].get(r, 0)}</b></div>' for r in RUNG_NAMES
    ) + f'<div class="tile"><span class="badge over">overclaiming</span><b>{summary["overclaiming"]}</b></div>'
    buttons = '<button type="button" class="active" data-filter="ALL">All</button>' + "".join(
        f'<button type="button" data-filter="{r}">{_RUNG_LABEL[r]}</button>' for r in RUNG_NAMES
    )
    contract_rows = "\n".join(_contract_row(c) for c in contracts)
    trace_rows = "\n".join(row for c in contracts for row in _trace_rows(c))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body><header><h1>{escape(title)}</h1>
<p>Status computed from recorded test runs and verified evidence packs, not from what contracts declare.
{escape(generated)}</p></header>
<main>
<section><h2>Summary ({summary["contracts"]} contracts)</h2><div class="summary">{tiles}</div></section>
<section><div class="filters" role="toolbar" aria-label="Filter by computed status">{buttons}
<label><input type="checkbox" id="over"> overclaiming only</label>
<input type="search" id="q" placeholder="search contracts, falsifiers, tests">
<span id="shown"></span></div>
<h2>Contracts</h2>
<table id="contracts"><thead><tr><th>Contract</th><th>Version</th><th>Declared</th><th>Computed</th>
<th>Falsifiers</th><th>Why not one rung higher</th></tr></thead><tbody>
{contract_rows}
</tbody></table></section>
<section><h2>Trace matrix: falsifier → test → last outcome → evidence pack</h2>
<table id="trace"><thead><tr><th>Contract</th><th>Falsifier</th><th>State</th><th>Test</th><th>Last outcome</th>
<th>Evidence pack</th></tr></thead><tbody>
{trace_rows}
</tbody></table></section>
</main><script>{_JS}</script></body></html>
"""
