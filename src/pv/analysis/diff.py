"""Structural diff of two versions of a contract, and the semver bump the change needs.

Items are matched by identity, not by position: falsifiers, gates,
invariants, Kani harnesses and failure modes by ``id``; equations by name
(or ``id`` in list form); proof obligations by ``id``, else by
``type:property``; constants and domain-block keys by name. The rules, as a
table, are in docs/analysis.md; in short:

* MAJOR - a promise withdrawn or changed: a falsifier, gate, invariant,
  equation, obligation, Kani harness or constant removed; a prediction, a
  gate rule, an invariant statement, a machine-checkable ``check``, an
  equation's formula/domain/codomain/invariants/pre/postconditions, an
  obligation's property/formal/type, or a pinned constant changed;
  ``ship_blocking`` true -> false.
* MINOR - a promise added: any of the above added; ``ship_blocking``
  false -> true; a depends_on link added or removed; an enforcement rule
  added or removed.
* PATCH - the promise is the same, its wording or wiring moved: test
  references re-bound, ``if_fails``/``rule``/descriptions/notes reworded,
  status, references, summaries and every other key.
* Bookkeeping never needs a bump: ``version``, ``metadata.version``,
  ``metadata.changelog``, ``metadata.updated``.

For 0.x versions (semver §4, cargo's convention) a MAJOR change needs a
minor bump and a MINOR change a patch bump.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pv.analysis.consistency import DOMAIN_BLOCKS


class Bump(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Change:
    """One added / removed / changed item and the bump it needs."""

    section: str  # "falsifiers", "gates", "invariants", "equations", "obligations", ...
    key: str
    change: str  # "added" | "removed" | "changed"
    bump: Bump
    fields: tuple[str, ...] = ()  # for "changed": which fields differ
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key, "change": self.change, "bump": self.bump.label,
                "fields": list(self.fields), "why": self.why}


@dataclass(slots=True)
class ContractDiff:
    old_label: str
    new_label: str
    old_version: str | None
    new_version: str | None
    changes: list[Change] = field(default_factory=list)

    @property
    def required(self) -> Bump:
        return max((c.bump for c in self.changes), default=Bump.NONE)

    @property
    def declared(self) -> Bump | None:
        """The bump from old to new version; None when a version is missing, not semver, or went down."""
        return declared_bump(self.old_version, self.new_version)

    @property
    def sufficient(self) -> bool:
        """True when nothing needs a bump, or the declared bump covers the required one."""
        required = self.required
        if required == Bump.NONE:
            return True
        declared = self.declared
        if declared is None:
            return False
        return declared >= effective_required(required, self.old_version)

    def by_section(self, section: str) -> list[Change]:
        return [c for c in self.changes if c.section == section]

    def as_json(self) -> dict[str, Any]:
        declared = self.declared
        return {
            "schema": "pv-diff/1",
            "old": self.old_label,
            "new": self.new_label,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "required_bump": self.required.label,
            "declared_bump": declared.label if declared is not None else None,
            "sufficient": self.sufficient,
            "changes": [c.as_json() for c in self.changes],
        }


_SEMVER = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?\s*$")


def parse_version(text: Any) -> tuple[int, int, int] | None:
    """``1.6.0`` -> (1, 6, 0); ``1.0`` -> (1, 0, 0) (qwen2.yaml writes two parts); else None."""
    if not isinstance(text, str):
        return None
    m = _SEMVER.match(text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def declared_bump(old: str | None, new: str | None) -> Bump | None:
    a, b = parse_version(old), parse_version(new)
    if a is None or b is None or b < a:
        return None
    if b == a:
        return Bump.NONE
    if b[0] != a[0]:
        return Bump.MAJOR
    if b[1] != a[1]:
        return Bump.MINOR
    return Bump.PATCH


def effective_required(required: Bump, old_version: str | None) -> Bump:
    """Under 0.x a breaking change is a minor bump and an addition a patch bump."""
    parsed = parse_version(old_version)
    if parsed is not None and parsed[0] == 0 and required in (Bump.MAJOR, Bump.MINOR):
        return Bump(required - 1)
    return required


def contract_version(raw: Mapping[str, Any]) -> str | None:
    """Top-level ``version`` (the gate dialect publishes it) else ``metadata.version``."""
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), Mapping) else {}
    for value in (raw.get("version"), meta.get("version")):
        if isinstance(value, str):
            return value
    return None


# ------------------------------------------------------------------ item rules

# section name in the report, YAML key, identity function, MAJOR fields, PATCH-only fields are the rest
_REF_FIELDS = frozenset({"test", "command", "test_harness", "name", "evidence_discharged_by", "harness"})


@dataclass(frozen=True, slots=True)
class _Section:
    label: str
    key: str
    major_fields: frozenset[str]
    minor_fields: frozenset[str] = frozenset()
    added: Bump = Bump.MINOR
    removed: Bump = Bump.MAJOR


_SECTIONS: tuple[_Section, ...] = (
    _Section("falsifiers", "falsification_tests", frozenset({"prediction", "expected", "check"})),
    _Section("gates", "gates", frozenset({"rule", "verdict", "evidence_required", "check"})),
    _Section("invariants", "invariants", frozenset({"description", "falsifier", "check"})),
    _Section("equations", "equations", frozenset({"formula", "domain", "codomain", "invariants",
                                                   "preconditions", "postconditions", "assumes",
                                                   "guarantees", "float_tolerance"})),
    _Section("obligations", "proof_obligations", frozenset({"type", "property", "statement", "formal",
                                                            "verification", "tolerance", "applies_to"})),
    _Section("kani_harnesses", "kani_harnesses", frozenset({"obligation", "property", "bound"})),
    _Section("failure_modes", "failure_modes", frozenset(), added=Bump.PATCH, removed=Bump.PATCH),
)
_HANDLED_TOP = {s.key for s in _SECTIONS} | {"version", "metadata", "constants", "enforcement", *DOMAIN_BLOCKS,
                                            "size_variants"}
_BOOKKEEPING_META = {"version", "changelog", "updated"}


def _items(section: _Section, value: Any) -> dict[str, Any]:
    """Identity -> item for one section (list or mapping form)."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for name, item in value.items():
            out[str(name)] = item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out[_identity(section, item, index)] = item
    return out


