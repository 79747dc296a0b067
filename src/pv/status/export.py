"""Computed statuses as one plain, versioned JSON shape.

``pv status --format json`` prints it and ``pv report --html`` renders it, so
the two can never disagree. Shape (docs/status.md, "JSON output")::

    {"schema_version": 1, "summary": {...}, "contracts": [{contract_id, version, path,
      declared, computed, overclaims, counts, why_not_higher, blockers, falsifiers: [...]}]}
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pv.evidence.predicate import describe
from pv.status.ladder import RUNGS, ContractStatus, FalsifierStatus

SCHEMA_VERSION = 1


def falsifier_json(fs: FalsifierStatus) -> dict[str, Any]:
    f = fs.facts
    return {
        "id": f.id,
        "ship_blocking": f.ship_blocking,
        "state": fs.state,
        "prediction": f.prediction,
        "check": describe(f.check) if f.check is not None else None,
        "bound": fs.bound,
        "pending": fs.pending,
        "pending_reason": fs.pending_reason,
        "passed": fs.passed,
        "live": fs.live,
        "discharged": fs.discharged,
        "line": f.line,
        "refs": [{"text": r.text, "kind": r.kind.value} for r in f.refs],
        "tests": [{"node_id": t.node_id, "outcome": t.outcome, "passed": t.passed, "note": t.note}
                  for t in fs.tests],
        "packs": [{"pack": p.pack, "discharged": p.discharged, "note": p.note} for p in fs.packs],
        "problems": list(fs.partial_problems),
        "falsifiable": fs.falsifiable,
        "mutants": [{"label": m.label, "key": m.key, "where": m.where, "outcome": m.outcome, "killed": m.killed,
                     "note": m.note} for m in fs.mutants],
    }


def contract_json(cs: ContractStatus) -> dict[str, Any]:
    c = cs.facts
    return {
        "contract_id": c.contract_id,
        "version": c.version,
        "path": c.path.as_posix(),
        "declared": c.declared.name if c.declared is not None else None,
        "computed": cs.computed_name,
        "overclaims": cs.overclaims,
        "counts": cs.counts(),
        "next_rung": cs.next_rung.name if cs.next_rung is not None else None,
        "why_not_higher": list(cs.why_not_higher),
        "blockers": {rung.name: list(items) for rung, items in cs.blockers.items()},
        "falsifiers": [falsifier_json(fs) for fs in cs.falsifiers],
    }


def to_json(statuses: list[ContractStatus]) -> dict[str, Any]:
    by_rung = Counter(cs.computed_name for cs in statuses)
    return {
        "schema_version": SCHEMA_VERSION,
        "summary": {
            "contracts": len(statuses),
            "overclaiming": sum(cs.overclaims for cs in statuses),
            "computed": {name: by_rung.get(name, 0) for name in ("INVALID", *(r.name for r in RUNGS))},
        },
        "contracts": [contract_json(cs) for cs in statuses],
    }
