"""Coverage and audit: which obligations no falsifier covers, which falsifiers no test binds.

The Rust ``pv coverage`` counted every obligation as covered as soon as a
contract had any falsifier ("heuristic: if any tests exist, all obligations
get some coverage"). Here coverage is only what the contract states:

* an obligation is covered by a falsifier that names it in ``obligations:``
  (by the obligation's ``id``, or its label - the text before the first
  ``:`` of its property, e.g. ``init_flag_signature``), and by a Kani
  harness whose ``obligation`` names it the same way;
* a falsifier has a test when at least one of its references is a test
  reference (a node ID, a bare test name, a ``pytest`` command, a list of
  them, or pv checking itself). ``LIVE: evidence/...`` is bound to evidence,
  ``LIVE-PENDING`` is pending, ``shell:`` never counts, and a test that is
  still an unwritten ``pv scaffold`` skeleton is a scaffold, not a test.

Whether a cited test really exists is the test-binding gate's job
(``pv lint --strict-test-binding``); coverage reports what is declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.analysis import codes
from pv.analysis.scaffold import ScaffoldIndex
from pv.analysis.source import raw_mapping
from pv.diagnostics import Diagnostic, Severity

TEST, EVIDENCE, PENDING, SHELL, NONE, SCAFFOLD = "test", "evidence", "pending", "shell", "none", "scaffold"
# strongest first: a falsifier is classified by the strongest kind among its references
_RANK = (TEST, EVIDENCE, SCAFFOLD, PENDING, SHELL, NONE)


def reference_kind(text: str) -> str:
    """How one reference string binds its falsifier (see the module docstring)."""
    t = text.strip()
    if not t:
        return NONE
    upper = t.upper()
    if upper.startswith("LIVE-PENDING"):
        return PENDING
    if upper.startswith("LIVE:") or upper.startswith("LIVE "):
        return EVIDENCE
    if t.lower().startswith("shell:"):
        return SHELL
    return TEST


@dataclass(frozen=True, slots=True)
class FalsifierCoverage:
    id: str
    kind: str  # TEST / EVIDENCE / PENDING / SHELL / NONE / SCAFFOLD
    ship_blocking: bool
    obligations: tuple[str, ...]  # obligation keys it names
    path: str
    line: int
    col: int
    reason: str  # for anything but TEST: why it has no test, in words


@dataclass(frozen=True, slots=True)
class ObligationCoverage:
    key: str
    type: str
    falsifiers: tuple[str, ...]
    kani: tuple[str, ...]
    path: str
    line: int
    col: int


@dataclass(slots=True)
class ContractCoverage:
    stem: str
    path: str
    falsifiers: list[FalsifierCoverage] = field(default_factory=list)
    obligations: list[ObligationCoverage] = field(default_factory=list)
    equations: int = 0
    dangling: list[tuple[str, str, int, int]] = field(default_factory=list)  # (falsifier, name, line, col)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.falsifiers if f.kind == kind)

    @property
    def bound(self) -> int:
        """Falsifiers bound to a test or to an evidence pack."""
        return self.count(TEST) + self.count(EVIDENCE)

    @property
    def obligations_covered(self) -> int:
        return sum(1 for o in self.obligations if o.falsifiers)

    @property
    def obligations_kani(self) -> int:
        return sum(1 for o in self.obligations if o.kani)

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.stem,
            "path": self.path,
            "falsifiers": len(self.falsifiers),
            "with_test": self.count(TEST),
            "with_evidence": self.count(EVIDENCE),
            "pending": self.count(PENDING),
            "scaffold": self.count(SCAFFOLD),
            "shell": self.count(SHELL),
            "unbound": self.count(NONE),
            "falsifier_coverage": percent(self.bound, len(self.falsifiers)),
            "obligations": len(self.obligations),
            "obligations_with_falsifier": self.obligations_covered,
            "obligations_with_kani": self.obligations_kani,
            "obligation_coverage": percent(self.obligations_covered, len(self.obligations)),
            "equations": self.equations,
            "falsifiers_without_test": [
                {"id": f.id, "kind": f.kind, "reason": f.reason, "line": f.line} for f in self.falsifiers
                if f.kind not in (TEST, EVIDENCE)
            ],
            "obligations_without_falsifier": [
                {"obligation": o.key, "type": o.type, "line": o.line, "kani": list(o.kani)}
                for o in self.obligations if not o.falsifiers
            ],
        }


def percent(part: int, whole: int) -> float | None:
    """Share in percent, one decimal; None when there is nothing to measure (never 100%)."""
    return round(100.0 * part / whole, 1) if whole else None


def _short(text: str, limit: int = 90) -> str:
    """One line, at most ``limit`` characters (a LIVE-PENDING reason can be a paragraph)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def obligation_key(item: Mapping[str, Any], index: int) -> str:
    """``id`` if given, else the label before ':' in the property, else ``#index``."""
    oid = item.get("id")
    if isinstance(oid, str) and oid.strip():
        return oid.strip()
    prop = item.get("property", item.get("statement"))
    if isinstance(prop, str) and ":" in prop:
        label = prop.split(":", 1)[0].strip()
        if label and " " not in label:
            return label
    if isinstance(prop, str) and prop.strip():
        return prop.strip()
    return f"#{index}"


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str))
    return ()


