"""Standard mutation operators on ``ast``, emitted as exact ``{file, find, replace}`` mutants.

Why not mutmut or cosmic-ray: mutmut 3 rewrites whole modules into trampolines in its own
``mutants/`` tree and selects tests from its own coverage run, so it cannot be told "these node IDs
are the falsifier's tests"; cosmic-ray mutates modules in place on disk (a session database, a
test command per mutant) and needs its own worker setup. pv needs the opposite of both: the
falsifier's bound tests only, the user's files never touched, and each survivor printed as a
mutant a contract can keep. So the operators are here, a small fixed set:

- compare: ``<``/``>=``, ``>``/``<=``, ``==``/``!=``, ``in``/``not in``, ``is``/``is not`` swapped
- boolean: ``and``/``or`` swapped, ``not x`` -> ``x``, ``True``/``False`` flipped
- off-by-one: an integer constant ``n`` -> ``n + 1``
- swapped arguments: the first two positional arguments of a call exchanged
- removed call: a call used as a statement -> ``None``
- returned default: ``return <expr>`` -> ``return None``

Only single-line nodes on executed lines are mutated, and each ``find`` is grown to whole lines
until it occurs exactly once in the file, so the suggestion is a valid declared mutant as printed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

_FLIP: dict[type, type] = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq,
                           ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot,
                           ast.IsNot: ast.Is}


@dataclass(frozen=True, slots=True)
class Candidate:
    file: str
    line: int
    operator: str
    find: str
    replace: str


def _replacements(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(operator name, replacement source) for one node."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIP:
        yield "compare flip", ast.unparse(ast.Compare(node.left, [_FLIP[type(node.ops[0])]()], node.comparators))
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolean flip", ast.unparse(ast.BoolOp(other, node.values))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "negation removed", ast.unparse(node.operand)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "boolean flip", repr(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield "off-by-one", repr(node.value + 1)
    elif isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
            isinstance(a, ast.Starred) for a in node.args[:2]):
        args = [node.args[1], node.args[0], *node.args[2:]]
        yield "swapped arguments", ast.unparse(ast.Call(node.func, args, node.keywords))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "removed call", "None"
    if isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "returned default", "return None"


def candidates(rel: str, source: str, executed: set[int]) -> list[Candidate]:
    """Every operator application on an executed single-line node of ``source``, as exact mutants."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines(keepends=True)
    out: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    in_fstring = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line is None or line not in executed or getattr(node, "end_lineno", None) != line:
            continue
        if id(node) in in_fstring:
            continue
        raw = lines[line - 1].encode("utf-8")
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if end is None:
            continue
        before, seg, after = raw[:start].decode(), raw[start:end].decode(), raw[end:].decode()
        for op, repl in _replacements(node):
            if repl == seg:
                continue
            find, replace = _unique(lines, line, before + seg + after, before + repl + after, source)
            if find is None or (find, replace) in seen:
                continue
            seen.add((find, replace))
            out.append(Candidate(rel, line, op, find, replace))
    out.sort(key=lambda c: (c.line, c.operator))
    return out


def _unique(lines: list[str], line: int, old: str, new: str, source: str) -> tuple[str | None, str]:
    """Grow the find text by whole following lines until it occurs once (None: never unique)."""
    old_t, new_t = old.rstrip("\n"), new.rstrip("\n")
    nxt = line
    while source.count(old_t) != 1:
        if nxt >= len(lines) or nxt - line >= 3:
            return None, ""
        extra = lines[nxt].rstrip("\n")
        old_t, new_t = old_t + "\n" + extra, new_t + "\n" + extra
        nxt += 1
    return old_t, new_t
