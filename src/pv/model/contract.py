"""The normalized view of one loaded contract, the same for both dialects.

Other pv commands (lint, status, evidence, report) read contracts only through this view:
``falsifiers()`` turns provable (and kaizen) ``falsification_tests`` and legacy ``falsification``
entries, gate-dialect ``gates`` and ``invariants`` into one list of :class:`FalsifierView`, each with every test reference it cites
(:class:`Reference`, exactly as written, with the YAML position of that very string).

The view is computed from the raw YAML data, not from the pydantic model, so it is available
even for a contract with schema errors (``model`` is then None).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from pv.model.base import Check
from pv.model.status import Status
from pv.parse.yamlload import KeyPath, ParsedYaml

Dialect = Literal["provable", "gate", "kaizen"]
FalsifierKind = Literal["falsifier", "gate", "invariant"]

__all__ = ["Check", "Dialect", "FalsifierKind", "FalsifierView", "LoadedBinding", "LoadedContract", "Reference",
           "legacy_falsifier_id"]


@dataclass(frozen=True, slots=True)
class Reference:
    """One cited test reference, exactly as written in the YAML."""

    text: str
    field: str  # e.g. "falsification_tests[FALSIFY-X-001].test", "gates[GATE-TRAIN-005].evidence_discharged_by[0]"
    path: str  # the contract file, as displayed in diagnostics
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class FalsifierView:
    id: str
    kind: FalsifierKind
    prediction: str
    ship_blocking: bool
    refs: list[Reference]
    check: Check | None
    path: str
    line: int
    col: int
    key_path: KeyPath = ()  # where the falsifier sits in the YAML, for locate()


# Fields that can cite a test, per falsifier kind, in the order they are read.
REF_FIELDS: dict[FalsifierKind, tuple[str, ...]] = {
    "falsifier": ("test", "command", "test_harness", "name"),
    "gate": ("evidence_discharged_by", "test"),
    "invariant": ("test",),  # plus harness[].name, read separately
}
# Fields of a legacy ``falsification:`` entry that cite a test (``name`` is its ID there, not a test).
LEGACY_REF_FIELDS: tuple[str, ...] = ("test", "command")


def legacy_falsifier_id(item: dict[str, Any]) -> str | None:
    """The ID a legacy ``falsification:`` entry declares: ``id``, else a one-token ``name``."""
    for key in ("id", "name"):
        value = item.get(key)
        if isinstance(value, str) and value.strip() and not any(ch.isspace() for ch in value.strip()):
            return value.strip()
    return None


@dataclass(slots=True)
class LoadedContract:
    """A contract file that parsed as a YAML mapping (its schema may still have errors)."""

    path: str  # as displayed: relative to the project root when inside it
    stem: str
    dialect: Dialect
    model: Any  # ProvableContract | GateContract, or None when the schema has errors
    raw: dict[str, Any]
    positions: ParsedYaml
    file: Path | None = None  # the absolute path on disk
    _falsifiers: list[FalsifierView] | None = field(default=None, repr=False)

    # ---- identity -------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        md = self.raw.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def contract_id(self) -> str:
        """Top-level ``contract_id`` (a kaizen record's ``contract``), else ``metadata.id``, else the file stem."""
        return self._declared_id() or self.stem

    def _declared_id(self) -> str | None:
        own = self.raw.get("contract") if self.dialect == "kaizen" else self.raw.get("contract_id")
        for value in (own, self.metadata.get("id")):
            if isinstance(value, str) and value.strip():
                return value
        return None

    @property
    def id_is_declared(self) -> bool:
        """True when the ID is written in the file; False when it is the file stem (folders namespace it)."""
        return self._declared_id() is not None

    @property
    def version(self) -> str | None:
        """The top-level version when present (it is what the gate dialect publishes), else metadata.version."""
        for value in (self.raw.get("version"), self.metadata.get("version")):
            if isinstance(value, str):
                return value
        return None

    @property
    def declared_status(self) -> Status | None:
        """Top-level ``status``, else ``metadata.status``; None when absent or not a known spelling.

        A kaizen record's top-level ``status`` is its lifecycle state (``implemented``, ...), not a
        rung of the ladder, so only its ``metadata.status`` counts.
        """
        top = None if self.dialect == "kaizen" else self.raw.get("status")
        for value in (top, self.metadata.get("status")):
            if isinstance(value, str):
                try:
                    return Status.parse(value)
                except ValueError:
                    return None
        return None

    @property
    def depends_on(self) -> list[str]:
        deps = self.metadata.get("depends_on")
        return [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []

    @property
    def constants(self) -> dict[str, Any]:
        consts = self.raw.get("constants")
        return dict(consts) if isinstance(consts, dict) else {}

    # ---- positions --------------------------------------------------------------------
    def locate(self, key_path: tuple[str | int, ...]) -> tuple[int, int]:
        """(line, col) of the node at ``key_path`` (nearest existing ancestor if absent)."""
        return self.positions.locate(tuple(key_path))

    def locate_key(self, key_path: tuple[str | int, ...]) -> tuple[int, int]:
        return self.positions.locate_key(tuple(key_path))

    # ---- falsifiers -------------------------------------------------------------------
    def falsifiers(self) -> list[FalsifierView]:
        """Every falsifier of the contract with the test references it cites (cached)."""
        if self._falsifiers is None:
            self._falsifiers = list(self._iter_falsifiers())
        return self._falsifiers

    def _iter_falsifiers(self) -> Iterator[FalsifierView]:
        if self.dialect in ("provable", "kaizen"):
            yield from self._section("falsification_tests", "falsifier")
            yield from self._legacy_section()
        else:
            yield from self._section("gates", "gate")
            yield from self._section("invariants", "invariant")

    def _section(self, section: str, kind: FalsifierKind) -> Iterator[FalsifierView]:
        items = self.raw.get(section)
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            fid = item.get("id")
            fid = fid if isinstance(fid, str) and fid.strip() else f"#{i}"
            base: KeyPath = (section, i)
            refs: list[Reference] = []
            for fld in REF_FIELDS[kind]:
                refs.extend(self._refs(item.get(fld), (*base, fld), f"{section}[{fid}].{fld}"))
            if kind == "invariant" and isinstance(item.get("harness"), list):
                for j, h in enumerate(item["harness"]):
                    if isinstance(h, dict):
                        refs.extend(self._refs(h.get("name"), (*base, "harness", j, "name"),
                                               f"{section}[{fid}].harness[{j}].name"))
            prediction = _prediction(item, kind)
            ship = item.get("ship_blocking", True)
            line, col = self.locate(base)
            yield FalsifierView(
                id=fid, kind=kind, prediction=prediction,
                ship_blocking=ship if isinstance(ship, bool) else True,
                refs=refs, check=_check(item.get("check")), path=self.path, line=line, col=col,
                key_path=base,
            )

    def _legacy_section(self) -> Iterator[FalsifierView]:
        """Legacy ``falsification:`` entries that declare an ID are falsifiers too (no test, usually)."""
        items = self.raw.get("falsification")
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            fid = legacy_falsifier_id(item)
            if fid is None:
                continue
            base: KeyPath = ("falsification", i)
            refs: list[Reference] = []
            for fld in LEGACY_REF_FIELDS:
                refs.extend(self._refs(item.get(fld), (*base, fld), f"falsification[{fid}].{fld}"))
            prediction = next((v.strip() for k in ("prediction", "expected", "description", "check")
                               if isinstance(v := item.get(k), str) and v.strip()), "")
            ship = item.get("ship_blocking", True)
            line, col = self.locate(base)
            yield FalsifierView(id=fid, kind="falsifier", prediction=prediction,
                                ship_blocking=ship if isinstance(ship, bool) else True, refs=refs, check=None,
                                path=self.path, line=line, col=col, key_path=base)

    def _refs(self, value: Any, key_path: KeyPath, label: str) -> list[Reference]:
        if isinstance(value, str):
            line, col = self.locate(key_path)
            return [Reference(value, label, self.path, line, col)]
        if isinstance(value, list):
            out = []
            for k, v in enumerate(value):
                if isinstance(v, str):
                    line, col = self.locate((*key_path, k))
                    out.append(Reference(v, f"{label}[{k}]", self.path, line, col))
            return out
        return []


def _prediction(item: dict[str, Any], kind: FalsifierKind) -> str:
    keys = {"falsifier": ("prediction", "expected"), "gate": ("rule", "verdict"),
            "invariant": ("falsifier", "description")}[kind]
    for k in keys:
        v = item.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def _check(value: Any) -> Check | None:
    if not isinstance(value, dict):
        return None
    try:
        return Check.model_validate(value)
    except ValidationError:  # reported by the schema check (PV-SCH-*); the view just has no check
        return None


@dataclass(slots=True)
class LoadedBinding:
    """A binding registry (binding.yaml) that parsed as a mapping."""

    path: str
    stem: str
    model: Any  # BindingRegistry or None
    raw: dict[str, Any]
    positions: ParsedYaml
    file: Path | None = None

    def locate(self, key_path: tuple[str | int, ...]) -> tuple[int, int]:
        return self.positions.locate(tuple(key_path))
