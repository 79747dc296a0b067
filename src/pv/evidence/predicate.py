"""Evaluate a falsifier's machine-checkable prediction on recorded metrics.

A falsifier may carry ``check: {metric: val_loss, op: "<", value: 9.38}``
(ops ``<  <=  ==  !=  >=  >`` and ``within`` with ``tolerance``). Evidence
verification and the DISCHARGED rung both ask one question, answered here:
does the prediction hold on these numbers? "Nothing measured" is never a pass:
a metric that was not recorded, a NaN, or a non-number compared by order all
make the prediction *not hold*, with a message saying which.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
    ">": operator.gt,
}
_EQ_OPS: dict[str, Callable[[Any, Any], bool]] = {"==": operator.eq, "!=": operator.ne}
OPS: frozenset[str] = frozenset({*_ORDER_OPS, *_EQ_OPS, "within"})

_MISSING = object()


class CheckLike(Protocol):
    """What the schema's ``check:`` block provides (pv.model's Check satisfies it)."""

    metric: str
    op: str
    value: Any
    tolerance: float | None


@dataclass(frozen=True, slots=True)
class PredicateResult:
    """The verdict plus one line a person can read ("val_loss = 7.1 < 9.38 holds")."""

    holds: bool
    observed: Any
    message: str


def describe(check: CheckLike) -> str:
    """``val_loss < 9.38`` / ``ppl within 1.5 ± 0.1``."""
    if check.op == "within":
        return f"{check.metric} within {check.value} ± {check.tolerance}"
    return f"{check.metric} {check.op} {check.value!r}"


def lookup_metric(metrics: Mapping[str, Any], name: str) -> Any:
    """Exact key first, then a dotted path into nested objects (``final.val_loss``)."""
    if name in metrics:
        return metrics[name]
    node: Any = metrics
    for part in name.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def evaluate(check: CheckLike, metrics: Mapping[str, Any]) -> PredicateResult:
    """Evaluate ``check`` against ``metrics``; never raises on odd data."""
    text = describe(check)
    observed = lookup_metric(metrics, check.metric)
    if observed is _MISSING:
        return PredicateResult(False, None, f"metric {check.metric!r} was not recorded, so `{text}` is unmeasured")
    if _is_number(observed) and not math.isfinite(float(observed)):
        return PredicateResult(False, observed, f"{check.metric} = {observed} is not finite; `{text}` does not hold")
    if check.op == "within":
        if not (_is_number(observed) and _is_number(check.value) and _is_number(check.tolerance)):
            return PredicateResult(False, observed, f"`{text}` needs numbers (got {check.metric} = {observed!r})")
        assert check.tolerance is not None
        holds = abs(float(observed) - float(check.value)) <= float(check.tolerance)
    elif check.op in _ORDER_OPS:
        if not (_is_number(observed) and _is_number(check.value)):
            return PredicateResult(False, observed, f"`{text}` needs numbers (got {check.metric} = {observed!r})")
        holds = _ORDER_OPS[check.op](observed, check.value)
    elif check.op in _EQ_OPS:
        holds = _EQ_OPS[check.op](observed, check.value)
    else:
        return PredicateResult(False, observed, f"unknown op {check.op!r}; use one of {sorted(OPS)}")
    verdict = "holds" if holds else "does not hold"
    return PredicateResult(holds, observed, f"{check.metric} = {observed!r}: `{text}` {verdict}")
