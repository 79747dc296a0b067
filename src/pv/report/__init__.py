"""Formatters for findings: text (rich on a terminal), json, github, sarif, junit.

``render(diagnostics, fmt, stream, summary=...)`` is the one entry point every command uses; a new
format is a module with ``write`` and one line in ``FORMATS``.
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

# The one list of output formats, written out: name -> the module whose ``write`` renders it
# (imported on first use, so ``pv --help`` does not pay for SARIF's rule table).
FORMATS: dict[str, str] = {
    "text": "pv.report.text",
    "json": "pv.report.jsonfmt",
    "github": "pv.report.github",
    "sarif": "pv.report.sarif",
    "junit": "pv.report.junit",
}


def formats() -> list[str]:
    return sorted(FORMATS)


def formatter(fmt: str) -> Formatter:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; use one of: {', '.join(sorted(FORMATS))}")
    import importlib

    write: Formatter = importlib.import_module(FORMATS[fmt]).write
    return write


def render(diagnostics: Sequence[Diagnostic], fmt: str, stream: TextIO, summary: RunSummary | None = None,
           **options: Any) -> None:
    """Write ``diagnostics`` (sorted by file, line, column) in format ``fmt`` to ``stream``.

    Options: ``color`` (text: None = auto-detect a terminal), ``quiet`` (text: summary only).
    """
    write = formatter(fmt)
    diags = sorted(diagnostics, key=Diagnostic.sort_key)
    write(diags, stream, summary or RunSummary(), options)
