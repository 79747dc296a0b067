"""Check every test reference of every falsifier: classify, resolve, and judge the bound tests.

Input is the normalized contract view (``LoadedContract.falsifiers()``), so
every field that can cite a test is read (``test``, ``test_harness``,
``name``, ``command``, ``evidence_discharged_by``, invariant harness names).
Output is one :class:`BindingReport`: the findings at the exact file:line:col,
and counts per reference class, so a run always shows what it measured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pv.binding import codes
from pv.binding.codes import STRICT_CODES
from pv.binding.grammar import Kind, classify
from pv.binding.locate import SourceLines
from pv.binding.resolve import Resolver
from pv.diagnostics import Diagnostic, Severity
from pv.policy import severity_of
from pv.testindex.model import TestFunction

TEST_KINDS = frozenset({Kind.NODE_ID, Kind.BARE, Kind.PYTEST})


class ReferenceLike(Protocol):
    text: str
    field: str
    path: str
    line: int
    col: int


class FalsifierLike(Protocol):
    id: str
    refs: list  # type: ignore[type-arg]
    path: str
    line: int
    col: int


class ContractLike(Protocol):
    path: str
    file: Path | None

    def falsifiers(self) -> Sequence[FalsifierLike]: ...


@dataclass(slots=True)
class Binding:
    """A falsifier's reference that names specific tests (for the markers gate and pv status)."""

    falsifier_id: str
    reference: ReferenceLike
    tests: list[TestFunction]


@dataclass(slots=True)
class BindingReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    references: int = 0  # reference strings read
    by_kind: Counter[str] = field(default_factory=Counter)  # parts per class
    test_references: int = 0  # parts that cite tests (node IDs, bare names, pytest commands)
    dangling: int = 0  # reference strings that do not resolve (an error-level binding finding)
    unusable: int = 0  # resolved, but only to tests that cannot fail or never run (PV-BIND-017/018)
    falsifiers: int = 0
    falsifiers_without_reference: int = 0
    tests_bound: set[str] = field(default_factory=set)
    bindings: list[Binding] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{self.by_kind.get(k.value, 0)} {k.value}" for k in Kind)
        return (f"{self.references} refs of {self.falsifiers} falsifiers ({kinds}); "
                f"{len(self.tests_bound)} tests bound; {self.dangling} dangling"
                + (f"; {self.unusable} bound only to tests that cannot fail or never run" if self.unusable else ""))

    def counts(self) -> dict[str, object]:
        return {
            "references": self.references, "test_references": self.test_references,
            "by_kind": {k.value: self.by_kind.get(k.value, 0) for k in Kind},
            "tests_bound": len(self.tests_bound), "dangling": self.dangling, "unusable": self.unusable,
            "falsifiers": self.falsifiers,
            "falsifiers_without_reference": self.falsifiers_without_reference,
        }  # fmt: skip


def check_bindings(
    contracts: Iterable[ContractLike], resolver: Resolver, *, strict: bool = False
) -> BindingReport:
    """Judge every reference. ``strict`` (--strict-test-binding) makes 'undecidable' and 'no reference' errors."""
    report = BindingReport()
    sources = SourceLines()
    raised = STRICT_CODES if strict else frozenset()

    def severity(code: str) -> Severity:  # [tool.pv] overrides are applied by the caller's apply_policy
        return severity_of(code, raised=raised, lowered=resolver.lowered_codes)

    for contract in contracts:
        for falsifier in contract.falsifiers():
            report.falsifiers += 1
            if not falsifier.refs:
                report.falsifiers_without_reference += 1
                report.diagnostics.append(Diagnostic(
                    codes.NO_REFERENCE, severity(codes.NO_REFERENCE),
                    f"{falsifier.id}: cites no test (no test, test_harness, name or evidence_discharged_by)",
                    falsifier.path, falsifier.line, falsifier.col,
                    hint="bind a test, or write `LIVE-PENDING: <reason>`", data={"falsifier": falsifier.id}))
                continue
            for ref in falsifier.refs:
                report.references += 1
                ref_has_error = False
                ref_unusable = False
                for part in classify(ref.text):
                    report.by_kind[part.kind.value] += 1
                    if part.kind in TEST_KINDS:
                        report.test_references += 1
                    resolution = resolver.resolve(part)
                    for finding in resolution.findings:
                        line, col = sources.locate(contract.file, ref.line, ref.col, finding.fragment)
                        sev = severity(finding.code)
                        ref_has_error = ref_has_error or sev >= Severity.ERROR
                        report.diagnostics.append(Diagnostic(
                            finding.code, sev, f"{ref.field}: {finding.message}", ref.path, line, col,
                            hint=finding.hint,
                            data={"falsifier": falsifier.id, "field": ref.field, "reference": ref.text}))
                    if resolution.findings and any(
                        severity(f.code) >= Severity.ERROR for f in resolution.findings
                    ):
                        continue  # a dangling part binds nothing
                    for test in resolution.tests:
                        if test.cannot_fail is None and test.skipped is None:
                            report.tests_bound.add(test.base_nodeid)
                    if resolution.specific and resolution.tests:
                        report.bindings.append(Binding(falsifier.id, ref, list(resolution.tests)))
                        for test in resolution.tests:
                            for code, why in ((codes.CANNOT_FAIL, test.cannot_fail), (codes.SKIPPED, test.skipped)):
                                if why is None:
                                    continue
                                line, col = sources.locate(contract.file, ref.line, ref.col, part.text)
                                sev = severity(code)
                                ref_unusable = ref_unusable or sev >= Severity.ERROR
                                verb = "cannot fail" if code == codes.CANNOT_FAIL else "is skipped unconditionally"
                                report.diagnostics.append(Diagnostic(
                                    code, sev,
                                    f"{ref.field}: bound test {test.base_nodeid} ({test.file}:{test.line}) {verb}: {why}",
                                    ref.path, line, col,
                                    data={"falsifier": falsifier.id, "field": ref.field, "test": test.base_nodeid}))
                if ref_has_error:
                    report.dangling += 1
                elif ref_unusable:
                    report.unusable += 1
    return report
