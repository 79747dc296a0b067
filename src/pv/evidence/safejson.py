"""A bounded, strict JSON reader for evidence files (manifest.json, metrics.json, stdout.txt).

``json.loads`` accepts duplicate keys (the last wins, so a second
``"exit_code": 0`` silently overrides the first), integers of any length (a
4,301-digit one is a ``ValueError`` only by accident of CPython's str-to-int
limit) and nesting until ``RecursionError``. Evidence decides what a contract
may claim, so each of these is refused here with a message naming the place;
callers turn :class:`JsonRefused` into a PV-EVID finding.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64  # arrays/objects nested deeper than this are refused (real manifests: 4)
MAX_INT_DIGITS = 64  # integers longer than this are refused (an exit code, a byte count: < 20 digits)
MAX_BYTES = 16 * 1024 * 1024  # a manifest or metrics file larger than this is refused before parsing


class JsonRefused(ValueError):
    """The text is not JSON pv accepts as evidence; the message says why and where."""


class JsonSyntaxError(JsonRefused):
    """The text is not JSON at all (as opposed to JSON pv refuses: duplicates, huge, deep)."""


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise JsonRefused(f"an integer of {len(digits)} digits (more than {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonRefused(f"the number {text[:20]}... overflows a float")
    return value


def _constant(name: str) -> float:
    raise JsonRefused(f"{name} is not JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonRefused(f"duplicate key {key!r} (a later value would silently override the first)")
        out[key] = value
    return out


def _depth(value: Any) -> int:
    """The deepest array/object nesting of a parsed value, walked iteratively (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def loads(text: str) -> Any:
    """Parse ``text`` strictly: :class:`JsonRefused` for duplicates, huge ints, deep nesting, NaN, bad JSON."""
    if len(text) > MAX_BYTES:
        raise JsonRefused(f"{len(text)} characters (more than {MAX_BYTES})")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"nested more than {MAX_DEPTH} levels deep") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise JsonSyntaxError(f"not valid JSON ({exc})") from None
    if _depth(value) > MAX_DEPTH:
        raise JsonRefused(f"nested more than {MAX_DEPTH} levels deep")
    return value
