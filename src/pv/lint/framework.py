"""Gate discovery and the run: see the package docstring for the protocol a gate implements."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pv.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from pv.binding.check import BindingReport
    from pv.binding.resolve import Resolver
    from pv.config import PvConfig
    from pv.status.facts import ContractFacts
    from pv.status.ladder import EvidenceBook
    from pv.testindex.index import TestIndex
    from pv.validate import ValidationRun


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(slots=True)
class GateOutcome:
    """What a gate's ``run`` returns (raw findings; the framework decides the verdict)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    measured: int = 0
    summary: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    skip_reason: str | None = None
    vacuous_is_error: bool = False  # measured nothing and that makes the run exit 2
    ms_before: float = 0.0  # work done for this gate before it ran (the schema gate: validation)


@dataclass(slots=True)
class GateResult:
    """A gate after policy, strictness and baseline were applied."""

    name: str
    order: int
    verdict: Verdict
    summary: str
    ms: float
    diagnostics: list[Diagnostic]  # the findings that count (kept)
    counts: dict[str, Any] = field(default_factory=dict)
    vacuous: bool = False  # measured nothing where something was required (exit 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "order": self.order, "verdict": self.verdict.value, "summary": self.summary,
            "ms": round(self.ms, 1), "findings": len(self.diagnostics), "counts": self.counts,
            "vacuous": self.vacuous,
        }  # fmt: skip


@dataclass(slots=True)
class LintOptions:
    strict: bool = False
    strict_test_binding: bool = False
    collect: bool = False
    use_cache: bool = True
    explicit_paths: bool = False  # PATHs were given (not the configured contract dirs)
    base: str | None = None  # git revision the version-bump gate compares against (--base)


@dataclass(slots=True)
class LintContext:
    """What every gate reads: the validated contracts, and the work gates share, each computed once.

    Gates share work only through these typed accessors (the index, the resolver, the binding report,
    the status facts, the evidence book), never by importing each other.
    """

    paths: list[str]
    config: PvConfig
    options: LintOptions
    validation: ValidationRun
    validate_ms: float = 0.0  # time validation took before the first gate (the schema gate reports it)
    full_set: bool = True  # the configured contract set, not a PATH subset (the markers gate needs it)
    index_prefetch: int | None = None  # the child building the index on the other core, until joined
    _index: TestIndex | None = None
    _resolver: Resolver | None = None
    _binding: BindingReport | None = None
    _facts: list[ContractFacts] | None = None
    _book: EvidenceBook | None = None

    @property
    def root(self) -> Path:
        return self.config.root

    def join_prefetch(self) -> None:
        """Wait for the prefetch child (idempotent); never leave it behind."""
        from pv.testindex.prefetch import join

        pid, self.index_prefetch = self.index_prefetch, None
        join(pid)

    def index(self) -> TestIndex:
        """The static test index of the project (built once per run, cached on disk by content)."""
        if self._index is None:
            from pv.testindex.index import build_index

            self.join_prefetch()
            self._index = build_index(self.root, use_cache=self.options.use_cache)
        return self._index

    def resolver(self) -> Resolver:
        if self._resolver is None:
            from pv.binding.resolve import Resolver

            self._resolver = Resolver(self.index(), self.root,
                                      ambiguous_severity_is_error=self.config.ambiguous_bare_names == "error")
        return self._resolver

    @property
    def resolver_if_built(self) -> Resolver | None:
        """The resolver when a gate needed one (the run cache stores its probes), else None."""
        return self._resolver

    def binding(self) -> BindingReport:
        """Every reference judged once; the test-binding and markers gates both read it."""
        if self._binding is None:
            from pv.binding.check import check_bindings

            self._binding = check_bindings(self.validation.contracts, self.resolver(),
                                           strict=self.options.strict_test_binding)
        return self._binding

    def rebind(self) -> BindingReport:
        """Judge every reference again (after the resolver learned pytest's real collection)."""
        self._binding = None
        return self.binding()

    def status_facts(self) -> list[ContractFacts]:
        """Per-contract status facts; the status and evidence gates both read them."""
        if self._facts is None:
            from pv.policy import apply_policy
            from pv.status.collect import build_facts

            kept = apply_policy(self.validation.diagnostics, self.config).kept
            self._facts = build_facts(self.validation, kept, self.config, self.resolver())
        return self._facts

    def evidence_book(self) -> EvidenceBook:
        """Every cited evidence pack, verified once for the status and evidence gates."""
        if self._book is None:
            from pv.status.ladder import EvidenceBook, checks_of

            self._book = EvidenceBook(self.root, checks_of(self.status_facts()))
        return self._book


@dataclass(frozen=True, slots=True)
class Gate:
    name: str
    order: int
    description: str
    run: Callable[[LintContext], GateOutcome]


def discover_gates() -> list[Gate]:
    """Every gate in pv.lint.gates.GATES, in that order (which must agree with each ORDER)."""
    from pv.lint.gates import GATES

    gates: list[Gate] = []
    for module_name in GATES:
        module: ModuleType = importlib.import_module(f"pv.lint.gates.{module_name}")
        name, order, run = getattr(module, "NAME", None), getattr(module, "ORDER", None), getattr(module, "run", None)
        if not (isinstance(name, str) and isinstance(order, int) and callable(run)):
            raise TypeError(f"pv/lint/gates/{module_name}.py must define NAME (str), ORDER (int) and run(ctx)")
        gates.append(Gate(name, order, str(getattr(module, "DESCRIPTION", "")), run))
    names = [g.name for g in gates]
    if len(set(names)) != len(names):
        raise TypeError(f"two lint gates share a NAME: {names}")
    if [g.order for g in gates] != sorted(g.order for g in gates):
        raise TypeError("pv.lint.gates.GATES must list the gates in ORDER order")
    return gates


@dataclass(slots=True)
class LintRun:
    gates: list[GateResult]
    suppressed: int = 0
    baselined: int = 0
    stale_suppressions: list[Diagnostic] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        out = [d for g in self.gates for d in g.diagnostics]
        return sorted(out, key=Diagnostic.sort_key)

    @property
    def passed(self) -> int:
        return sum(g.verdict is Verdict.PASS for g in self.gates)

    @property
    def failed(self) -> bool:
        return any(g.verdict is Verdict.FAIL for g in self.gates)

    @property
    def vacuous(self) -> bool:
        return any(g.vacuous for g in self.gates)

    def result_line(self) -> str:
        skipped = sum(g.verdict is Verdict.SKIP for g in self.gates)
        tail = f", {skipped} skipped" if skipped else ""
        verdict = "FAIL" if self.failed or self.vacuous else "PASS"
        return f"Result: {verdict} ({self.passed}/{len(self.gates)} gates passed{tail})"


def decide(outcome: GateOutcome, kept: list[Diagnostic]) -> tuple[Verdict, bool]:
    """PASS / FAIL / SKIP, and whether the gate was vacuous where it must not be."""
    if outcome.skip_reason is not None:
        return Verdict.SKIP, False
    if outcome.measured == 0 and outcome.vacuous_is_error:
        return Verdict.FAIL, True
    if any(d.severity >= Severity.ERROR for d in kept):
        return Verdict.FAIL, False
    if outcome.measured == 0:
        return Verdict.SKIP, False
    return Verdict.PASS, False


def timed(gate: Gate, ctx: LintContext) -> tuple[GateOutcome, float]:
    started = time.perf_counter()
    outcome = gate.run(ctx)
    return outcome, (time.perf_counter() - started) * 1000 + outcome.ms_before
