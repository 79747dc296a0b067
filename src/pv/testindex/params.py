"""Parametrize IDs known without running anything, computed exactly as pytest does.

pytest builds a test's ``[...]`` suffix from each ``parametrize`` call: an
explicit ``pytest.param(..., id=...)``, else an ``ids=[...]`` entry, else an ID
generated from the value (strings ASCII-escaped, numbers/bools/None via
``str()``, things with a ``__name__`` by that name, anything else
``<argname><index>``), then duplicates get a counter suffix. Stacked calls are
joined with ``-``, innermost decorator first. This module mirrors
``_pytest.python.IdMaker`` (pytest 9) on the AST. Whatever cannot be known
statically (an ``ids=`` callable, values built by a call, imported constants)
makes the whole test *undecidable*, never guessed: pv then says so and points
at ``--collect``.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass

_NON_PRINTABLE = {i: f"\\x{i:02x}" for i in range(128) if i not in range(32, 127)}
_NON_PRINTABLE.update({ord("\t"): "\\t", ord("\r"): "\\r", ord("\n"): "\\n"})

MAX_COMBINATIONS = 20_000  # beyond this a stacked parametrize is reported undecidable


class Undecidable(Exception):
    """The IDs depend on something only running the code can tell."""


def ascii_escaped(val: str | bytes) -> str:
    """pytest's ``_pytest.compat.ascii_escaped``."""
    if isinstance(val, bytes):
        ret = val.decode("ascii", "backslashreplace")
    else:
        ret = val.encode("unicode_escape").decode("ascii")
    return ret.translate(_NON_PRINTABLE)


@dataclass(frozen=True, slots=True)
class IdRules:
    """The ini settings that change generated IDs."""

    long_str_strategy: str = "short"
    disable_escaping: bool = False

    def escape(self, val: str | bytes) -> str:
        if self.disable_escaping and isinstance(val, str):
            return val
        return ascii_escaped(val)


