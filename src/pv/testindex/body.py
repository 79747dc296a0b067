"""Can this test fail? A bound test that cannot is a falsifier that falsifies nothing.

A test *can fail* when its body (or a helper it calls in the same file)
contains a real ``assert`` (not ``assert True``), a ``raise``, a call named
like an assertion helper (``assert*``, ``check*``, ``verify*``, ``expect*``,
``ensure*``, ``require*``, ``fail``; ``self.assertEqual``,
``np.testing.assert_allclose`` ...), ``pytest.raises``/``warns``, or when it is
a hypothesis ``@given`` property. Everything else (``pass``, ``...``, a
docstring, ``assert True``, or code that merely runs) is reported. The rule is
syntactic on purpose: it is predictable, and a real test always has one of
these.
"""

from __future__ import annotations

import ast
import re

_HELPER = re.compile(r"^_*(assert|check|verify|expect|ensure|require|fail|raises|warns|deprecated_call)")


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
    return isinstance(stmt, ast.Assert) and _truthy_constant(stmt.test)


class FailureAnalyzer:
    """Answers 'can this test fail?' for the defs of one module, following local helpers."""

    def __init__(self, tree: ast.Module) -> None:
        self._module_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._module_defs[stmt.name] = stmt
        self._memo: dict[int, bool] = {}

    def _can_fail(
        self,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
        depth: int = 0,
    ) -> bool:
        key = id(func)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = False  # cycle guard: a recursive helper proves nothing by itself
        for stmt in func.body:  # the common case: a top-level assert, found without walking the tree
            if (isinstance(stmt, ast.Assert) and not _truthy_constant(stmt.test)) or isinstance(stmt, ast.Raise):
                self._memo[key] = True
                return True
        result = False
        for node in ast.walk(ast.Module(body=func.body, type_ignores=[])):
            if (isinstance(node, ast.Assert) and not _truthy_constant(node.test)) or isinstance(node, ast.Raise):
                result = True
            elif isinstance(node, ast.Call):
                name = _callee_name(node)
                if name is None:
                    continue
                if _HELPER.match(name):
                    result = True
                elif depth < 4:
                    helper = None
                    if isinstance(node.func, ast.Name):
                        helper = self._module_defs.get(name)
                    elif (
                        isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in {"self", "cls"}
                    ):
                        helper = methods.get(name)
                    if helper is not None and helper is not func:
                        result = self._can_fail(helper, methods, depth + 1)
            if result:
                break
        self._memo[key] = result
        return result

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
        for deco in func.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name == "given":
                return None
        if self._can_fail(func, methods or {}):
            return None
        return "it has no assertion, no raise, no pytest.raises and calls no assert helper"


def _describe(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Pass):
        return "`pass`"
    if isinstance(stmt, ast.Assert):
        return f"`assert {ast.unparse(stmt.test)}`"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return "`...`" if stmt.value.value is Ellipsis else "a docstring"
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
