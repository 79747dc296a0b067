"""pytest skeletons for falsifiers that have no test yet, and how to recognise one later.

A scaffold is a placeholder, never evidence. Each generated test is named
after its falsifier, carries ``@pytest.mark.falsifies("FALSIFY-...")`` so the
binding is visible both ways, and its whole body is::

    pytest.fail("not written: FALSIFY-...")

so it fails until someone writes it. :func:`is_scaffold_body` is the one
definition of "this test is still a scaffold": coverage, the test-binding
gate and the status ladder use it so that binding a falsifier to its
scaffold never counts as a bound test (the scaffold also fails when run).
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pv.testindex.body import SCAFFOLD_PREFIX, is_scaffold_body


@dataclass(frozen=True, slots=True)
class ScaffoldTarget:
    """A falsifier that needs a test: its ID, prediction and where it is declared."""

    falsifier_id: str
    prediction: str
    contract_path: str
    line: int


def scaffold_test_name(falsifier_id: str) -> str:
    """``FALSIFY-APR-PRETRAIN-INIT-006`` -> ``test_falsify_apr_pretrain_init_006`` (a valid identifier)."""
    name = re.sub(r"[^0-9a-zA-Z]+", "_", falsifier_id).strip("_").lower() or "unnamed"
    name = f"test_{name}"
    return name + "_" if keyword.iskeyword(name) else name


def node_id_for(test_file: str, falsifier_id: str) -> str:
    """The pytest node ID a contract should cite once the scaffold is written."""
    return f"{test_file}::{scaffold_test_name(falsifier_id)}"


def _pyliteral(text: str) -> str:
    return repr(text)


def render_scaffold(targets: Sequence[ScaffoldTarget], contract_path: str,
                    existing_names: Iterable[str] = ()) -> str:
    """A complete pytest module with one failing test per target (deterministic text)."""
    taken = set(existing_names)
    lines = [
        f'"""Test skeletons for {contract_path}, written by `pv scaffold`.',
        "",
        "Each test fails until it is written: replace the pytest.fail line with code that",
        "asserts the falsifier's prediction, then cite this test's node ID in the contract.",
        "A scaffold never counts as a bound test (pv recognises the unchanged body).",
        '"""',
        "",
        "import pytest",
    ]
    for target in targets:
        name = scaffold_test_name(target.falsifier_id)
        if name in taken:
            continue
        taken.add(name)
        doc = " ".join(target.prediction.split()) or "(no prediction written)"
        lines += [
            "",
            "",
            f"@pytest.mark.falsifies({_pyliteral(target.falsifier_id)})",
            f"def {name}() -> None:",
            f"    # {target.contract_path}:{target.line}",
            f"    # Prediction: {doc}"[:108],
            f"    pytest.fail({_pyliteral(SCAFFOLD_PREFIX + target.falsifier_id)})",
        ]
    return "\n".join(lines) + "\n"



def scaffold_functions(source: str) -> set[str]:
    """Qualified names (``test_x``, ``TestC::test_m``) of scaffold tests in a module's source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    out: set[str] = set()

    def walk(nodes: Iterable[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_scaffold_body(node):
                out.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef):
                walk(node.body, f"{prefix}{node.name}::")

    walk(tree.body, "")
    return out


def existing_test_names(source: str) -> set[str]:
    """Top-level function names already in a module (scaffold appends only new ones).

    Raises SyntaxError for a module that does not parse: its names are unknown, and
    appending to it would duplicate tests on every run.
    """
    tree = ast.parse(source)
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


class ScaffoldIndex:
    """Answers "is this node ID an unwritten scaffold?", parsing each test file once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, set[str]] = {}

    def is_scaffold(self, node_id: str) -> bool:
        if "::" not in node_id:
            return False
        file_part, _, rest = node_id.partition("::")
        rest = rest.split("[", 1)[0]
        if file_part not in self._files:
            try:
                source = (self.root / file_part).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                source = ""
            self._files[file_part] = scaffold_functions(source)
        return rest in self._files[file_part]
