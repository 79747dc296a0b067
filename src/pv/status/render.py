"""``pv status`` output: a rich table (text), Markdown, or JSON (pv.status.export).

Text: one row per contract (declared, computed, falsifier counts), then for
each contract below DISCHARGED the reasons it is not one rung higher; ``-v``
adds a row per falsifier. Markdown is the same content for PR comments.
"""

from __future__ import annotations

from typing import Any, TextIO

from pv.diagnostics import printable as _p  # input text (IDs, references, notes): controls escaped
from pv.status.ladder import ContractStatus

_STYLE = {"INVALID": "bold red", "DRAFT": "dim", "PARTIAL_ALGORITHM_LEVEL": "yellow", "FUNCTIONAL": "cyan",
          "DISCHARGED": "bold green"}
_STATE_STYLE = {"passed": "green", "discharged": "bold green", "failed": "red", "dangling": "red",
                "unbound": "red", "stale": "yellow", "not run": "yellow", "skipped": "yellow",
                "pending": "magenta", "undischarged": "yellow"}


def _counts(cs: ContractStatus) -> list[str]:
    n = cs.counts()
    return [str(n["falsifiers"]), str(n["bound"]), str(n["pending"]), str(n["passed"]),
            f'{n["discharged"]}/{n["live"]}', f'{n["killed"]}/{n["mutants"]}']


def _tests_cell(fs: Any) -> str:
    if fs.tests:
        return "\n".join(_p(f"{t.node_id}: {t.note}") for t in fs.tests)
    return "\n".join(_p(r.text) for r in fs.facts.refs) or "(no reference)"


def _packs_cell(fs: Any, sep: str) -> str:
    packs = sep.join(_p(f"{p.pack}: {'discharged' if p.discharged else p.note}") for p in fs.packs)
    return packs or (_p(f"LIVE-PENDING: {fs.pending_reason}") if fs.pending else "")


def _mutants_cell(fs: Any) -> str:
    """killed/declared, then one line per mutant that is not killed."""
    if not fs.mutants:
        return "-"
    return "\n".join([fs.falsifiable, *(f"{m.label}: {m.note}" for m in fs.mutants if not m.killed)])


def render_text(statuses: list[ContractStatus], stream: TextIO, *, verbose: bool = False,
                color: bool | None = None, ledger_note: str = "") -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream, force_terminal=color, no_color=color is False, highlight=False,
                      width=None if stream.isatty() else 160)
    table = Table(title="Contract status (computed from recorded runs and evidence)", title_justify="left")
    for col in ("Contract", "Declared", "Computed", "Falsifiers", "Bound", "Pending", "Passed", "Discharged",
                "Falsifiable"):
        table.add_column(col, justify="right" if col in {"Falsifiers", "Bound", "Pending", "Passed"} else "left")
    for cs in statuses:
        declared = cs.facts.declared.name if cs.facts.declared is not None else "-"
        decl = Text(declared, style="bold red" if cs.overclaims else "")
        if cs.overclaims:
            decl.append(" (overclaims)", style="bold red")
        name = Text(_p(cs.facts.contract_id) + "\n")  # Text, not markup: an ID may hold '[' too
        name.append(_p(cs.facts.path.as_posix()), style="dim")
        table.add_row(name, decl,
                      Text(cs.computed_name, style=_STYLE[cs.computed_name]), *_counts(cs))
    console.print(table)
    for cs in statuses:
        if verbose:
            ft = Table(title=Text(_p(f"{cs.facts.contract_id}: falsifiers")), title_justify="left")
            for col in ("Falsifier", "Ship-blocking", "State", "Tests (last recorded outcome)", "Evidence",
                        "Falsifiable"):
                ft.add_column(col)
            for fs in cs.falsifiers:
                ft.add_row(Text(_p(fs.id)), "yes" if fs.facts.ship_blocking else "no",
                           Text(fs.state, style=_STATE_STYLE.get(fs.state, "")), Text(_tests_cell(fs)),
                           Text(_packs_cell(fs, "\n")), Text(_p(_mutants_cell(fs))))
            console.print(ft)
        why = cs.why_not_higher
        if why:
            above = cs.next_rung.name if cs.next_rung is not None else ""
            console.print(Text(_p(f"{cs.facts.contract_id}: not {above} because:"), style="bold"))
            for line in why:
                console.print(Text(_p(f"  - {line}")))
    over = [cs for cs in statuses if cs.overclaims]
    summary = f"pv status: {len(statuses)} contract(s), {len(over)} overclaiming"
    if ledger_note:
        console.print(Text(_p(ledger_note), style="dim"))
    console.print(Text(summary, style="bold red" if over else "bold"))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_markdown(statuses: list[ContractStatus], stream: TextIO, *, verbose: bool = False) -> None:
    out = ["| Contract | Declared | Computed | Falsifiers | Bound | Pending | Passed | Discharged | Falsifiable |",
           "|---|---|---|---:|---:|---:|---:|---|---|"]
    for cs in statuses:
        declared = cs.facts.declared.name if cs.facts.declared is not None else "-"
        if cs.overclaims:
            declared = f"**{declared} (overclaims)**"
        out.append(f"| `{_md(_p(cs.facts.contract_id))}` | {declared} | {cs.computed_name} | "
                   + " | ".join(_counts(cs)) + " |")
    for cs in statuses:
        if verbose:
            out += ["", f"#### {_md(_p(cs.facts.contract_id))}", "",
                    "| Falsifier | Ship-blocking | State | Tests | Evidence | Falsifiable |",
                    "|---|---|---|---|---|---|"]
            for fs in cs.falsifiers:
                packs = _packs_cell(fs, "<br>") if fs.packs else ""
                out.append(f"| {_md(_p(fs.id))} | {'yes' if fs.facts.ship_blocking else 'no'} | {fs.state} | "
                           f"{_md(_tests_cell(fs))} | {_md(packs)} | {_md(_p(_mutants_cell(fs)))} |")
        if cs.why_not_higher:
            out += ["", f"**{_md(_p(cs.facts.contract_id))}** ({cs.computed_name}) is not one rung higher because:"]
            out += [f"- {_md(_p(line))}" for line in cs.why_not_higher]
    stream.write("\n".join(out) + "\n")
