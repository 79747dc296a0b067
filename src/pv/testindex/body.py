"""Can this test fail? A bound test that cannot is a falsifier that falsifies nothing.

A test is reported as *cannot fail* only when that is provable from its body:
it is empty of effects (``pass``, ``...``, a docstring, ``assert <truthy
constant>``, ``name = <literal>``) or an unwritten ``pv scaffold`` skeleton.
A body that calls anything can fail: the call may raise (a helper that asserts
inside, ``result.stdout.fnmatch_lines(...)``, a "does not raise" smoke test),
so it is never flagged. Unconditional skips are PV-BIND-018, decided in marks.py.
"""

from __future__ import annotations

import ast


def _truthy_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_trivial(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True  # a docstring, a bare string or `...`
    if isinstance(stmt, ast.Assign | ast.AnnAssign):  # `x = 1`: binding a literal to a plain name cannot raise
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return (stmt.value is not None and _is_literal(stmt.value)
                and all(isinstance(t, ast.Name) for t in targets))
    return isinstance(stmt, ast.Assert) and _truthy_constant(stmt.test)


def _is_literal(node: ast.expr) -> bool:
    """A constant or a container of constants (no name, call, operator or subscript that could raise)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) and _is_literal(v) for k, v in zip(node.keys, node.values, strict=True))
    return False


class FailureAnalyzer:
    """Answers 'can this test fail?' for the defs of one module, following local helpers."""

    def __init__(self, tree: ast.Module) -> None:
        self._module_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._module_defs[stmt.name] = stmt
        self._memo: dict[int, bool] = {}

    def cannot_fail_reason(
        self,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None,
    ) -> str | None:
        """None when the test can fail; else a short reason for the finding."""
        if is_scaffold_body(func):
            return "it is an unwritten `pv scaffold` skeleton (it only calls pytest.fail)"
        if all(_is_trivial(stmt) for stmt in func.body):
            kinds = sorted({_describe(stmt) for stmt in func.body})
            return f"its body is only {' and '.join(kinds)}"
        # Anything else can fail: a call may raise (a helper that asserts inside, fnmatch_lines,
        # a "does not raise" smoke test), so only a provably inert body is ever reported.
        return None


def _describe(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Pass):
        return "`pass`"
    if isinstance(stmt, ast.Assert):
        return f"`assert {ast.unparse(stmt.test)}`"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return "`...`" if stmt.value.value is Ellipsis else "a docstring"
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        return "literal assignments"
    return "no-ops"


# The failure message every `pv scaffold` skeleton carries. A scaffold "can fail"
# (it always does), so it needs its own rule: an unwritten test is never a binding.
SCAFFOLD_PREFIX = "not written: "


def is_scaffold_body(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when the body is (docstring and) exactly ``pytest.fail("not written: ...")``.

    Comments do not reach the AST, so a scaffold whose comments were edited
    is still a scaffold; one real statement more and it is not.
    """
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
        return False
    call = body[0].value
    fn = call.func
    is_fail = (isinstance(fn, ast.Attribute) and fn.attr == "fail" and isinstance(fn.value, ast.Name)
               and fn.value.id == "pytest") or (isinstance(fn, ast.Name) and fn.id == "fail")
    if not is_fail or not call.args:
        return False
    first = call.args[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) \
        and first.value.startswith(SCAFFOLD_PREFIX)