def _identity(section: _Section, item: Any, index: int) -> str:
    if isinstance(item, Mapping):
        if isinstance(item.get("id"), str) and item["id"].strip():
            return item["id"].strip()
        if section.key == "proof_obligations":
            prop = item.get("property", item.get("statement", ""))
            return f"{item.get('type', 'invariant')}:{prop}"
    return f"#{index}"


def _ship_blocking(item: Any) -> bool:
    value = item.get("ship_blocking", True) if isinstance(item, Mapping) else True
    return value if isinstance(value, bool) else True


def _diff_item(section: _Section, key: str, old: Any, new: Any) -> Change | None:
    if old == new:
        return None
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return Change(section.label, key, "changed", Bump.MAJOR if section.major_fields else Bump.PATCH,
                      ("(value)",), "the item was rewritten")
    fields = tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))
    bump, why = Bump.PATCH, "wording or test wiring only"
    major = [f for f in fields if f in section.major_fields]
    if major:
        bump, why = Bump.MAJOR, "changed " + ", ".join(major)
    elif "ship_blocking" in fields:
        if _ship_blocking(old) and not _ship_blocking(new):
            bump, why = Bump.MAJOR, "no longer ship-blocking"
        elif not _ship_blocking(old) and _ship_blocking(new):
            bump, why = Bump.MINOR, "now ship-blocking"
    elif fields and all(f in _REF_FIELDS for f in fields):
        why = "test references re-bound"
    return Change(section.label, key, "changed", bump, fields, why)


def _diff_mapping(label: str, old: Any, new: Any, added: Bump, removed: Bump, changed: Bump,
                  prefix: str = "") -> list[Change]:
    old_map = old if isinstance(old, Mapping) else {}
    new_map = new if isinstance(new, Mapping) else {}
    out: list[Change] = []
    for key in sorted(set(old_map) | set(new_map), key=str):
        name = f"{prefix}{key}"
        if key not in old_map:
            out.append(Change(label, name, "added", added, (), "new " + label.rstrip("s")))
        elif key not in new_map:
            out.append(Change(label, name, "removed", removed, (), "removed " + label.rstrip("s")))
        elif old_map[key] != new_map[key]:
            out.append(Change(label, name, "changed", changed, (),
                              f"{old_map[key]!r} -> {new_map[key]!r}"[:200]))
    return out


