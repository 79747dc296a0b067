"""Every gate/falsifier/invariant/FM ID the trainer raises or prints is a named constant in trainer/errors.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import trainer
from trainer import errors

TRAINER = Path(trainer.__file__).resolve().parent
ERRORS = TRAINER / "errors.py"
ID = re.compile(r"\b(?:GATE|FALSIFY|INV|FM)-[A-Z0-9]+(?:-[A-Z0-9]+)*")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (prose that may name an ID; never raised or printed)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _id_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every non-docstring string constant naming an ID, f-string parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docs = _docstrings(tree)
    return [(node.lineno, node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and ID.search(node.value)]


def test_no_id_string_literal_outside_errors() -> None:
    """An ID in a string (plain or an f-string's text) anywhere but errors.py is a second definition."""
    found = [f"{path.relative_to(TRAINER.parent)}:{line}: {text!r}"
             for path in sorted(TRAINER.rglob("*.py")) if path != ERRORS for line, text in _id_literals(path)]
    assert found == []


def test_the_scan_sees_a_literal(tmp_path: Path) -> None:
    """The rule can fail: a raised ID in a plain string or an f-string is reported, a docstring is not."""
    (tmp_path / "m.py").write_text('"""GATE-DOC-001 in prose."""\n'
                                   'X = "GATE-PREFLIGHT-ARGS"\n'
                                   'def f(n):\n    return f"FALSIFY-CORPUS-004: {n}"\n')
    assert sorted(_id_literals(tmp_path / "m.py")) == [(2, "GATE-PREFLIGHT-ARGS"), (4, "FALSIFY-CORPUS-004: ")]


def test_every_constant_is_its_own_name() -> None:
    """GATE_PREFLIGHT_ARGS = "GATE-PREFLIGHT-ARGS": the name is the value with "-" -> "_", one per ID."""
    constants = {name: value for name, value in vars(errors).items() if ID.fullmatch(name.replace("_", "-"))}
    assert len(constants) >= 40
    for name, value in constants.items():
        assert value == name.replace("_", "-"), name
    assert len(set(constants.values())) == len(constants)
    tree = ast.parse(ERRORS.read_text(encoding="utf-8"))
    assigned = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)]
    assert sorted(assigned) == sorted(constants), "every module-level assignment in errors.py is an ID"
