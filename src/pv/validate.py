"""``validate_paths``: the one pipeline every pv command starts with.

parse (pv.parse) -> model (pv.model) -> checks (pv.checks); reporting is the caller's job.
The findings returned are raw: severity overrides and suppressions from [tool.pv] are applied by
the command (pv.policy.apply_policy) so that ``pv lint`` can also tell stale suppressions.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pv import exitcodes
from pv.checks import codes
from pv.checks.crossref import check_cross
from pv.checks.ids import check_ids
from pv.checks.keys import check_keys, suggest
from pv.checks.mutant_check import check_mutants
from pv.checks.schema import validate_model
from pv.checks.status import check_status
from pv.checks.versions import check_versions
from pv.config import PvConfig
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedBinding, LoadedContract
from pv.model.load import detect_kind, model_for
from pv.parse import codes as parse_codes
from pv.parse.discover import discover, display_path
from pv.parse.yamlload import KeyPath, load_file

# Discovery findings that mean "what you asked for is not there": the run exits 2, not 1.
USAGE_CODES = frozenset({parse_codes.PATH_MISSING, parse_codes.PATH_NO_CONTRACTS})


# validate's checks, one written-out list per kind, in the order their findings are reported:
# the contract alone, then the contract against the project (mutants must apply to real files).
# Cross-file checks (pv.checks.crossref) run once over the whole set after every file is loaded.
CONTRACT_CHECKS: tuple[Callable[[LoadedContract], list[Diagnostic]], ...] = (check_status, check_ids, check_versions)
PROJECT_CHECKS: tuple[Callable[[LoadedContract, Path], list[Diagnostic]], ...] = (check_mutants,)


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
        run.diagnostics.extend(_check_file_isolated(file, shown, config, run))
    search_dirs = [config.root / c for c in config.contracts]
    roots = [Path(p) for p in paths if Path(p).is_dir()] + [d for d in search_dirs if d.is_dir()]
    run.diagnostics.extend(check_cross(run.contracts, run.bindings, search_dirs, roots))
    run.diagnostics.sort(key=Diagnostic.sort_key)
    return run


def _check_file_isolated(file: Path, shown: str, config: PvConfig, run: ValidationRun) -> list[Diagnostic]:
    """``_check_file``, with an unexpected error confined to the file that caused it.

    Every refusal of bad input is a diagnostic already; this is the net under pv's own bugs, so that
    one odd file is one finding (PV-YAML-017, naming the error) and every other file of a directory
    run is still checked, instead of the whole ``validate``/``lint``/``status``/``report`` run ending
    in "internal error" with nothing reported. A half-added contract is taken back out of ``run``.
    """
    contracts, bindings = len(run.contracts), len(run.bindings)
    try:
        return _check_file(file, shown, config, run)
    except Exception as exc:
        if os.environ.get("PV_DEBUG"):
            raise
        del run.contracts[contracts:], run.bindings[bindings:]
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
        return [Diagnostic(parse_codes.FILE_UNCHECKED, Severity.ERROR,
                           f"pv could not check this file: {type(exc).__name__}: {message} (a pv bug; the "
                           "other files were checked)", shown, 1, 1,
                           hint="report it with the file; `--debug` shows the traceback")]


def _check_file(file: Path, shown: str, config: PvConfig, run: ValidationRun) -> list[Diagnostic]:
    parsed, diags = load_file(file, shown, config.max_file_bytes)
    if parsed is None:
        return diags
    raw = parsed.data
    if not isinstance(raw, dict):
        line, col = parsed.locate(())
        kind_name = "a list" if isinstance(raw, list) else "a single value"
        return [*diags, Diagnostic(parse_codes.YAML_NOT_MAPPING, Severity.ERROR,
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
    key_diags = check_keys(raw, model_cls, shown, parsed.locate_key, allowed, hint)
    if config.unknown_keys == "warn":  # a registry migrating to pv sees every unknown key, without failing
        key_diags = [replace(d, severity=Severity.WARNING) if d.code == codes.SCH_UNKNOWN_KEY else d
                     for d in key_diags]
    diags += key_diags
    model, schema_diags = validate_model(model_cls, raw, shown, parsed)
    diags += schema_diags
    stem = file.name.rsplit(".", 1)[0]
    if kind == "binding":
        run.bindings.append(LoadedBinding(shown, stem, model, raw, parsed, file))
        return diags
    contract = LoadedContract(path=shown, stem=stem, dialect=kind, model=model, raw=raw,
                              positions=parsed, file=file)
    run.contracts.append(contract)
    for check in CONTRACT_CHECKS:
        diags += check(contract)
    for project_check in PROJECT_CHECKS:
        diags += project_check(contract, config.root)
    return diags


def _top_level_guesses(raw: dict[str, Any]) -> list[str]:
    from pv.checks.keys import model_keys
    from pv.model.gate import GateContract
    from pv.model.provable import ProvableContract

    known = model_keys(ProvableContract).known | model_keys(GateContract).known
    return [g for k in raw if (g := suggest(str(k), known))]


def _other_dialect_hint(kind: str) -> Callable[[str], str | None] | None:
    """For a top-level key that belongs to another dialect: say so instead of a bare 'unknown'."""
    from pv.checks.keys import model_keys
    from pv.model.gate import GateContract
    from pv.model.kaizen import KaizenRecord
    from pv.model.provable import ProvableContract

    others = {"provable": ((KaizenRecord, "kaizen"), (GateContract, "gate")),
              "gate": ((ProvableContract, "provable"), (KaizenRecord, "kaizen")),
              "kaizen": ((GateContract, "gate"),)}.get(kind)
    if others is None:
        return None
    own = model_keys(model_for(kind)).known
    other_keys = [(model_keys(m).known - own, name) for m, name in others]

    def hint(key: str) -> str | None:
        for keys, name in other_keys:
            if key in keys:
                how = ("set metadata.kind: kaizen to make it one" if name == "kaizen"
                       else "a contract uses one dialect")
                return f"'{key}' belongs to the {name} dialect, but this file is a {kind} contract; {how}"
        return None

    return hint
