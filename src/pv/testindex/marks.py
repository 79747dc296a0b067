"""Reading pytest/unittest marks off the AST: which decorators are marks, and which skip for sure.

Only what is certain from the source counts: ``skip``, ``skipif`` with a
literal-true (or no) condition, ``xfail(run=False)``, ``unittest.skip``, and a
leading ``pytest.skip(...)``. A condition that needs evaluating is not
"unconditional", so it is never reported as one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mark:
    """A ``pytest.mark.<name>`` (called or bare) found on a def, a class or ``pytestmark``."""

    name: str
    call: ast.Call | None
    node: ast.expr


def as_mark(node: ast.expr) -> Mark | None:
    """``pytest.mark.x``, ``pytest.mark.x(...)``, ``mark.x(...)`` -> Mark; anything else -> None."""
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call is not None else node
    if isinstance(target, ast.Attribute):
        owner = target.value
        if (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (
            isinstance(owner, ast.Name) and owner.id == "mark"
        ):
            return Mark(target.attr, call, node)
    return None


def marks_of(decorators: list[ast.expr]) -> list[Mark]:
    """Marks in pytest's application order: the decorator nearest the def first."""
    return [m for m in (as_mark(d) for d in reversed(decorators)) if m is not None]


def pytestmark_marks(body: list[ast.stmt]) -> list[Mark]:
    """Marks assigned to ``pytestmark = ...`` in a module or class body."""
    found: list[Mark] = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            value = stmt.value
            elements = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            found.extend(m for m in (as_mark(e) for e in elements) if m is not None)
    return found


def _literal_truth(node: ast.expr) -> bool | None:
    """True/False when a condition is a literal (``True``, ``1``, ``"True"``); None when it needs running."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            text = node.value.strip()
            if text in {"True", "1"}:
                return True
            if text in {"False", "0", ""}:
                return False
            return None
        return bool(node.value)
    return None


def _reason(call: ast.Call | None) -> str:
    if call is None:
        return ""
    for kw in call.keywords:
        if kw.arg == "reason" and isinstance(kw.value, ast.Constant):
            return f": {kw.value.value}"
    if call.args and isinstance(call.args[-1], ast.Constant) and isinstance(call.args[-1].value, str):
        return f": {call.args[-1].value}"
    return ""


def unconditional_skip(mark: Mark) -> str | None:
    """Why this mark stops the test from ever running, or None."""
    call = mark.call
    if mark.name == "skip":
        return f"@pytest.mark.skip{_reason(call)}"
    if mark.name in {"skipif", "xfail"}:
        args = list(call.args) if call is not None else []
        kwargs = {kw.arg: kw.value for kw in call.keywords} if call is not None else {}
        if "condition" in kwargs:
            args = [kwargs["condition"]]
        if mark.name == "xfail":
            run = kwargs.get("run")
            if not (isinstance(run, ast.Constant) and run.value is False):
                return None
            conds = [a for a in args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
            if all(_literal_truth(c) is True for c in conds):
                return "@pytest.mark.xfail(run=False)"
            return None
        if not args:
            return f"@pytest.mark.skipif with no condition{_reason(call)}"
        if all(_literal_truth(a) is True for a in args):
            return f"@pytest.mark.skipif({ast.unparse(args[0])}){_reason(call)}"
    return None


def unittest_skip(decorators: list[ast.expr]) -> str | None:
    """``@unittest.skip(...)`` / ``@unittest.skipIf(True, ...)`` on a def or class."""
    for node in decorators:
        call = node if isinstance(node, ast.Call) else None
        target = call.func if call is not None else node
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
            continue
        if target.value.id != "unittest":
            continue
        if target.attr == "skip":
            return "@unittest.skip"
        if target.attr == "skipIf" and call is not None and call.args and _literal_truth(call.args[0]) is True:
            return "@unittest.skipIf(True)"
    return None


def is_skip_call(stmt: ast.stmt) -> bool:
    """A statement that is a bare ``pytest.skip(...)`` / ``self.skipTest(...)`` call."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    return isinstance(func, ast.Attribute) and (
        (func.attr == "skip" and isinstance(func.value, ast.Name) and func.value.id == "pytest")
        or func.attr == "skipTest"
    )


def string_args(mark: Mark) -> list[tuple[str, int, int]]:
    """Literal string arguments of a mark with their 1-based line/col (for ``falsifies``)."""
    if mark.call is None:
        return []
    out = []
    for arg in mark.call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out.append((arg.value, arg.lineno, arg.col_offset + 1))
    return out
