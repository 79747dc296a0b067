"""Unknown keys anywhere in a contract, with "did you mean" (PV-SCH-001, PV-SCH-009).

The walk is driven by the pydantic models themselves (their fields and aliases), so the key check
and the schema can never disagree. A key is accepted when the model knows it, when it starts with
``x-`` (a deliberate extension), or when [tool.pv] extension_keys declares it for that place.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.parse.yamlload import KeyPath

# ---- shapes derived from the model annotations ----------------------------------------


@dataclass(frozen=True, slots=True)
class _Shape:
    kind: str  # "model" | "list" | "dict" | "union" | "free"
    model: type[BaseModel] | None = None
    items: tuple[_Shape, ...] = ()


_FREE = _Shape("free")


def _shape(annotation: Any) -> _Shape:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _shape(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _Shape("model", annotation)
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        return _Shape("list", items=(_shape(args[0]) if args else _FREE,))
    if origin is dict:
        args = typing.get_args(annotation)
        return _Shape("dict", items=(_shape(args[1]) if len(args) == 2 else _FREE,))
    if origin in (typing.Union, types.UnionType):
        alts = tuple(s for s in (_shape(a) for a in typing.get_args(annotation)) if s.kind != "free")
        if not alts:
            return _FREE
        return alts[0] if len(alts) == 1 else _Shape("union", items=alts)
    return _FREE


@dataclass(frozen=True, slots=True)
class _ModelKeys:
    known: frozenset[str]  # field names and every alias
    canonical: dict[str, str]  # any accepted spelling -> field name
    spellings: dict[str, tuple[str, ...]]  # field name -> accepted spellings (for clashes)
    children: dict[str, _Shape]  # accepted spelling -> shape of its value


@functools.cache
def model_keys(model: type[BaseModel]) -> _ModelKeys:
    known: set[str] = set()
    canonical: dict[str, str] = {}
    spellings: dict[str, tuple[str, ...]] = {}
    children: dict[str, _Shape] = {}
    for name, info in model.model_fields.items():
        names = [name]
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names += [c for c in alias.choices if isinstance(c, str) and c != name]
        elif isinstance(alias, str) and alias != name:
            names.append(alias)
        shape = _shape(info.annotation)
        spellings[name] = tuple(names)
        for n in names:
            known.add(n)
            canonical[n] = name
            children[n] = shape
    return _ModelKeys(frozenset(known), canonical, spellings, children)


# ---- did you mean ---------------------------------------------------------------------


def _norm(key: str) -> str:
    k = key.strip().lower().replace("-", "_").replace(" ", "_")
    while "__" in k:
        k = k.replace("__", "_")
    return k.rstrip("_")


def _singular(k: str) -> str:
    if k.endswith("ies"):
        return k[:-3] + "y"
    if k.endswith("es") and k[:-2].endswith(("s", "x", "ch", "sh")):
        return k[:-2]
    if k.endswith("s") and not k.endswith("ss"):
        return k[:-1]
    return k


def suggest(key: str, known: frozenset[str] | set[str]) -> str | None:
    """The known key this one most likely meant: same up to case/separators/plural, else a near miss."""
    n = _norm(key)
    by_norm = {_norm(k): k for k in known}
    if n in by_norm:
        return by_norm[n]
    by_singular = {_singular(_norm(k)): k for k in known}
    if _singular(n) in by_singular:
        return by_singular[_singular(n)]
    close = difflib.get_close_matches(n, list(by_norm), n=1, cutoff=0.8)
    return by_norm[close[0]] if close else None


# ---- the walk ---------------------------------------------------------------------------

Locator = Callable[[KeyPath], tuple[int, int]]


def check_keys(raw: dict[str, Any], model: type[BaseModel], display: str, locate_key: Locator,
               allowed_extra: Callable[[KeyPath, str], bool],
               top_hint: Callable[[str], str | None] | None = None) -> list[Diagnostic]:
    """Every unknown key and every field given under two spellings, in document order."""
    return list(_walk(raw, _Shape("model", model), (), display, locate_key, allowed_extra, top_hint))


def _walk(value: Any, shape: _Shape, path: KeyPath, display: str, locate_key: Locator,
          allowed_extra: Callable[[KeyPath, str], bool],
          top_hint: Callable[[str], str | None] | None) -> Iterator[Diagnostic]:
    if shape.kind == "union":
        for alt in shape.items:
            if _fits(value, alt):
                yield from _walk(value, alt, path, display, locate_key, allowed_extra, top_hint)
                return
        return
    if shape.kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, shape.items[0], (*path, i), display, locate_key, allowed_extra, top_hint)
        return
    if shape.kind == "dict" and isinstance(value, dict):
        for k, item in value.items():
            yield from _walk(item, shape.items[0], (*path, k), display, locate_key, allowed_extra, top_hint)
        return
    if shape.kind != "model" or not isinstance(value, dict) or shape.model is None:
        return
    keys = model_keys(shape.model)
    for field_name, names in keys.spellings.items():
        present = [n for n in names if n in value]
        if len(present) > 1:
            line, col = locate_key((*path, present[1]))
            yield Diagnostic(codes.SCH_ALIAS_CLASH, Severity.ERROR,
                             f"'{present[0]}' and '{present[1]}' are two spellings of '{field_name}'; "
                             "one would be ignored", display, line, col, hint=f"keep only '{present[0]}'")
    for k, item in value.items():
        child = (*path, k)
        if k in keys.known:
            yield from _walk(item, keys.children[k], child, display, locate_key, allowed_extra, top_hint)
            continue
        if k.startswith("x-") or allowed_extra(path, k):
            continue
        line, col = locate_key(child)
        where = _where(path)
        guess = suggest(k, keys.known)
        extra = top_hint(k) if (top_hint is not None and not path) else None
        if guess:
            hint = f"did you mean '{guess}'?"
        elif extra:
            hint = extra
        else:
            hint = "prefix it with 'x-' or declare it in [tool.pv] extension_keys if it is deliberate"
        yield Diagnostic(codes.SCH_UNKNOWN_KEY, Severity.ERROR, f"unknown key '{k}' {where}",
                         display, line, col, hint=hint, data={"key": k, **({"suggestion": guess} if guess else {})})


def _fits(value: Any, shape: _Shape) -> bool:
    if shape.kind == "model" or shape.kind == "dict":
        return isinstance(value, dict)
    if shape.kind == "list":
        return isinstance(value, list)
    return False


def _where(path: KeyPath) -> str:
    if not path:
        return "at the top level"
    return "in " + render_path(path)


def render_path(path: KeyPath) -> str:
    """``falsification_tests[0].test`` style text for a key path."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "<top>"
