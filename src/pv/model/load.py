"""Which kind of file a parsed YAML mapping is, and the model class that describes it.

The dialect is read from ``metadata.kind`` first: ``kind: kaizen`` is a kaizen record whatever
other keys it carries, so sibling records are always judged alike. Every other ``kind`` value
(``schema``, ``pattern``, ``tokenizer``, ...) names what the contract is about, not its shape,
so for those, and when ``kind`` is absent, the keys decide:

- a *binding registry* has ``bindings`` or ``target_crate`` and no ``metadata``;
- a *kaizen record* without ``metadata.kind`` has a top-level ``kaizen`` ticket;
- a *provable* contract has any of the Rust pv blocks (``equations``, ``falsification_tests``, ...);
- a *gate* contract has ``contract_id``, ``gates``, ``invariants``, ``failure_modes``, a top-level
  ``version``/``status``, or one of the known domain blocks;
- a mapping with only ``metadata`` is provable (the Rust pv's minimum).
"""

from __future__ import annotations

from typing import Any, Literal

FileKind = Literal["provable", "gate", "kaizen", "binding", "unknown"]

PROVABLE_MARKERS = frozenset({
    "equations", "proof_obligations", "falsification_tests", "kani_harnesses", "qa_gate",
    "verification_summary", "kernel_structure", "simd_dispatch", "enforcement",
})
GATE_MARKERS = frozenset({"contract_id", "gates", "invariants", "failure_modes", "version", "status"})
BINDING_MARKERS = frozenset({"bindings", "target_crate"})
KAIZEN_MARKERS = frozenset({"kaizen"})
# metadata.kind values that choose a dialect (any other value leaves the choice to the keys).
KIND_DIALECTS: dict[str, FileKind] = {"kaizen": "kaizen"}


def declared_kind(raw: dict[str, Any]) -> str | None:
    """``metadata.kind`` as written (stripped, lower case), or None."""
    md = raw.get("metadata")
    kind = md.get("kind") if isinstance(md, dict) else None
    return kind.strip().lower() if isinstance(kind, str) and kind.strip() else None


def detect_kind(raw: dict[str, Any]) -> FileKind:
    from pv.model.gate import DOMAIN_BLOCKS

    by_kind = KIND_DIALECTS.get(declared_kind(raw) or "")
    if by_kind is not None:
        return by_kind
    keys = set(raw)
    if keys & BINDING_MARKERS and "metadata" not in keys and not keys & PROVABLE_MARKERS:
        return "binding"
    if keys & KAIZEN_MARKERS and declared_kind(raw) is None:
        return "kaizen"
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
    if kind == "kaizen":
        from pv.model.kaizen import KaizenRecord
        return KaizenRecord
    if kind == "binding":
        from pv.model.binding import BindingRegistry
        return BindingRegistry
    raise ValueError(f"no model for {kind!r}")
