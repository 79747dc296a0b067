"""Types, required fields and empty text (PV-SCH-002..007): pydantic errors, translated.

Pydantic reports a union by trying every member; only the member that fits the YAML value's
kind (mapping, list, text, number) is kept, so a mistyped field gives one finding, not three.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from pv.checks import codes
from pv.checks.keys import render_path
from pv.diagnostics import Diagnostic, Severity
from pv.parse.yamlload import KeyPath, ParsedYaml

_TYPE_NAMES = {
    "string_type": "text", "int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_from_float": "an integer", "none_required": "null",
}


def validate_model(model: type[BaseModel], raw: dict[str, Any], display: str,
                   parsed: ParsedYaml) -> tuple[BaseModel | None, list[Diagnostic]]:
    """Validate ``raw`` against ``model``; return the instance (None on errors) and the findings."""
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, translate(exc.errors(include_url=False), raw, display, parsed)


def translate(errors: list[Any], raw: Any, display: str, parsed: ParsedYaml) -> list[Diagnostic]:
    out: dict[tuple[KeyPath, str], Diagnostic] = {}
    unmatched_unions: dict[KeyPath, list[str]] = {}
    for err in errors:
        resolved = _resolve(err["loc"], raw)
        if resolved is None:
            continue
        path, union_at, branch_ok = resolved
        if not branch_ok:
            unmatched_unions.setdefault(union_at, []).append(_expected(err))
            continue
        diag = _diagnostic(err, path, display, parsed)
        out.setdefault((path, diag.code), diag)
    for union_at, expected in unmatched_unions.items():
        if any(p[: len(union_at)] == union_at for p, _ in out):
            continue  # a branch fitted and reported something more precise
        line, col = parsed.locate(union_at)
        options = " or ".join(dict.fromkeys(e for e in expected if e))
        got = _kind(_get(raw, union_at))
        out[(union_at, codes.SCH_TYPE)] = Diagnostic(
            codes.SCH_TYPE, Severity.ERROR, f"{render_path(union_at)} must be {options or 'another type'}, not {got}",
            display, line, col, hint="change the value's type")
    return sorted(out.values(), key=lambda d: (d.line, d.col, d.code))


def _resolve(loc: tuple[Any, ...], raw: Any) -> tuple[KeyPath, KeyPath, bool] | None:
    """Map a pydantic loc onto the YAML key path, dropping union-branch tags.

    Returns (path, union point, whether the branch taken fits the YAML value there).
    """
    path: list[str | int] = []
    cur = raw
    for part in loc:
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            path.append(part)
            cur = cur[part]
            continue
        if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
            continue
        if isinstance(part, str) and _is_tag(part):
            if not _branch_fits(part, cur):
                return tuple(path), tuple(path), False
            continue
        # A missing key (part of a required-field error) ends the loc.
        path.append(part)
        break
    return tuple(path), tuple(path), True


def _is_tag(part: str) -> bool:
    return part[:1].isupper() or "[" in part or part in {"str", "int", "float", "bool", "none"}


def _branch_fits(tag: str, value: Any) -> bool:
    if tag.startswith("list["):
        return isinstance(value, list)
    if tag.startswith("dict["):
        return isinstance(value, dict)
    if tag[:1].isupper() and "[" not in tag:
        return isinstance(value, dict)
    if tag == "str":
        return isinstance(value, str)
    if tag == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if tag == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tag == "bool":
        return isinstance(value, bool)
    return True


def _get(raw: Any, path: KeyPath) -> Any:
    cur = raw
    for p in path:
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {value!r}".lower()
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _expected(err: dict[str, Any]) -> str:
    return _TYPE_NAMES.get(err["type"], "")


def _diagnostic(err: dict[str, Any], path: KeyPath, display: str, parsed: ParsedYaml) -> Diagnostic:
    etype: str = err["type"]
    where = render_path(path)
    value = err.get("input")
    if etype == "missing":
        field = str(path[-1]) if path else "?"
        parent = path[:-1]
        line, col = parsed.locate(parent)
        owner = render_path(parent) if parent else "the top level"
        return Diagnostic(codes.SCH_MISSING, Severity.ERROR, f"missing required field '{field}' in {owner}",
                          display, line, col, hint=f"add '{field}:'", data={"field": field})
    line, col = parsed.locate(path)
    if etype in ("string_too_short", "string_pattern_mismatch"):
        return Diagnostic(codes.SCH_EMPTY, Severity.ERROR, f"{where} is empty; it must carry text",
                          display, line, col, hint="write the text")
    if etype in _TYPE_NAMES:
        return Diagnostic(codes.SCH_TYPE, Severity.ERROR,
                          f"{where} must be {_TYPE_NAMES[etype]}, not {_kind(value)}", display, line, col,
                          hint="quote versions and IDs ('1.0.0')" if isinstance(value, (int, float)) else None)
    if etype in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return Diagnostic(codes.SCH_ENUM, Severity.ERROR, f"{where} is {value!r}; expected {expected}",
                          display, line, col, hint="use one of the listed values")
    ctx = err.get("ctx", {})
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if etype in bounds:
        limit = next(iter(ctx.values()), "?")
        return Diagnostic(codes.SCH_INVALID, Severity.ERROR, f"{where} is {value!r}; it must be {bounds[etype]} {limit}",
                          display, line, col)
    msg = str(err.get("msg", etype))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return Diagnostic(codes.SCH_INVALID, Severity.ERROR, f"{where}: {msg}", display, line, col)
