"""The trainer's one JSON reader for files it did not write: depth, integer and size limits.

Every JSON the trainer reads from a checkpoint or its directory (config.json,
model.safetensors.index.json, a safetensors header, APR metadata) goes through
``load_bounded``. Plain ``json.loads`` trusts its input three ways that hostile
files exploit: nesting thousands deep raises ``RecursionError`` (a traceback,
or worse, a crashed interpreter), an integer of thousands of digits raises
``ValueError`` from Python's int-string limit (or costs quadratic time below
it), and ``1e999`` silently becomes ``inf``. Here each is a ``BoundedJsonError``
naming the offset and the limit, which the callers turn into their format's
gate ID (FALSIFY-APR-PRETRAIN-INIT-004 or -005) with the file's path.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""No config or header the trainer reads nests deeper than ~5; 64 leaves room and bounds recursion."""
MAX_INT_DIGITS = 40
"""Enough for any u128; architecture numbers are far smaller. Longer is hostile or corrupt."""
MAX_BYTES = 100 * 1024 * 1024
"""The safetensors reference limit for a header; configs and indexes are far smaller."""

# Strings are skipped (brackets inside them do not nest); everything else that opens or closes counts.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BoundedJsonError(ValueError):
    """The text is not JSON, or breaks one of the limits; ``str()`` says which, where."""


def _check_depth(text: str, limit: int) -> None:
    depth = 0
    for m in _TOKENS.finditer(text):
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > limit:
                raise BoundedJsonError(f"nesting deeper than {limit} levels at offset {m.start()}")
        elif ch in "]}":
            depth -= 1


def _parse_int(token: str) -> int:
    digits = len(token.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise BoundedJsonError(f"an integer of {digits} digits (limit {MAX_INT_DIGITS}): {token[:12]}...")
    return int(token)


def _parse_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise BoundedJsonError(f"number {token[:24]!r} overflows a 64-bit float")
    return value


def _reject_constant(token: str) -> float:
    raise BoundedJsonError(f"non-standard JSON constant {token} (NaN/Infinity are not JSON)")


def load_bounded(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Parse JSON text, refusing what would exhaust the stack, the CPU or a float.

    Raises ``BoundedJsonError`` (a ``ValueError``) for invalid UTF-8, invalid
    JSON, NaN/Infinity, non-finite floats, integers over ``MAX_INT_DIGITS``
    digits, nesting over ``max_depth`` and input over ``max_bytes``; nothing else.
    """
    if len(data) > max_bytes:
        raise BoundedJsonError(f"{len(data)} bytes of JSON (limit {max_bytes})")
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise BoundedJsonError(f"not valid UTF-8 at byte {exc.start} ({exc.reason})") from None
    else:
        text = data
    _check_depth(text, max_depth)
    try:
        return json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant
        )
    except BoundedJsonError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise BoundedJsonError(f"not valid JSON: {exc}") from None


def type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages ("a string", "an array", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show_value(value: Any, limit: int = 40) -> str:
    """A short repr for messages: a 5,000-digit integer is not echoed whole."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<integer of ~{int(value.bit_length() * 0.30103)} digits>"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
