"""The contract graph: depends_on and peer links, cycles and topological order.

Two kinds of edge, because real contracts use two kinds of link:

* dependency edges (``metadata.depends_on`` and ``metadata.parent_contracts``): "this contract builds on that one". They are
  directed and ordered, so a cycle among them is a finding
  (PV-GRAPH-001) and the topological order lists dependencies first (Kahn).
* peer edges (``metadata.peer_contracts``): an association between equals,
  written on both sides in practice (llama-370m <-> tokenizer-bpe). They are
  drawn and used to relate contracts for the consistency gate, but are never
  part of cycle detection: a symmetric link is not a loop.

A link naming no contract in the set still becomes a node, marked missing,
as in the original ``pv graph``: the graph shows what the contracts claim.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pv.analysis import codes
from pv.analysis.source import ContractDoc, KeyPath, metadata_of, raw_mapping, stem_of
from pv.diagnostics import Diagnostic, Severity

DEPENDS = "depends_on"
PARENT = "parent"
PEER = "peer"
DEPENDENCY_KINDS = frozenset({DEPENDS, PARENT})

# (key path of the list, edge kind). Order is the order edges are reported in.
_LINK_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("metadata", "depends_on"), DEPENDS),
    (("metadata", "parent_contracts"), PARENT),
    (("metadata", "peer_contracts"), PEER),
)


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` links to ``target`` (both stems); ``where`` is the list item in the source file."""

    source: str
    target: str
    kind: str
    key_path: tuple[str | int, ...]
    line: int
    col: int


@dataclass(slots=True)
class ContractGraph:
    """Nodes (stems) with their files, the edges, and which nodes are missing."""

    nodes: dict[str, str] = field(default_factory=dict)  # stem -> path ("" if missing)
    edges: list[Edge] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return sorted(stem for stem, path in self.nodes.items() if not path)

    _index: dict[str, Any] | None = field(default=None, repr=False)

    def _adjacency(self) -> dict[str, Any]:
        """Edge lookups built once (graphs of thousands of contracts stay linear)."""
        if self._index is None or self._index["n"] != len(self.edges):
            deps: dict[str, set[str]] = {}
            related: dict[str, set[str]] = {}
            first: dict[frozenset[str], Edge] = {}
            for e in self.edges:
                if e.kind in DEPENDENCY_KINDS:
                    deps.setdefault(e.source, set()).add(e.target)
                if e.source != e.target:
                    related.setdefault(e.source, set()).add(e.target)
                    related.setdefault(e.target, set()).add(e.source)
                first.setdefault(frozenset((e.source, e.target)), e)
            self._index = {"n": len(self.edges), "deps": deps, "related": related, "first": first}
        return self._index

    def dependencies(self, stem: str) -> list[str]:
        """Stems ``stem`` directly depends on (dependency edges only), sorted, unique."""
        return sorted(self._adjacency()["deps"].get(stem, ()))

    def related(self, stem: str) -> set[str]:
        """Stems directly linked to ``stem`` by any edge kind, in either direction."""
        return set(self._adjacency()["related"].get(stem, ()))

    def link_between(self, a: str, b: str) -> Edge | None:
        """The first edge joining ``a`` and ``b`` in either direction (for messages)."""
        edge: Edge | None = self._adjacency()["first"].get(frozenset((a, b)))
        return edge


def _link_names(value: Any) -> list[tuple[int, str]]:
    if isinstance(value, str):
        return [(0, value)]
    if isinstance(value, Sequence):
        return [(i, item) for i, item in enumerate(value) if isinstance(item, str) and item.strip()]
    return []


def _resolve(name: str, by_stem: Mapping[str, str], by_id: Mapping[str, str]) -> str:
    stem = stem_of(name)
    if stem in by_stem:
        return stem
    return by_id.get(name.strip(), stem)


def build_graph(docs: Iterable[ContractDoc]) -> ContractGraph:
    """Collect nodes and edges; a link is matched by file stem, path, ``contract_id`` or ``metadata.id``."""
    docs = list(docs)
    graph = ContractGraph()
    by_id: dict[str, str] = {}
    for doc in docs:
        graph.nodes[doc.stem] = str(doc.path)
        for cid in (raw_mapping(doc).get("contract_id"), metadata_of(doc).get("id")):
            if isinstance(cid, str) and cid.strip():
                by_id.setdefault(cid.strip(), doc.stem)
    for doc in docs:
        meta = metadata_of(doc)
        for key_path, kind in _LINK_FIELDS:
            value = meta.get(key_path[1])
            for index, name in _link_names(value):
                target = _resolve(name, graph.nodes, by_id)
                item_path: KeyPath = (*key_path, index) if not isinstance(value, str) else key_path
                line, col = doc.locate(item_path)
                graph.nodes.setdefault(target, "")
                graph.edges.append(Edge(doc.stem, target, kind, tuple(item_path), line, col))
    return graph


def find_cycles(graph: ContractGraph) -> list[list[str]]:
    """Each elementary dependency cycle once, as ``[a, b, ..., a]``, starting at its smallest stem.

    Tarjan's strongly connected components find every node on a cycle; within
    each component a depth-first walk from the smallest stem recovers one
    concrete cycle path, which is what a person needs to break it.
    """
    adjacency = {stem: graph.dependencies(stem) for stem in graph.nodes}
    cycles: list[list[str]] = []
    for component in _strongly_connected(adjacency):
        members = set(component)
        start = min(members)
        if len(members) == 1 and start not in adjacency[start]:
            continue
        cycles.append(_cycle_through(start, adjacency, members))
    return sorted(cycles)