def _raw_falsifier_items(raw: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for section in ("falsification_tests", "gates", "invariants"):
        items = raw.get(section)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    out.setdefault(item["id"], item)
    return out


def contract_coverage(doc: Any, scaffolds: ScaffoldIndex | None = None) -> ContractCoverage:
    """Coverage of one loaded contract (``LoadedContract``: ``falsifiers()``, ``raw``, ``locate``)."""
    raw = raw_mapping(doc)
    cov = ContractCoverage(doc.stem, str(doc.path))
    equations = raw.get("equations")
    cov.equations = len(equations) if isinstance(equations, Mapping | list) else 0
    raw_items = _raw_falsifier_items(raw)
    for view in doc.falsifiers():
        kinds = []
        for ref in view.refs:
            kind = reference_kind(ref.text)
            if kind == TEST and scaffolds is not None and scaffolds.is_scaffold(ref.text.strip()):
                kind = SCAFFOLD
            kinds.append(kind)
        kind = min(kinds, key=_RANK.index) if kinds else NONE
        reason = {
            TEST: "",
            EVIDENCE: "bound to live evidence",
            PENDING: _short(next((r.text for r in view.refs if reference_kind(r.text) == PENDING), "")),
            SCAFFOLD: "its test is an unwritten pv scaffold",
            SHELL: "only a shell: harness, which never counts as a test",
            NONE: "no test reference",
        }[kind]
        obligations = _names(raw_items.get(view.id, {}).get("obligations"))
        cov.falsifiers.append(FalsifierCoverage(view.id, kind, view.ship_blocking, obligations,
                                                view.path, view.line, view.col, reason))
    obligations = raw.get("proof_obligations")
    kani = raw.get("kani_harnesses")
    kani_items = [k for k in kani if isinstance(k, Mapping)] if isinstance(kani, list) else []
    known: set[str] = set()
    if isinstance(obligations, list):
        for i, item in enumerate(obligations):
            if not isinstance(item, Mapping):
                continue
            key = obligation_key(item, i)
            names = {key}
            prop = item.get("property", item.get("statement"))
            if isinstance(prop, str):
                names.add(prop.strip())
            known |= names
            by_falsifier = tuple(f.id for f in cov.falsifiers if names & set(f.obligations))
            by_kani = tuple(str(k.get("id")) for k in kani_items
                            if isinstance(k.get("obligation"), str) and k["obligation"].strip() in names)
            line, col = doc.locate(("proof_obligations", i))
            otype = item.get("type") if isinstance(item.get("type"), str) else "invariant"
            cov.obligations.append(ObligationCoverage(key, otype, by_falsifier, by_kani, str(doc.path), line, col))
    for f in cov.falsifiers:
        for name in f.obligations:
            if name not in known:
                view = next(v for v in doc.falsifiers() if v.id == f.id)
                line, col = doc.locate((*view.key_path, "obligations"))
                cov.dangling.append((f.id, name, line, col))
    return cov


def coverage_report(docs: Iterable[Any], root: Path | None = None) -> list[ContractCoverage]:
    """Per-contract coverage, sorted by path; ``root`` enables scaffold detection."""
    scaffolds = ScaffoldIndex(root) if root is not None else None
    return [contract_coverage(d, scaffolds) for d in sorted(docs, key=lambda d: str(d.path))]


def totals(report: Sequence[ContractCoverage]) -> dict[str, Any]:
    falsifiers = sum(len(c.falsifiers) for c in report)
    bound = sum(c.bound for c in report)
    obligations = sum(len(c.obligations) for c in report)
    covered = sum(c.obligations_covered for c in report)
    return {
        "contracts": len(report),
        "falsifiers": falsifiers,
        "with_test": sum(c.count(TEST) for c in report),
        "with_evidence": sum(c.count(EVIDENCE) for c in report),
        "pending": sum(c.count(PENDING) for c in report),
        "scaffold": sum(c.count(SCAFFOLD) for c in report),
        "shell": sum(c.count(SHELL) for c in report),
        "unbound": sum(c.count(NONE) for c in report),
        "falsifier_coverage": percent(bound, falsifiers),
        "obligations": obligations,
        "obligations_with_falsifier": covered,
        "obligations_with_kani": sum(c.obligations_kani for c in report),
        "obligation_coverage": percent(covered, obligations),
    }


def to_json(report: Sequence[ContractCoverage]) -> dict[str, Any]:
    """The documented JSON shape of ``pv coverage`` / ``pv audit --format json``."""
    return {"schema": "pv-coverage/1", "contracts": [c.as_json() for c in report], "totals": totals(report)}


def audit_diagnostics(report: Sequence[ContractCoverage]) -> list[Diagnostic]:
    """The audit's findings: PV-COV-001..004 (docs/analysis.md)."""
    out: list[Diagnostic] = []
    for c in report:
        if not c.falsifiers:
            out.append(Diagnostic(codes.COV_NO_FALSIFIERS, Severity.WARNING, "contract has no falsifiers", c.path, 1, 1,
                                  hint="add falsification_tests (or gates/invariants) that could prove it wrong"))
        if c.equations and not c.obligations:
            out.append(Diagnostic(codes.COV_NO_OBLIGATIONS, Severity.WARNING,
                                  f"{c.equations} equation(s) but no proof_obligations", c.path, 1, 1,
                                  hint="state what must hold of the equations as proof_obligations"))
        for fid, name, line, col in c.dangling:
            out.append(Diagnostic(
                codes.COV_DANGLING, Severity.ERROR, f"{fid} lists obligation '{name}', which this contract does not have",
                c.path, line, col, hint="use an obligation's id or its label (the text before ':' in its property)",
                data={"falsifier": fid, "obligation": name}))
        for o in c.obligations:
            if not o.falsifiers:
                kani = f" (Kani: {', '.join(o.kani)})" if o.kani else ""
                out.append(Diagnostic(
                    codes.COV_OBLIGATION, Severity.WARNING, f"obligation '{o.key}' is covered by no falsifier{kani}",
                    o.path, o.line, o.col,
                    hint=f"list it in a falsifier's obligations: [{o.key}]",
                    data={"obligation": o.key}))
        for f in c.falsifiers:
            if f.kind in (TEST, EVIDENCE):
                continue
            out.append(Diagnostic(
                codes.COV_FALSIFIER, Severity.WARNING, f"{f.id} has no test: {f.reason}", f.path, f.line, f.col,
                hint="write the test (pv scaffold writes a failing skeleton) and cite its node ID",
                data={"falsifier": f.id, "kind": f.kind}))
    return sorted(out, key=Diagnostic.sort_key)
