"""Formatters for findings: text (rich on a terminal), json, github, sarif.

``render(diagnostics, fmt, stream, summary=...)`` is the one entry point every command uses.
``pv lint`` adds junit in pv.report.junit; it plugs in with :func:`register_format`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from pv.diagnostics import Diagnostic, Severity

JSON_SCHEMA_VERSION = 1  # bump on any incompatible change of the JSON shape (docs/cli.md)


@dataclass(slots=True)
class RunSummary:
    """What a run measured, shown after the findings and in the JSON/SARIF envelope."""

    command: str = "validate"
    files_checked: int = 0
    contracts: int = 0
    unit: str = "file"  # what files_checked counts, for the summary line ("pack" for evidence verify)
    suppressed: int = 0
    exit_code: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # command-specific counts (gates, refs, ...)

    def counts(self, diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
        return {
            "errors": sum(d.severity == Severity.ERROR for d in diagnostics),
            "warnings": sum(d.severity == Severity.WARNING for d in diagnostics),
            "infos": sum(d.severity == Severity.INFO for d in diagnostics),
        }

    def line(self, diagnostics: Sequence[Diagnostic]) -> str:
        c = self.counts(diagnostics)
        if self.files_checked == 0:
            verdict = "nothing checked"
        elif c["errors"]:
            verdict = "FAIL"
        else:
            verdict = "OK"

        def n(k: int, word: str) -> str:
            return f"{k} {word}{'' if k == 1 else 's'}"

        parts = [n(self.files_checked, self.unit) + " checked", n(c["errors"], "error"), n(c["warnings"], "warning")]
        if c["infos"]:
            parts.append(n(c["infos"], "info"))
        if self.suppressed:
            parts.append(f"{self.suppressed} suppressed")
        return f"pv {self.command}: {verdict}: " + ", ".join(parts)


Formatter = Callable[[Sequence[Diagnostic], TextIO, RunSummary, dict[str, Any]], None]
_FORMATS: dict[str, Formatter] = {}


def register_format(name: str, formatter: Formatter) -> None:
    _FORMATS[name] = formatter


def formats() -> list[str]:
    _load_builtin()
    return sorted(_FORMATS)


def render(diagnostics: Sequence[Diagnostic], fmt: str, stream: TextIO, summary: RunSummary | None = None,
           **options: Any) -> None:
    """Write ``diagnostics`` (sorted by file, line, column) in format ``fmt`` to ``stream``.

    Options: ``color`` (text: None = auto-detect a terminal), ``quiet`` (text: summary only).
    """
    _load_builtin()
    if fmt not in _FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; use one of: {', '.join(sorted(_FORMATS))}")
    diags = sorted(diagnostics, key=Diagnostic.sort_key)
    _FORMATS[fmt](diags, stream, summary or RunSummary(), options)


def _load_builtin() -> None:
    if "text" in _FORMATS:
        return
    from pv.report import github, jsonfmt, sarif, text

    register_format("text", text.write)
    register_format("json", jsonfmt.write)
    register_format("github", github.write)
    register_format("sarif", sarif.write)
    try:  # pv lint's formatter, when present
        from pv.report import junit

        if hasattr(junit, "write"):
            register_format("junit", junit.write)
    except ImportError:
        pass
