"""The layers of both halves, bottom-up, and the import-direction rule they are held to (tests/test_layers.py).

A package declares its layers bottom-up as a list of groups of top-level modules/subpackages
(e.g. ``[["diagnostics", "rules"], ["config"], ["model"], ...]``). A module may import from its own
group or any group below it, never from one above. Every import counts, including the lazy ones
inside functions and those under ``TYPE_CHECKING``: they are dependencies all the same, and a lazy
upward import is exactly how a layering violation hides.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

# The one written-down layer list (docs/architecture.md draws it). Each group is a set of top-level
# modules / subpackages of the package; a module may import its own group and the groups before it.
LAYERS: dict[str, list[list[str]]] = {
    "pv": [
        ["diagnostics", "rules", "exitcodes", "atomic"],  # one diagnostic type, the one rule table
        ["config", "policy", "ledger", "baseline"],  # [tool.pv], the one severity policy, the results ledger, the findings baseline
        ["parse"],  # files -> YAML nodes with positions (its own PV-YAML codes)
        ["model"],  # YAML -> typed contracts (pydantic)
        ["checks"],  # validate's checks over models (schema, IDs, versions, refs, mutants apply)
        ["validate"],  # parse -> model -> checks for a set of paths
        ["testindex"],  # what pytest would collect, statically or by pytest itself
        ["binding"],  # a contract's citations judged against the index
        ["evidence"],  # packs: record, verify, seal, predicates over metrics
        ["status"],  # the ladder computed from the ledger and the packs
        ["falsify"],  # mutants applied in isolated copies, verdicts into the ledger
        ["analysis"],  # coverage, audit, graph, diff passes
        ["lint"],  # the gates over all of the above
        ["report"],  # every renderer: text, rich table, json, sarif, github, junit, html
        ["commands", "cli", "pytest_plugin", "record_plugin"],  # entry points
    ],
    "trainer": [
        ["errors", "hashing", "atomic"],
        ["config", "presets"],  # ModelConfig and its validation; the named presets
        ["kernels"],  # torch references and Triton kernels
        ["model"],  # the Llama decoder (nanoGPT-sized)
        ["data"],  # tokenizer, shards, the window reader
        ["checkpoint"],  # APR / GGUF / safetensors / HF readers and writers, --init
        ["generate"],
        ["train"],  # options, preflight gates, builder, loop, state, distributed
        ["commands", "cli"],  # entry points
    ],
}


def _module_name(path: Path, package: str) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    assert parts[0] == package
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import statement in the file."""
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_pkg else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            if "." not in target:  # `from pv import checks` imports the subpackage checks
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"


def _unit(module: str, package: str) -> str | None:
    parts = module.split(".")
    if parts[0] != package or len(parts) < 2:
        return None
    return parts[1]


def violations(package: str, layers: Sequence[Sequence[str]]) -> list[str]:
    """``path:line: A (layer i) imports B (layer j > i)`` for every upward import; unknown units too."""
    rank = {unit: i for i, group in enumerate(layers) for unit in group}
    problems: list[str] = []
    root = SRC / package
    entry = {"__main__", "__init__"}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, package)
        unit = _unit(module, package)
        if unit is None or unit in entry:
            continue
        if unit not in rank:
            problems.append(f"{path.relative_to(SRC)}: '{unit}' is in no declared layer; add it to the layer list")
            continue
        for line, target in _imports(path, module):
            tunit = _unit(target, package)
            if tunit is None or tunit == unit or tunit in entry:
                continue
            if tunit not in rank:
                continue  # `from pv.x import name`: the name part is not a unit (checked via its module)
            if rank[tunit] > rank[unit]:
                problems.append(f"{path.relative_to(SRC)}:{line}: {unit} (layer {rank[unit]}) imports "
                                f"{target} ({tunit}, layer {rank[tunit]}): a lower layer must not reach up")
    return problems
