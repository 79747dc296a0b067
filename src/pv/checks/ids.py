"""IDs within one contract (PV-ID-001..003).

One namespace per contract: a falsifier, gate, invariant, obligation, harness or failure mode
may not share an ID with another one, whatever section they sit in, because citations (a gate's
falsification_id, a test's ``@pytest.mark.falsifies``) name IDs without saying the section.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract

ID_SECTIONS: dict[str, tuple[str, ...]] = {
    "provable": ("falsification_tests", "proof_obligations", "kani_harnesses"),
    "gate": ("invariants", "gates", "failure_modes"),
}


def declared_ids(contract: LoadedContract) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every (id, key path) the contract declares, in document order."""
    for section in ID_SECTIONS[contract.dialect]:
        items = contract.raw.get(section)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
                yield item["id"], (section, i, "id")
    eqs = contract.raw.get("equations")
    if contract.dialect == "provable" and isinstance(eqs, list):
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
    if contract.dialect == "provable":
        out.extend(_harness_obligations(contract))
    return out


def _harness_obligations(contract: LoadedContract) -> list[Diagnostic]:
    """A Kani harness's ``obligation`` names an obligation (id or property) or an equation."""
    harnesses = contract.raw.get("kani_harnesses")
    if not isinstance(harnesses, list):
        return []
    targets: set[str] = set()
    obligations = contract.raw.get("proof_obligations")
    if isinstance(obligations, list):
        for ob in obligations:
            if isinstance(ob, dict):
                for key in ("id", "property", "statement"):
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
            out.append(Diagnostic(codes.ID_DANGLING, Severity.ERROR,
                                  f"kani harness {hid} cites obligation '{ob}', which names no proof obligation "
                                  "(id or property) and no equation in this contract",
                                  contract.path, line, col,
                                  hint="cite an obligation id, its exact property text, or an equation name"))
    return out
