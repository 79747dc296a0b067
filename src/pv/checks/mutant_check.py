"""``pv validate``'s mutant checks: each declared mutant still applies to the files on disk.

Reported at the mutant's own line:col in the contract (PV-MUT-001..003), so an edit of the code that
makes a mutant stale is caught by the cheap check, not first by a ``pv falsify`` run.
"""

from __future__ import annotations

from pathlib import Path

from pv.checks import mutant_codes as codes
from pv.checks.mutants import MutantError, mutants_of, reader
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract


def check_mutants(contract: LoadedContract, root: Path) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    read = reader(root)
    for mutants in mutants_of(contract).values():
        for m in mutants:
            try:
                m.apply(read)
            except MutantError as exc:
                if m.patch is not None:
                    code = codes.MUT_PATCH
                elif read(m.file or "") is None:
                    code = codes.MUT_FILE
                else:
                    code = codes.MUT_FIND
                out.append(Diagnostic(code, Severity.ERROR, f"{m.label}: {exc}", contract.path, m.line, m.col,
                                      hint="paths are relative to the project root ([tool.pv] root)",
                                      data={"falsifier": m.falsifier}))
    return out