class ModuleScope:
    """Module-level names a parametrize call may refer to: literal constants, defs and classes."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants: dict[str, ast.expr] = {}
        self.defined: set[str] = set()
        self._ambiguous: set[str] = set()
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defined.add(stmt.name)
                self.constants.pop(stmt.name, None)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name):
                    if target.id in self.constants or target.id in self.defined:
                        self.constants.pop(target.id, None)  # reassigned: not a constant we can trust
                        self.defined.discard(target.id)
                        self._ambiguous.add(target.id)
                    elif target.id not in self._ambiguous:
                        self.constants[target.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
                self.constants[stmt.target.id] = stmt.value

    def resolve(self, node: ast.expr, depth: int = 0) -> ast.expr:
        """Follow ``NAME`` to its literal module-level value (a few hops at most)."""
        while isinstance(node, ast.Name) and node.id in self.constants and depth < 5:
            node = self.constants[node.id]
            depth += 1
        return node


_NO_VALUE = object()


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_VALUE


def value_id(node: ast.expr, argname: str, idx: int, scope: ModuleScope, rules: IdRules) -> str:
    """The ID pytest generates for one parameter value (``IdMaker._idval``)."""
    node = scope.resolve(node)
    if isinstance(node, ast.Lambda):
        return "<lambda>"
    if isinstance(node, ast.Name):
        if node.id in scope.defined:
            return node.id  # a module-level def or class: pytest uses __name__
        raise Undecidable(f"value {node.id!r} is not a literal defined in this file")
    if isinstance(node, ast.List | ast.Tuple | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return f"{argname}{idx}"  # containers have no __name__: pytest falls back to argname+index
    value = _literal(node)
    if value is _NO_VALUE:
        raise Undecidable(f"value `{ast.unparse(node)[:60]}` is computed at run time")
    if isinstance(value, str | bytes):
        if len(value) <= 100 or rules.long_str_strategy == "legacy":
            return rules.escape(value)
        if rules.long_str_strategy == "sha256":
            raw = value.encode("utf-8") if isinstance(value, str) else value
            return hashlib.sha256(raw).hexdigest()
        if rules.long_str_strategy == "short":
            return f"{argname}{idx}"
        raise Undecidable(f"parametrize_long_str_id_strategy={rules.long_str_strategy!r}")
    if value is None or isinstance(value, bool | int | float | complex):
        return str(value)
    return f"{argname}{idx}"


def explicit_id(node: ast.expr, scope: ModuleScope, rules: IdRules) -> str | None:
    """An entry of ``ids=[...]`` or ``pytest.param(id=...)``; None means 'generate it'."""
    node = scope.resolve(node)
    value = _literal(node)
    if value is _NO_VALUE:
        raise Undecidable(f"explicit id `{ast.unparse(node)[:60]}` is computed at run time")
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return rules.escape(value)
    if isinstance(value, bool | int | float | complex):
        return str(value)
    raise Undecidable(f"explicit id {value!r} is not a str")


def _is_pytest_param(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "param") or (
        isinstance(func, ast.Name) and func.id == "param"
    )


def _argnames(node: ast.expr, scope: ModuleScope) -> list[str]:
    node = scope.resolve(node)
    value = _literal(node)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise Undecidable("argnames are not a literal string or list")


def _argvalues(node: ast.expr, scope: ModuleScope) -> list[ast.expr]:
    node = scope.resolve(node)
    if isinstance(node, ast.List | ast.Tuple):
        if any(isinstance(elt, ast.Starred) for elt in node.elts):
            raise Undecidable("argvalues unpack another sequence")
        return list(node.elts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and not node.keywords
    ):
        bounds = [_literal(a) for a in node.args]
        if bounds and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            return [ast.Constant(v) for v in range(*bounds)]  # type: ignore[arg-type]
    raise Undecidable(f"argvalues `{ast.unparse(node)[:60]}` are not a literal list")


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def parametrize_ids(call: ast.Call, scope: ModuleScope, rules: IdRules) -> list[str]:
    """IDs of one ``@pytest.mark.parametrize(...)`` call, unique-suffixed like pytest."""
    if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        raise Undecidable("parametrize arguments are unpacked at run time")
    names_node = call.args[0] if call.args else _kw(call, "argnames")
    values_node = call.args[1] if len(call.args) > 1 else _kw(call, "argvalues")
    if names_node is None or values_node is None:
        raise Undecidable("parametrize without argnames/argvalues")
    argnames = _argnames(names_node, scope)
    values = _argvalues(values_node, scope)
    ids_node = call.args[3] if len(call.args) > 3 else _kw(call, "ids")
    explicit: list[ast.expr] | None = None
    if ids_node is not None:
        ids_node = scope.resolve(ids_node)
        if isinstance(ids_node, ast.Constant) and ids_node.value is None:
            explicit = None
        elif isinstance(ids_node, ast.List | ast.Tuple):
            explicit = list(ids_node.elts)
        else:
            raise Undecidable(f"ids=`{ast.unparse(ids_node)[:60]}` is a callable or computed")
    if not values:
        # An empty parameter set: pytest makes one (skipped) test with the id "NOTSET".
        return ["NOTSET"]
    resolved: list[str] = []
    for idx, value in enumerate(values):
        param_id: str | None = None
        items: list[ast.expr]
        if _is_pytest_param(value):
            assert isinstance(value, ast.Call)
            if any(isinstance(a, ast.Starred) for a in value.args):
                raise Undecidable("pytest.param(*...) unpacks at run time")
            id_node = _kw(value, "id")
            if id_node is not None:
                param_id = explicit_id(id_node, scope, rules)
            items = list(value.args)
        elif len(argnames) == 1:
            items = [value]
        else:
            resolved_value = scope.resolve(value)
            if not isinstance(resolved_value, ast.Tuple | ast.List):
                raise Undecidable(f"parameter set `{ast.unparse(value)[:60]}` is not a literal tuple")
            items = list(resolved_value.elts)
        if param_id is None and explicit is not None and idx < len(explicit):
            param_id = explicit_id(explicit[idx], scope, rules)
        if param_id is None:
            if len(items) != len(argnames):
                raise Undecidable(f"parameter set {idx} has {len(items)} values for {len(argnames)} names")
            param_id = "-".join(
                value_id(item, name, idx, scope, rules) for item, name in zip(items, argnames, strict=True)
            )
        resolved.append(param_id)
    return make_unique(resolved)


def is_empty_parametrize(call: ast.Call, scope: ModuleScope) -> bool:
    """``parametrize("x", [])``: pytest skips the single NOTSET test it generates."""
    values_node = call.args[1] if len(call.args) > 1 else _kw(call, "argvalues")
    if values_node is None:
        return False
    values_node = scope.resolve(values_node)
    return isinstance(values_node, ast.List | ast.Tuple) and not values_node.elts


def make_unique(ids: list[str]) -> list[str]:
    """``IdMaker.make_unique_parameterset_ids``: suffix duplicates with a counter."""
    if len(ids) == len(set(ids)):
        return ids
    counts = Counter(ids)
    suffixes: dict[str, int] = defaultdict(int)
    out = list(ids)
    for index, ident in enumerate(ids):
        if counts[ident] > 1:
            sep = "_" if ident and ident[-1].isdigit() else ""
            new_id = f"{ident}{sep}{suffixes[ident]}"
            while new_id in set(out):
                suffixes[ident] += 1
                new_id = f"{ident}{sep}{suffixes[ident]}"
            out[index] = new_id
            suffixes[ident] += 1
    return out


def combine(per_call: list[list[str]]) -> list[str]:
    """Join stacked parametrize calls (innermost first) the way ``CallSpec.id`` does."""
    total = 1
    for ids in per_call:
        total *= max(len(ids), 1)
    if total > MAX_COMBINATIONS:
        raise Undecidable(f"{total} parameter combinations (over {MAX_COMBINATIONS})")
    return ["-".join(combo) for combo in itertools.product(*per_call)]
