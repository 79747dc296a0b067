"""``--format github``: GitHub Actions workflow commands, so findings annotate the diff.

``::error file=F,line=L,col=C,title=CODE::message``; values are escaped as the runner requires
(``%``, CR, LF everywhere; ``:`` and ``,`` in properties too). Every other control character
(ESC, C1, bidi overrides) from input is escaped visibly first (pv.diagnostics.printable): the
runner prints annotations into the log, where an ESC sequence would redraw lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pv.diagnostics import Diagnostic, Severity, printable

if TYPE_CHECKING:
    from pv.report import RunSummary

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write(diags: Sequence[Diagnostic], stream: TextIO, summary: RunSummary, options: dict[str, Any]) -> None:
    for d in diags:
        props = (f"file={escape_property(d.path)},line={d.line},col={d.col},"
                 f"title={escape_property(d.code)}")
        message = f"{d.code}: {d.message}" + (f" ({d.hint})" if d.hint else "")
        stream.write(f"::{_LEVEL[d.severity]} {props}::{escape_data(message)}\n")
    stream.write(printable(summary.line(diags)) + "\n")
