"""pv graph: edges, the exact cycle path, topological order, renderings and the CLI exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import load, pv
from pv.analysis.graph import build_graph, cycle_diagnostics, find_cycles, render, topological_order


def _contract(stem: str, deps: list[str], peers: list[str] = ()) -> str:
    lines = ["metadata:", "  version: '1.0.0'", "  description: d"]
    if deps:
        lines.append("  depends_on:")
        lines += [f"    - {d}" for d in deps]
    if peers:
        lines.append("  peer_contracts:")
        lines += [f"    - contracts/{p}.yaml" for p in peers]
    lines += ["falsification_tests:", f"- id: FALSIFY-{stem.upper()}-001", "  rule: r",
              "  prediction: p", "  test: 'LIVE-PENDING: later'"]
    return "\n".join(lines) + "\n"


def _project(write, spec: dict[str, tuple[list[str], list[str]]]) -> list[Path]:
    return [write(f"{stem}.yaml", _contract(stem, deps, peers)) for stem, (deps, peers) in spec.items()]


def test_cycle_is_reported_with_its_exact_path(write, tmp_path: Path):
    files = _project(write, {"a": (["b"], []), "b": (["c"], []), "c": (["a"], []), "d": (["a"], ["e"]),
                             "e": ([], ["d"])})
    graph = build_graph(load(files, tmp_path))
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    (diag,) = cycle_diagnostics(graph)
    assert (diag.code, diag.path, diag.line, diag.message) == (
        "PV-GRAPH-001", "a.yaml", 5, "dependency cycle: a -> b -> c -> a")
    # peer links are symmetric associations: d <-> e is not a cycle
    assert topological_order(graph) == ["e"]  # a, b, c are on the cycle and d depends on it


def test_self_dependency_is_a_cycle(write, tmp_path: Path):
    graph = build_graph(load(_project(write, {"solo": (["solo"], [])}), tmp_path))
    assert find_cycles(graph) == [["solo", "solo"]]


def test_topological_order_puts_dependencies_first_and_keeps_missing_nodes(write, tmp_path: Path):
    files = _project(write, {"app": (["lib", "core"], []), "lib": (["core"], []), "core": ([], []),
                             "x": (["ghost-v1"], [])})
    graph = build_graph(load(files, tmp_path))
    assert topological_order(graph) == ["core", "ghost-v1", "lib", "app", "x"]
    assert graph.missing == ["ghost-v1"]
    data = json.loads(render(graph, "json"))
    assert data["cycles"] == [] and data["topological_order"] == ["core", "ghost-v1", "lib", "app", "x"]
    assert {(e["from"], e["to"], e["kind"]) for e in data["edges"]} == {
        ("app", "lib", "depends_on"), ("app", "core", "depends_on"), ("lib", "core", "depends_on"),
        ("x", "ghost-v1", "depends_on")}
    assert {n["id"]: n["dependents"] for n in data["nodes"]}["core"] == 2


def test_dot_and_mermaid_renderings(write, tmp_path: Path):
    graph = build_graph(load(_project(write, {"a": (["b"], ["c"]), "b": ([], []), "c": ([], [])}), tmp_path))
    dot = render(graph, "dot")
    assert dot.startswith("digraph contracts {")
    assert '"a" -> "b" [label="depends_on"];' in dot
    assert '"a" -> "c" [label="peer", style=dotted, dir=none];' in dot
    mermaid = render(graph, "mermaid").splitlines()
    assert mermaid[0] == "graph LR"
    assert "  n0 -->|depends_on| n1" in mermaid and "  n0 -.-|peer| n2" in mermaid


def test_seed_graph(seeds):
    graph = build_graph(seeds.values())
    assert graph.dependencies("apr-pretrain-init-finetune-v1") == [
        "apr-pretrain-arch-polymorphic-v1", "apr-pretrain-from-init-v1"]
    assert graph.related("tokenizer-bpe-v1") >= {"llama-370m-sovereign-v1", "training-loop-pretrain-v1"}
    assert find_cycles(graph) == []


def test_cli_exit_codes(write, tmp_path: Path):
    _project(write, {"a": (["b"], []), "b": (["a"], [])})
    proc = pv("graph", ".", "--format", "mermaid", cwd=tmp_path)
    assert proc.returncode == 1
    assert "PV-GRAPH-001 dependency cycle: a -> b -> a" in proc.stderr
    assert proc.stdout.startswith("graph LR")
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = pv("graph", str(empty), cwd=tmp_path)
    assert proc.returncode == 2 and "no contract to graph" in proc.stderr