def _links(meta: Mapping[str, Any], key: str) -> set[str]:
    value = meta.get(key)
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def diff_raw(old: Mapping[str, Any], new: Mapping[str, Any], old_label: str = "old",
             new_label: str = "new") -> ContractDiff:
    """Every change from ``old`` to ``new`` (two parsed contract documents) with its bump."""
    result = ContractDiff(old_label, new_label, contract_version(old), contract_version(new))
    add: Callable[[list[Change]], None] = result.changes.extend
    for section in _SECTIONS:
        old_items, new_items = _items(section, old.get(section.key)), _items(section, new.get(section.key))
        for key in sorted(set(old_items) | set(new_items)):
            if key not in old_items:
                add([Change(section.label, key, "added", section.added, (), "new item")])
            elif key not in new_items:
                add([Change(section.label, key, "removed", section.removed, (), "removed item")])
            else:
                change = _diff_item(section, key, old_items[key], new_items[key])
                if change is not None:
                    add([change])
    add(_diff_mapping("constants", old.get("constants"), new.get("constants"), Bump.MINOR, Bump.MAJOR, Bump.MAJOR))
    for block in (*DOMAIN_BLOCKS, "size_variants"):
        old_b, new_b = old.get(block), new.get(block)
        if isinstance(old_b, Mapping) and isinstance(new_b, Mapping):
            add(_diff_mapping("pinned", old_b, new_b, Bump.MINOR, Bump.MAJOR, Bump.MAJOR, prefix=f"{block}."))
        elif old_b != new_b:
            bump = Bump.MINOR if old_b is None else Bump.MAJOR
            change = "added" if old_b is None else "removed" if new_b is None else "changed"
            add([Change("pinned", block, change, bump, (), f"{block} block {change}")])
    add(_diff_mapping("enforcement", old.get("enforcement"), new.get("enforcement"),
                      Bump.MINOR, Bump.MINOR, Bump.PATCH))
    old_meta = old.get("metadata") if isinstance(old.get("metadata"), Mapping) else {}
    new_meta = new.get("metadata") if isinstance(new.get("metadata"), Mapping) else {}
    for link_key in ("depends_on", "parent_contracts", "peer_contracts"):
        before, after = _links(old_meta, link_key), _links(new_meta, link_key)
        for name in sorted(after - before):
            add([Change("links", f"{link_key}: {name}", "added", Bump.MINOR, (), f"new {link_key} link")])
        for name in sorted(before - after):
            add([Change("links", f"{link_key}: {name}", "removed", Bump.MINOR, (), f"dropped {link_key} link")])
    skip_meta = _BOOKKEEPING_META | {"depends_on", "parent_contracts", "peer_contracts"}
    for key in sorted(set(old_meta) | set(new_meta)):
        if key not in skip_meta and old_meta.get(key) != new_meta.get(key):
            add([Change("other", f"metadata.{key}", _presence(old_meta, new_meta, key), Bump.PATCH, (),
                        "metadata only")])
    for key in sorted(set(old) | set(new), key=str):
        if key not in _HANDLED_TOP and old.get(key) != new.get(key):
            add([Change("other", str(key), _presence(old, new, key), Bump.PATCH, (), "no promise changed")])
    return result


def _presence(old: Mapping[str, Any], new: Mapping[str, Any], key: str) -> str:
    if key not in old:
        return "added"
    if key not in new:
        return "removed"
    return "changed"


# ------------------------------------------------------------------ rendering

_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def render_text(diff: ContractDiff) -> str:
    lines = [f"--- {diff.old_label} (version {diff.old_version or '?'})",
             f"+++ {diff.new_label} (version {diff.new_version or '?'})"]
    if not diff.changes:
        lines.append("no changes to falsifiers, gates, invariants, equations, obligations or other content")
    sections: list[str] = []
    for change in diff.changes:
        if change.section not in sections:
            sections.append(change.section)
    for section in sections:
        lines.append(f"{section}:")
        for c in diff.by_section(section):
            detail = f" [{', '.join(c.fields)}]" if c.fields else ""
            lines.append(f"  {_SIGN[c.change]} {c.key}{detail}  -> {c.bump.label} ({c.why})")
    declared = diff.declared
    if declared is None:
        declared_text = f"cannot compare versions {diff.old_version!r} -> {diff.new_version!r}"
    else:
        declared_text = f"{diff.old_version} -> {diff.new_version} is a {declared.label} bump"
    required = diff.required
    needed = effective_required(required, diff.old_version)
    lines.append(f"required bump: {required.label}" + (f" (a {needed.label} bump under 0.x)" if needed != required else ""))
    lines.append(f"declared: {declared_text}")
    lines.append("verdict: " + ("OK" if diff.sufficient else f"version bump too small: needs at least {needed.label}"))
    return "\n".join(lines) + "\n"
