"""The text report of ``pv lint``: the gate table, the findings, the result line."""

from __future__ import annotations

from typing import TextIO

from pv.diagnostics import printable
from pv.lint.framework import LintRun, Verdict

_WIDTH = 16
_STYLE = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.SKIP: "yellow"}


def gate_lines(run: LintRun) -> list[tuple[str, Verdict, str, str]]:
    out = []
    for number, gate in enumerate(run.gates, 1):
        head = f"Gate {number}: {gate.name} ".ljust(_WIDTH + 8, ".")
        tail = f" ({gate.summary}) [{gate.ms:.0f} ms]"
        if gate.vacuous:
            tail = f" (measured nothing: {gate.summary}) [{gate.ms:.0f} ms]"
        out.append((printable(head), gate.verdict, printable(tail), gate.name))  # summaries may quote input
    return out


def write_text(run: LintRun, stream: TextIO, *, color: bool, quiet: bool, extra: list[str]) -> None:
    diags = run.diagnostics
    if not color:
        for head, verdict, tail, _ in gate_lines(run):
            stream.write(f"{head} {verdict.value}{tail}\n")
        if not quiet:
            for d in diags:
                stream.write(f"{d.render()} [{d.severity.label}]\n")
        for line in extra:
            stream.write(printable(line) + "\n")
        stream.write(run.result_line() + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    from pv.report.text import diagnostic_text

    console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=True)
    for head, verdict, tail, _ in gate_lines(run):
        t = Text(head + " ")
        t.append(verdict.value, style=_STYLE[verdict])
        t.append(tail, style="dim")
        console.print(t)
    if not quiet:
        for d in diags:
            console.print(diagnostic_text(d))
    for line in extra:
        console.print(Text(printable(line), style="dim"))
    style = "bold red" if run.failed or run.vacuous else "bold green"
    console.print(Text(run.result_line(), style=style))
