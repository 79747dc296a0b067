"""Gather the ladder's facts from a project: contracts, classified references, the test index.

The one adapter between pv's parsing/binding layers and the ladder: it runs
``pv validate``'s pipeline (pv.validate), classifies every reference with the
lint grammar (pv.binding.grammar), resolves test references against the
static test index (pv.binding.resolve), and hands the ladder plain facts.
A bound test whose body cannot fail, or that is skipped unconditionally, does
not count as bound: it would "pass" whatever the code does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.binding.grammar import BARE_RE, NODE_ID_RE, Kind, Part, classify
from pv.binding.resolve import Resolution, Resolver
from pv.checks.mutants import mutants_of
from pv.config import PvConfig
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import FalsifierView, LoadedContract
from pv.policy import apply_policy, is_error
from pv.status.facts import ContractFacts, FalsifierFacts, RefFacts, RefKind
from pv.testindex.index import build_index
from pv.validate import ValidationRun, validate_paths

_TEST_KINDS = {Kind.NODE_ID, Kind.BARE, Kind.PYTEST}


@dataclass(slots=True)
class Collected:
    contracts: list[ContractFacts]
    run: ValidationRun  # the validation run (for "nothing checked" and usage errors)
    diagnostics: list[Diagnostic]  # validation findings after [tool.pv] policy
    file_hashes: dict[str, str | None] = field(default_factory=dict)  # test files as the index read them


def _is_error(code: str, config: PvConfig, resolver: Resolver) -> bool:
    return is_error(code, config, lowered=resolver.lowered_codes)


def _param(part: Part) -> str:
    """The ``[param]`` suffix of a node ID or bare name, '' when none."""
    match = (NODE_ID_RE if part.kind is Kind.NODE_ID else BARE_RE).match(part.text.strip())
    return (match.group("param") or "") if match else ""


def _test_ref(part: Part, res: Resolution, config: PvConfig, resolver: Resolver) -> RefFacts:
    problems = [f.message for f in res.findings if _is_error(f.code, config, resolver)]
    for func in res.tests:
        if func.cannot_fail:
            problems.append(f"bound test {func.base_nodeid} cannot fail ({func.cannot_fail})")
        if func.skipped:
            problems.append(f"bound test {func.base_nodeid} never runs ({func.skipped})")
    param = _param(part) if part.kind in (Kind.NODE_ID, Kind.BARE) and len(res.tests) == 1 else ""
    # Citing a parametrized function binds every one of its cases: expand to the case IDs the
    # static index knows, so each case needs its own passing result (a run that recorded only
    # some cases must not count). Undecidable IDs stay as the function ID.
    node_ids = tuple(dict.fromkeys(
        nid for f in res.tests
        for nid in ([f.base_nodeid + param] if param or f.params_undecidable else f.item_ids())))
    if not node_ids and not problems:
        problems.append("it selects no collected test")
    return RefFacts(part.text, RefKind.TEST, node_ids, problem="; ".join(problems))


def _ref_facts(part: Part, resolver: Resolver, config: PvConfig) -> RefFacts:
    res = resolver.resolve(part)
    problem = "; ".join(f.message for f in res.findings if _is_error(f.code, config, resolver))
    if part.kind in _TEST_KINDS:
        return _test_ref(part, res, config, resolver)
    if part.kind is Kind.LIVE_PENDING:
        if not part.reason:
            return RefFacts(part.text, RefKind.INVALID, problem="LIVE-PENDING needs a reason")
        return RefFacts(part.text, RefKind.LIVE_PENDING, reason=part.reason, problem=problem)
    if part.kind is Kind.LIVE:
        from pv.binding.live import split_target

        live = split_target(part.target or "")
        if problem:
            return RefFacts(part.text, RefKind.INVALID, problem=problem)
        return RefFacts(part.text, RefKind.LIVE, pack=live.pack, seal=live.seal or "", problem=live.problem)
    if part.kind is Kind.PV:
        return RefFacts(part.text, RefKind.PV, problem=problem)
    if part.kind is Kind.SHELL:
        return RefFacts(part.text, RefKind.SHELL, problem=problem)
    return RefFacts(part.text, RefKind.INVALID, problem=problem or f"cannot classify {part.text!r}")


def falsifier_facts(view: FalsifierView, resolver: Resolver, config: PvConfig,
                    mutants: Sequence[Any] = ()) -> FalsifierFacts:
    refs = tuple(_ref_facts(part, resolver, config) for ref in view.refs for part in classify(ref.text))
    return FalsifierFacts(view.id, view.ship_blocking, refs, view.check, view.prediction, view.line, view.col,
                          tuple(mutants))


def contract_facts(contract: LoadedContract, errors: Sequence[Diagnostic], resolver: Resolver,
                   config: PvConfig) -> ContractFacts:
    key = ("status",) if "status" in contract.raw else ("metadata", "status")
    mutants = mutants_of(contract)
    line, col = contract.locate(key)
    return ContractFacts(
        contract_id=contract.contract_id,
        version=contract.version or "",
        path=Path(contract.path),
        declared=contract.declared_status,
        declared_line=line,
        declared_col=col,
        falsifiers=tuple(falsifier_facts(v, resolver, config, mutants.get(v.id, ()))
                         for v in contract.falsifiers()),
        validation_errors=tuple(d.render() for d in errors),
    )


def build_facts(run: ValidationRun, kept: Sequence[Diagnostic], config: PvConfig,
                resolver: Resolver) -> list[ContractFacts]:
    """Facts of every contract of a validation run; ``kept``: its findings after [tool.pv] policy."""
    errors_by_path: dict[str, list[Diagnostic]] = {}
    for d in kept:
        if d.severity >= Severity.ERROR:
            errors_by_path.setdefault(d.path, []).append(d)
    return [contract_facts(c, errors_by_path.get(c.path, []), resolver, config) for c in run.contracts]


def collect(paths: Sequence[str | Path], config: PvConfig) -> Collected:
    """Validate ``paths`` and build the facts of every contract that parsed."""
    run = validate_paths(paths, config)
    kept = apply_policy(run.diagnostics, config).kept
    index = build_index(config.root)
    resolver = Resolver(index, config.root, ambiguous_severity_is_error=config.ambiguous_bare_names == "error")
    return Collected(build_facts(run, kept, config, resolver), run, kept, index.file_hashes())
