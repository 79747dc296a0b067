"""IDs within one contract (PV-ID-001..003).

One namespace per contract: a falsifier, gate, invariant, obligation, harness or failure mode
may not share an ID with another one, whatever section they sit in, because citations (a gate's
falsification_id, a test's ``@pytest.mark.falsifies``) name IDs without saying the section.
Legacy ``falsification:`` entries that declare an ID (``id``, or a one-token ``name``) share it.

A Kani harness's ``obligation`` (PV-ID-002) is checked only where the contract's obligations carry
IDs. The Rust pv's schema gives ``proof_obligations[]`` no ``id``: there the reference is free-form
text and only an empty one is an error (the schema's PV-SCH-004), because a check that no valid
contract could pass would be a false positive, not strictness.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract, legacy_falsifier_id

ID_SECTIONS: dict[str, tuple[str, ...]] = {
    "provable": ("falsification_tests", "proof_obligations", "kani_harnesses"),
    "kaizen": ("falsification_tests", "proof_obligations", "kani_harnesses"),
    "gate": ("invariants", "gates", "failure_modes"),
}
# Dialects that carry the provable blocks (equations, kani harnesses, legacy falsification).
PROVABLE_LIKE = frozenset({"provable", "kaizen"})


def declared_ids(contract: LoadedContract) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every (id, key path) the contract declares, in document order."""
    for section in ID_SECTIONS[contract.dialect]:
        items = contract.raw.get(section)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
                yield item["id"], (section, i, "id")
    if contract.dialect not in PROVABLE_LIKE:
        return
    legacy = contract.raw.get("falsification")
    if isinstance(legacy, list):
        for i, item in enumerate(legacy):
            if isinstance(item, dict) and (fid := legacy_falsifier_id(item)) is not None:
                yield fid, ("falsification", i, "id" if "id" in item else "name")
    eqs = contract.raw.get("equations")
    if isinstance(eqs, list):
        for i, item in enumerate(eqs):
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
                yield item["id"], ("equations", i, "id")


def check_ids(contract: LoadedContract) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    first: dict[str, tuple[str | int, ...]] = {}
    for ident, path in declared_ids(contract):
        line, col = contract.locate(path)
        if any(ch.isspace() for ch in ident.strip()) or ident != ident.strip():
            out.append(Diagnostic(codes.ID_MALFORMED, Severity.ERROR, f"ID {ident!r} contains whitespace",
                                  contract.path, line, col, hint="use '-' or '_' between words"))
        if ident in first:
            fl, _ = contract.locate(first[ident])
            out.append(Diagnostic(codes.ID_DUPLICATE, Severity.ERROR,
                                  f"duplicate ID '{ident}' (first declared at line {fl})",
                                  contract.path, line, col, hint="rename one of them", data={"id": ident}))
        else:
            first[ident] = path
    if contract.dialect in PROVABLE_LIKE:
        out.extend(_harness_obligations(contract))
    return out


def _harness_obligations(contract: LoadedContract) -> list[Diagnostic]:
    """A Kani harness's ``obligation`` names an obligation (id or property) or an equation.

    Checked only when at least one obligation carries an ``id`` (see the module docstring).
    """
    harnesses = contract.raw.get("kani_harnesses")
    if not isinstance(harnesses, list):
        return []
    obligations = contract.raw.get("proof_obligations")
    obligations = [ob for ob in obligations if isinstance(ob, dict)] if isinstance(obligations, list) else []
    ids = [ob["id"].strip() for ob in obligations if isinstance(ob.get("id"), str) and ob["id"].strip()]
    if not ids:
        return []  # free-form references, as in the Rust pv: nothing they could be resolved against
    targets: set[str] = set(ids)
    for ob in obligations:
        for key in ("property", "statement"):
            if isinstance(ob.get(key), str):
                targets.add(ob[key].strip())
    eqs: Any = contract.raw.get("equations")
    if isinstance(eqs, dict):
        targets.update(str(k) for k in eqs)
    elif isinstance(eqs, list):
        targets.update(e["id"] for e in eqs if isinstance(e, dict) and isinstance(e.get("id"), str))
    out = []
    for i, h in enumerate(harnesses):
        if not isinstance(h, dict):
            continue
        ob = h.get("obligation")
        if isinstance(ob, str) and ob.strip() and ob.strip() not in targets:
            line, col = contract.locate(("kani_harnesses", i, "obligation"))
            hid = h.get("id", f"#{i}")
            close = difflib.get_close_matches(ob.strip(), ids, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close
                    else "cite an obligation id, its exact property text, or an equation name")
            out.append(Diagnostic(codes.ID_DANGLING, Severity.ERROR,
                                  f"kani harness {hid} cites obligation '{ob}', but this contract's obligations "
                                  f"carry IDs ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}) and none "
                                  "is it, nor any property text or equation name",
                                  contract.path, line, col, hint=hint,
                                  data={"obligation": ob, **({"suggestion": close[0]} if close else {})}))
    return out
