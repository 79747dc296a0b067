"""The "provable contract" dialect: the whole schema of the Rust ``pv`` (shared/specs/pv-prior-art.md §2).

A registry written for the Rust ``pv`` validates here unchanged, including its aliases
(``description``/``expected``/``command``/``fails_if`` on falsifiers, ``statement``/``verification``
on obligations). Blocks that the Rust tool only carries through (``type_invariants``, ``coq_spec``,
``beat``, ``stories``, ``falsification_conditions``, ``relations``, ``shape``, ``evidence``) are
accepted as free-form. The legacy top-level ``falsification:`` list is read entry by entry
(:class:`LegacyFalsifier`): its ``FALSIFY-*`` IDs are falsifiers like any other, so they count in
duplicate-ID checks and cross-references and show up (without tests) in ``pv lint``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field

from pv.model.base import Check, Closed, Entity, FreeForm, Mutant, Scalar, TestRef, Text
from pv.model.meta import Metadata

ObligationType = Literal[
    "invariant", "equivalence", "bound", "monotonicity", "idempotency", "linearity", "symmetry",
    "associativity", "conservation", "ordering", "completeness", "soundness", "involution",
    "determinism", "roundtrip", "state_machine", "classification", "independence", "termination",
    "safety", "liveness", "precondition", "postcondition", "frame", "loop_invariant", "loop_variant",
    "old_state", "subcontract",
]


class Shape(Closed):
    dims: list[str | int] = Field(default_factory=list)
    dtype: str | None = None


class ShapeSpec(Closed):
    """``assumes`` / ``guarantees`` on an equation (composition)."""

    shapes: dict[str, Shape] = Field(default_factory=dict)
    constraints: list[str] = Field(default_factory=list)
    from_contract: str | None = None
    from_equation: str | None = None


class Equation(Closed):
    formula: Text
    id: Text | None = None  # used when equations is a list
    description: str | None = None
    domain: str | None = None
    codomain: str | None = None
    invariants: list[str] = Field(default_factory=list)
    preconditions: list[str] = Field(default_factory=list)
    postconditions: list[str] = Field(default_factory=list)
    lean_theorem: str | None = None
    float_tolerance: float | int | None = None
    assumes: ShapeSpec | None = None
    guarantees: ShapeSpec | None = None


class LeanProof(Closed):
    theorem: Text
    module: str | None = None
    status: Literal["proved", "sorry", "wip", "not-applicable"] = "sorry"
    depends_on: list[str] = Field(default_factory=list)
    mathlib_imports: list[str] = Field(default_factory=list)
    notes: str | None = None


class ProofObligation(Closed):
    type: ObligationType = "invariant"
    property: Text = Field(validation_alias=AliasChoices("property", "statement"))
    id: Text | None = None
    formal: str | None = Field(default=None, validation_alias=AliasChoices("formal", "verification"))
    tolerance: float | int | str | None = None
    applies_to: str | None = None
    na_reason: str | None = None
    na_owner: str | None = None
    lean: LeanProof | None = None
    requires: list[str] | str | None = None
    applies_to_phase: str | None = None
    parent_contract: str | None = None


class FalsificationTest(Closed):
    id: Text
    prediction: Text = Field(validation_alias=AliasChoices("prediction", "expected"))
    rule: Text | None = Field(default=None, validation_alias=AliasChoices("rule", "description"))
    test: TestRef | None = Field(default=None, validation_alias=AliasChoices("test", "command"))
    if_fails: str | None = Field(default=None, validation_alias=AliasChoices("if_fails", "fails_if"))
    test_harness: TestRef | None = None
    name: TestRef | None = None
    ship_blocking: bool = True
    counter_example_classes: list[str] = Field(default_factory=list)
    check: Check | None = None
    # IDs of the proof obligations this falsifier tests (read by pv coverage/audit).
    obligations: list[Text] = Field(default_factory=list)
    mutants: list[Mutant] = Field(default_factory=list)  # pv falsify (docs/falsify.md)


class LegacyFalsifier(Closed):
    """One entry of the legacy top-level ``falsification:`` list (before ``falsification_tests``).

    Real registries name the falsifier by ``id`` or, in the oldest form, by ``name``
    (``name: FALSIFY-PUB-001``); ``check`` is prose there, not a machine check.
    """

    id: Text | None = None
    name: Text | None = None
    description: str | None = None
    prediction: str | None = Field(default=None, validation_alias=AliasChoices("prediction", "expected"))
    rule: str | None = None
    check: str | None = None
    test: TestRef | None = Field(default=None, validation_alias=AliasChoices("test", "command"))
    if_fails: str | None = Field(default=None, validation_alias=AliasChoices("if_fails", "fails_if"))
    ship_blocking: bool = True


class KaniHarness(Closed):
    id: Text
    obligation: Text
    property: str | None = None
    bound: int | None = Field(default=None, ge=0)
    strategy: Literal["exhaustive", "stub_float", "compositional", "bounded_int"] | None = None
    solver: str | None = None
    harness: str | None = None
    actually_verified: bool | None = None


class QaGate(Closed):
    id: Text | None = None
    name: Text | None = None
    description: str | None = None
    checks: list[str] = Field(default_factory=list)
    pass_criteria: str | None = None
    falsification: str | None = None


class VerificationSummary(Closed):
    total_obligations: int = Field(ge=0)
    l2_property_tested: int | None = Field(default=None, ge=0)
    l3_kani_proved: int | None = Field(default=None, ge=0)
    l4_lean_proved: int | None = Field(default=None, ge=0)
    l4_sorry_count: int | None = Field(default=None, ge=0)
    l4_not_applicable: int | None = Field(default=None, ge=0)
    proven: int | None = Field(default=None, ge=0)
    tested: int | None = Field(default=None, ge=0)
    status: str | None = None
    notes: str | None = None


class KernelPhase(Closed):
    name: Text
    description: str | None = None
    invariant: str | None = None


class KernelStructure(Closed):
    phases: list[KernelPhase] = Field(default_factory=list)


class EnforcementRule(Closed):
    description: Text
    check: str | None = None
    severity: str | None = None
    reference: str | None = None


class ProvableContract(Closed):
    """Top level of a provable contract. Only ``metadata`` is required (as in the Rust pv)."""

    metadata: Metadata
    equations: dict[str, Equation] | list[Equation] | None = None
    proof_obligations: list[ProofObligation] = Field(default_factory=list)
    kernel_structure: KernelStructure | None = None
    simd_dispatch: dict[str, dict[str, str]] | None = None
    enforcement: dict[str, EnforcementRule] | None = None
    falsification_tests: list[FalsificationTest] = Field(default_factory=list)
    kani_harnesses: list[KaniHarness] = Field(default_factory=list)
    qa_gate: QaGate | None = None
    verification_summary: VerificationSummary | None = None
    constants: dict[str, Scalar] | None = None
    entity: Entity | None = None
    # Legacy falsifiers (a list of entries); other shapes are carried through as the Rust pv does.
    falsification: list[LegacyFalsifier] | dict[str, Any] | str | None = None
    # Carried through from the Rust pv without further checks (see the module docstring).
    type_invariants: FreeForm = None
    coq_spec: FreeForm = None
    beat: FreeForm = None
    stories: FreeForm = None
    falsification_conditions: FreeForm = None
    relations: FreeForm = None
    shape: FreeForm = None
    evidence: FreeForm = None
