"""pytest's ``-k`` expressions, parsed and evaluated against the static index.

Grammar (pytest's ``_pytest.mark.expression``)::

    expr:     and_expr ('or' and_expr)*
    and_expr: not_expr ('and' not_expr)*
    not_expr: 'not' not_expr | '(' expr ')' | ident
    ident:    (\\w|:|\\+|-|\\.|\\[|\\]|\\\\|/)+

An identifier matches an item when it is a case-insensitive substring of one
of the item's keywords: its name (with ``[params]``), the names of its
classes, module file and directories below the root, and its markers. That
substring rule is pytest's, not pv's: it is used only to decide what a cited
``pytest -k`` command would select, and a ``-k`` that selects nothing is a
dangling reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(?:(\()|(\))|((?:\w|:|\+|-|\.|\[|\]|\\|/)+))", re.UNICODE)

Matcher = Callable[[str], bool]
Predicate = Callable[[Matcher], bool]


class KExprError(ValueError):
    """The expression is not valid ``-k`` syntax (pytest would refuse it too)."""


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise KExprError(f"unexpected character {text[pos]!r} at column {pos + 1}")
        out.append(match.group(match.lastindex or 0))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> Predicate:
        left = self.and_expr()
        while self.peek() == "or":
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda m: a(m) or b(m))(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.not_expr()
        while self.peek() == "and":
            self.take()
            right = self.not_expr()
            left = (lambda a, b: lambda m: a(m) and b(m))(left, right)
        return left

    def not_expr(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise KExprError("expression ends unexpectedly")
        if token == "not":
            self.take()
            inner = self.not_expr()
            return lambda m: not inner(m)
        if token == "(":
            self.take()
            inner = self.expr()
            if self.peek() != ")":
                raise KExprError("missing ')'")
            self.take()
            return inner
        if token in {")", "and", "or"}:
            raise KExprError(f"unexpected {token!r}")
        ident = self.take()
        needle = ident.lower()
        return lambda m: m(needle)


def compile_k(text: str) -> Predicate:
    """Compile ``-k TEXT``; the result takes a matcher ``needle -> bool``. An empty text matches all."""
    parser = _Parser(text)
    if parser.peek() is None:
        return lambda m: True
    predicate = parser.expr()
    if parser.peek() is not None:
        raise KExprError(f"unexpected {parser.peek()!r}")
    return predicate


def keyword_matcher(names: list[str]) -> Matcher:
    lowered = [n.lower() for n in names]
    return lambda needle: any(needle in name for name in lowered)
