"""Properties of the diff and graph logic over generated inputs (hypothesis)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pv.analysis.diff import Bump, diff_raw
from pv.analysis.graph import build_graph, find_cycles, topological_order


@dataclass
class Doc:
    """The ContractDoc shape, without a file: enough for graph building."""

    stem: str
    raw: dict[str, Any]
    path: str = ""
    positions: dict[Any, Any] = field(default_factory=dict)

    def locate(self, key_path: Any) -> tuple[int, int]:
        return (1, 1)


ids = st.lists(st.integers(0, 30), min_size=1, max_size=8, unique=True)


def contract(numbers: list[int]) -> dict[str, Any]:
    return {"metadata": {"version": "1.0.0", "description": "d"},
            "falsification_tests": [{"id": f"FALSIFY-P-{n:03d}", "rule": "r", "prediction": f"p{n}",
                                     "test": f"tests/t.py::test_{n}"} for n in numbers]}


@settings(max_examples=60, deadline=None)
@given(ids, st.data())
def test_removing_a_falsifier_is_major_adding_it_back_is_minor(numbers, data):
    old = contract(numbers)
    victim = data.draw(st.sampled_from(numbers))
    new = copy.deepcopy(old)
    new["falsification_tests"] = [f for f in new["falsification_tests"] if f["id"] != f"FALSIFY-P-{victim:03d}"]
    forward, backward = diff_raw(old, new), diff_raw(new, old)
    assert [(c.key, c.change, c.bump) for c in forward.changes] == [(f"FALSIFY-P-{victim:03d}", "removed", Bump.MAJOR)]
    assert [(c.key, c.change, c.bump) for c in backward.changes] == [(f"FALSIFY-P-{victim:03d}", "added", Bump.MINOR)]
    assert diff_raw(old, copy.deepcopy(old)).changes == []


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.data())
def test_cycles_exactly_when_topological_order_is_incomplete(n, data):
    # a random DAG over n nodes (edges only from higher to lower index), plus maybe one back edge
    edges = data.draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] > e[1]),
                              max_size=n * 2))
    back = data.draw(st.none() | st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] <= e[1]))
    all_edges = set(edges) | ({back} if back else set())
    docs = [Doc(f"c{i}", {"metadata": {"depends_on": sorted(f"c{j}" for (a, j) in all_edges if a == i)}})
            for i in range(n)]
    graph = build_graph(docs)
    cycles, order = find_cycles(graph), topological_order(graph)
    assert bool(cycles) == (len(order) < n)
    for cycle in cycles:  # every reported cycle is a real closed walk along dependency edges
        assert cycle[0] == cycle[-1]
        assert all(b in graph.dependencies(a) for a, b in pairwise(cycle))
    position = {stem: i for i, stem in enumerate(order)}
    for stem in order:  # dependencies first
        assert all(position[d] < position[stem] for d in graph.dependencies(stem))
