"""Which kind of file a parsed YAML mapping is, and the model class that describes it.

- a *binding registry* has ``bindings`` or ``target_crate`` and no ``metadata``;
- a *provable* contract has any of the Rust pv blocks (``equations``, ``falsification_tests``, ...);
- a *gate* contract has ``contract_id``, ``gates``, ``invariants``, ``failure_modes``, a top-level
  ``version``/``status``, or one of the known domain blocks;
- a mapping with only ``metadata`` is provable (the Rust pv's minimum).
"""

from __future__ import annotations

from typing import Any, Literal

FileKind = Literal["provable", "gate", "binding", "unknown"]

PROVABLE_MARKERS = frozenset({
    "equations", "proof_obligations", "falsification_tests", "kani_harnesses", "qa_gate",
    "verification_summary", "kernel_structure", "simd_dispatch", "enforcement",
})
GATE_MARKERS = frozenset({"contract_id", "gates", "invariants", "failure_modes", "version", "status"})
BINDING_MARKERS = frozenset({"bindings", "target_crate"})


def detect_kind(raw: dict[str, Any]) -> FileKind:
    from pv.model.gate import DOMAIN_BLOCKS

    keys = set(raw)
    if keys & BINDING_MARKERS and "metadata" not in keys and not keys & PROVABLE_MARKERS:
        return "binding"
    if keys & PROVABLE_MARKERS:
        return "provable"
    if keys & GATE_MARKERS or keys & set(DOMAIN_BLOCKS):
        return "gate"
    if "metadata" in keys:
        return "provable"
    return "unknown"


def model_for(kind: FileKind) -> Any:
    """The pydantic model class for a file kind (imported lazily: pydantic is not needed for --help)."""
    if kind == "provable":
        from pv.model.provable import ProvableContract
        return ProvableContract
    if kind == "gate":
        from pv.model.gate import GateContract
        return GateContract
    if kind == "binding":
        from pv.model.binding import BindingRegistry
        return BindingRegistry
    raise ValueError(f"no model for {kind!r}")