def _strongly_connected(adjacency: Mapping[str, list[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(adjacency):
        if root in index:
            continue
        # iterative Tarjan: (node, iterator over its successors)
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, pos = work.pop()
            if pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = adjacency.get(node, [])
            if pos < len(succ):
                work.append((node, pos + 1))
                nxt = succ[pos]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def _cycle_through(start: str, adjacency: Mapping[str, list[str]], members: set[str]) -> list[str]:
    path = [start]
    seen = {start}

    def walk(node: str) -> bool:
        for nxt in adjacency.get(node, []):
            if nxt == start:
                path.append(start)
                return True
            if nxt in members and nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                if walk(nxt):
                    return True
                path.pop()
        return False

    walk(start)
    return path


def topological_order(graph: ContractGraph) -> list[str]:
    """Dependencies first (Kahn, ties broken by stem); nodes on a cycle are left out."""
    remaining = {stem: len(graph.dependencies(stem)) for stem in graph.nodes}
    dependents: dict[str, list[str]] = {}
    for stem in graph.nodes:
        for dep in graph.dependencies(stem):
            dependents.setdefault(dep, []).append(stem)
    ready = [stem for stem, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        stem = heapq.heappop(ready)
        order.append(stem)
        for nxt in dependents.get(stem, []):
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                heapq.heappush(ready, nxt)
    return order


def dependents_count(graph: ContractGraph) -> dict[str, int]:
    """How many contracts depend on each node (dependency edges)."""
    counts = dict.fromkeys(graph.nodes, 0)
    for stem in graph.nodes:
        for dep in graph.dependencies(stem):
            counts[dep] += 1
    return counts


def cycle_diagnostics(graph: ContractGraph) -> list[Diagnostic]:
    """PV-GRAPH-001 per cycle, at the first edge of the cycle in its source file."""
    out: list[Diagnostic] = []
    for cycle in find_cycles(graph):
        first = next(
            e for e in graph.edges
            if e.source == cycle[0] and e.target == cycle[1] and e.kind in DEPENDENCY_KINDS
        )
        out.append(Diagnostic(
            code=codes.GRAPH_CYCLE,
            severity=Severity.ERROR,
            message="dependency cycle: " + " -> ".join(cycle),
            path=graph.nodes[cycle[0]],
            line=first.line,
            col=first.col,
            hint="remove one of these depends_on/parent links; a contract cannot build on itself",
            data={"cycle": " -> ".join(cycle)},
        ))
    return out


# ---------------------------------------------------------------- rendering


def to_json(graph: ContractGraph) -> dict[str, Any]:
    """The documented JSON shape (docs/analysis.md, ``pv graph --format json``)."""
    counts = dependents_count(graph)
    return {
        "schema": "pv-graph/1",
        "nodes": [
            {"id": stem, "path": path or None, "missing": not path, "dependents": counts[stem]}
            for stem, path in sorted(graph.nodes.items())
        ],
        "edges": [
            {"from": e.source, "to": e.target, "kind": e.kind, "line": e.line}
            for e in sorted(graph.edges, key=lambda e: (e.source, e.kind, e.target))
        ],
        "cycles": find_cycles(graph),
        "topological_order": topological_order(graph),
    }


def render_text(graph: ContractGraph) -> str:
    lines: list[str] = []
    counts = dependents_count(graph)
    for stem in sorted(graph.nodes):
        mark = "  (missing)" if not graph.nodes[stem] else ""
        lines.append(f"{stem}{mark}  [{counts[stem]} dependent(s)]")
        for e in sorted((e for e in graph.edges if e.source == stem), key=lambda e: (e.kind, e.target)):
            arrow = "->" if e.kind in DEPENDENCY_KINDS else "<->"
            lines.append(f"  {arrow} {e.target} ({e.kind})")
    cycles = find_cycles(graph)
    lines.append("")
    lines.append("topological order (dependencies first): " + (", ".join(topological_order(graph)) or "-"))
    if cycles:
        for cycle in cycles:
            lines.append("cycle: " + " -> ".join(cycle))
    else:
        lines.append("cycles: none")
    return "\n".join(lines) + "\n"


def _dot_id(stem: str) -> str:
    return '"' + stem.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(graph: ContractGraph) -> str:
    on_cycle = {stem for cycle in find_cycles(graph) for stem in cycle}
    lines = ["digraph contracts {", "  rankdir=LR;", "  node [shape=box];"]
    for stem in sorted(graph.nodes):
        attrs = []
        if not graph.nodes[stem]:
            attrs.append("style=dashed")
        if stem in on_cycle:
            attrs.append("color=red")
        lines.append(f"  {_dot_id(stem)}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    for e in sorted(graph.edges, key=lambda e: (e.source, e.kind, e.target)):
        style = f'label="{e.kind}"' if e.kind in DEPENDENCY_KINDS else 'label="peer", style=dotted, dir=none'
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_mermaid(graph: ContractGraph) -> str:
    ids = {stem: f"n{i}" for i, stem in enumerate(sorted(graph.nodes))}
    lines = ["graph LR"]
    for stem, nid in ids.items():
        label = stem.replace('"', "'") + (" (missing)" if not graph.nodes[stem] else "")
        lines.append(f'  {nid}["{label}"]')
    for e in sorted(graph.edges, key=lambda e: (e.source, e.kind, e.target)):
        arrow = f"-->|{e.kind}|" if e.kind in DEPENDENCY_KINDS else "-.-|peer|"
        lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
    return "\n".join(lines) + "\n"


def render(graph: ContractGraph, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(graph), indent=2) + "\n"
    if fmt == "dot":
        return render_dot(graph)
    if fmt == "mermaid":
        return render_mermaid(graph)
    return render_text(graph)
