"""Text for people: ``path:line:col: CODE message`` lines, then a one-line summary.

On a terminal the lines are colored with rich; otherwise (pipes, CI logs, tests) they are plain,
byte-for-byte the ``Diagnostic.render()`` text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pv.diagnostics import Diagnostic, Severity, printable

if TYPE_CHECKING:
    from rich.text import Text

    from pv.report import RunSummary

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def diagnostic_text(d: Diagnostic) -> Text:
    """One finding as colored rich text: ``path:line:col: CODE message (hint) [severity]``.

    The one place that styles a diagnostic line (pv validate and the pv lint gate table use it).
    """
    from rich.text import Text

    t = Text()
    t.append(printable(f"{d.path}:{d.line}:{d.col}: "), style="bold")
    t.append(printable(d.code), style=_STYLE[d.severity])
    t.append(printable(f" {d.message}"))
    if d.hint:
        t.append(printable(f" ({d.hint})"), style="dim")
    t.append(f" [{d.severity.label}]", style=_STYLE[d.severity])
    return t


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write(diags: Sequence[Diagnostic], stream: TextIO, summary: RunSummary, options: dict[str, Any]) -> None:
    color = options.get("color")
    if color is None:
        color = _is_tty(stream)
    quiet = bool(options.get("quiet"))
    if not color:
        if not quiet:
            for d in diags:
                stream.write(f"{d.render()} [{d.severity.label}]\n")
        stream.write(printable(summary.line(diags)) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True, force_terminal=True)
    if not quiet:
        for d in diags:
            console.print(diagnostic_text(d))
    line = printable(summary.line(diags))
    errors = any(d.severity == Severity.ERROR for d in diags)
    style = "bold red" if errors or summary.files_checked == 0 else "bold green"
    console.print(Text(line, style=style))
