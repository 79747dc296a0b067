"""Which node IDs ``pv run`` runs: exactly the existing tests the contracts bind, nothing else."""

from __future__ import annotations

from collections.abc import Iterable

from pv.status.facts import ContractFacts


def bound_node_ids(contracts: Iterable[ContractFacts]) -> list[str]:
    """Every resolved test node ID cited by any falsifier, deduplicated, in citation order.

    A more specific ID (``t.py::f[a]``) is dropped when its function (``t.py::f``)
    is also cited, so pytest does not run the same case twice.
    """
    ids: list[str] = []
    for c in contracts:
        for f in c.falsifiers:
            for r in f.refs:
                if r.resolves:  # a dangling or broken reference would make pytest refuse the whole run
                    ids.extend(r.node_ids)
    unique = list(dict.fromkeys(ids))
    covered = set(unique)
    return [nid for nid in unique if not _covered_by_parent(nid, covered)]


def _covered_by_parent(nid: str, ids: set[str]) -> bool:
    base = nid.split("[", 1)[0]
    if base != nid and base in ids:
        return True
    parts = base.split("::")
    return any("::".join(parts[:k]) in ids for k in range(1, len(parts)))
