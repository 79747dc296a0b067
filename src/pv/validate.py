"""``validate_paths``: the one pipeline every pv command starts with.

parse (pv.parse) -> model (pv.model) -> checks (pv.checks); reporting is the caller's job.
The findings returned are raw: severity overrides and suppressions from [tool.pv] are applied by
the command (pv.checks.policy.apply_policy) so that ``pv lint`` can also tell stale suppressions.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv import exitcodes
from pv.checks import codes
from pv.checks.crossref import check_cross
from pv.checks.ids import check_ids
from pv.checks.keys import check_keys, suggest
from pv.checks.schema import validate_model
from pv.checks.status import check_status
from pv.checks.versions import check_versions
from pv.config import PvConfig
from pv.diagnostics import Diagnostic, Severity
from pv.falsify.check import check_mutants
from pv.model.contract import LoadedBinding, LoadedContract
from pv.model.load import detect_kind, model_for
from pv.parse.discover import discover, display_path
from pv.parse.yamlload import KeyPath, load_file

# Discovery findings that mean "what you asked for is not there": the run exits 2, not 1.
USAGE_CODES = frozenset({codes.PATH_MISSING, codes.PATH_NO_CONTRACTS})


@dataclass(slots=True)
class ValidationRun:
    contracts: list[LoadedContract] = field(default_factory=list)  # parsed as mappings (schema may be bad)
    bindings: list[LoadedBinding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0  # files opened and judged (whatever the verdict)
    files: list[str] = field(default_factory=list)  # every file judged, as displayed

    @property
    def nothing_checked(self) -> bool:
        """True when no file was judged at all: such a run must never exit 0."""
        return self.files_checked == 0

    @property
    def usage_problems(self) -> list[Diagnostic]:
        """Missing paths, empty globs and directories without contracts."""
        return [d for d in self.diagnostics if d.code in USAGE_CODES]

    def exit_code(self, diagnostics: Sequence[Diagnostic] | None = None) -> int:
        """0 / 1 / 2 as docs/cli.md says, over ``diagnostics`` (default: this run's, unfiltered)."""
        diags = self.diagnostics if diagnostics is None else diagnostics
        if self.nothing_checked or self.usage_problems:
            return exitcodes.NOTHING_CHECKED
        if any(d.severity >= Severity.ERROR for d in diags):
            return exitcodes.FINDINGS
        return exitcodes.OK


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading builds hundreds of thousands of small, acyclic objects (nodes, tuples, dicts) that all
    stay alive, so every generation-2 pass rescans a growing heap for nothing: with 1,000 contracts
    that was ~45% of the run. Nothing here creates reference cycles (recursive aliases are refused),
    so reference counting frees everything; the collector is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_paths(paths: Sequence[str | Path], config: PvConfig) -> ValidationRun:
    """Discover, load and check every contract under ``paths``; never raises on bad input."""
    with _gc_paused():
        return _validate_paths(paths, config)


def _validate_paths(paths: Sequence[str | Path], config: PvConfig) -> ValidationRun:
    run = ValidationRun()
    found = discover(list(paths), config.root)
    run.diagnostics.extend(found.diagnostics)
    for file in found.files:
        shown = display_path(file, config.root)
        run.files_checked += 1
        run.files.append(shown)
        run.diagnostics.extend(_check_file(file, shown, config, run))
    search_dirs = [config.root / c for c in config.contracts]
    run.diagnostics.extend(check_cross(run.contracts, run.bindings, search_dirs))
    run.diagnostics.sort(key=Diagnostic.sort_key)
    return run


def _check_file(file: Path, shown: str, config: PvConfig, run: ValidationRun) -> list[Diagnostic]:
    parsed, diags = load_file(file, shown, config.max_file_bytes)
    if parsed is None:
        return diags
    raw = parsed.data
    if not isinstance(raw, dict):
        line, col = parsed.locate(())
        kind_name = "a list" if isinstance(raw, list) else "a single value"
        return [*diags, Diagnostic(codes.YAML_NOT_MAPPING, Severity.ERROR,
                                   f"the top level is {kind_name}; a contract is a mapping (key: value)",
                                   shown, line, col, hint="start the file with 'metadata:'")]
    kind = detect_kind(raw)
    if kind == "unknown":
        guesses = _top_level_guesses(raw)
        if not guesses:
            return [*diags, Diagnostic(codes.SCH_UNKNOWN_KIND, Severity.ERROR,
                                       "not a contract: none of the top-level keys "
                                       f"({', '.join(sorted(map(str, raw))[:5])}) belongs to a contract or binding registry",
                                       shown, 1, 1, hint="a contract starts with 'metadata:' or 'contract_id:'")]
        kind = "provable"
    model_cls = model_for(kind)

    def allowed(path: KeyPath, key: str) -> bool:
        scope = str(path[0]) if path else kind
        return key in config.extensions_for(scope) or key in config.extensions_for(kind)

    hint = _other_dialect_hint(kind)
    diags += check_keys(raw, model_cls, shown, parsed.locate_key, allowed, hint)
    model, schema_diags = validate_model(model_cls, raw, shown, parsed)
    diags += schema_diags
    stem = file.name.rsplit(".", 1)[0]
    if kind == "binding":
        run.bindings.append(LoadedBinding(shown, stem, model, raw, parsed, file))
        return diags
    contract = LoadedContract(path=shown, stem=stem, dialect=kind, model=model, raw=raw,
                              positions=parsed, file=file)
    run.contracts.append(contract)
    diags += check_status(contract)
    diags += check_ids(contract)
    diags += check_versions(contract)
    diags += check_mutants(contract, config.root)
    return diags


def _top_level_guesses(raw: dict[str, Any]) -> list[str]:
    from pv.checks.keys import model_keys
    from pv.model.gate import GateContract
    from pv.model.provable import ProvableContract

    known = model_keys(ProvableContract).known | model_keys(GateContract).known
    return [g for k in raw if (g := suggest(str(k), known))]


def _other_dialect_hint(kind: str) -> Callable[[str], str | None] | None:
    """For a top-level key that belongs to the other dialect: say so instead of a bare 'unknown'."""
    from pv.checks.keys import model_keys
    from pv.model.gate import GateContract
    from pv.model.provable import ProvableContract

    other = {"provable": (GateContract, "gate"), "gate": (ProvableContract, "provable")}.get(kind)
    if other is None:
        return None
    other_keys = model_keys(other[0]).known

    def hint(key: str) -> str | None:
        if key in other_keys:
            return (f"'{key}' belongs to the {other[1]} dialect, but this file is a {kind} contract; "
                    "a contract uses one dialect")
        return None

    return hint
