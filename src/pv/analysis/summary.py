"""Hand-typed summaries that contradict the contract they summarise (lint gate ``consistency``).

``verification_summary`` and ``qa_gate`` restate counts that the contract
itself already determines, and the seeds show them drifting: from-init says
``tested: 0`` while six of its falsifiers are bound to tests; init-finetune's
gate says "All 6 ship_blocking=true falsifiers" where four are. pv never
trusts the restated number; it recounts and reports the difference:

* ``verification_summary.total_obligations`` must equal the number of
  ``proof_obligations`` (PV-CONST-002);
* ``verification_summary.tested`` must equal the number of falsifiers bound
  to a test (a reference that is not LIVE-PENDING, LIVE evidence or shell;
  the convention the seeds use: arch-polymorphic's ``tested: 11`` is its 11
  bound falsifiers) (PV-CONST-002);
* a ``qa_gate`` text (description, pass_criteria, falsification) that says
  "N ship-blocking" / "all N ship_blocking" must say the number of
  ship-blocking falsifiers (``ship_blocking`` defaults to true) (PV-CONST-003).
"""

from __future__ import annotations

import re
from typing import Any

from pv.analysis import codes
from pv.analysis.coverage import TEST, reference_kind
from pv.analysis.source import raw_mapping, read_text
from pv.diagnostics import Diagnostic, Severity

_SHIP_COUNT = re.compile(r"\b(\d+)\s+ship[-_ ]?blocking\b", re.IGNORECASE)


def check_summaries(doc: Any) -> tuple[list[Diagnostic], int]:
    """(findings, number of stated counts checked) for one contract."""
    raw = raw_mapping(doc)
    out: list[Diagnostic] = []
    checked = 0
    views = doc.falsifiers()
    tested = sum(1 for v in views if any(reference_kind(r.text) == TEST for r in v.refs))
    ship = sum(1 for v in views if v.ship_blocking)
    summary = raw.get("verification_summary")
    if isinstance(summary, dict):
        obligations = raw.get("proof_obligations")
        n_obl = len(obligations) if isinstance(obligations, list) else 0
        claimed = summary.get("total_obligations")
        checked += isinstance(claimed, int) and not isinstance(claimed, bool)
        if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed != n_obl:
            line, col = doc.locate(("verification_summary", "total_obligations"))
            out.append(Diagnostic(
                codes.CONST_SUMMARY, Severity.ERROR,
                f"verification_summary says total_obligations: {claimed} but the contract has {n_obl} "
                "proof_obligations", str(doc.path), line, col,
                hint=f"write total_obligations: {n_obl} (or add the missing obligations)",
                data={"field": "total_obligations", "claimed": str(claimed), "actual": str(n_obl)}))
        claimed = summary.get("tested")
        checked += isinstance(claimed, int) and not isinstance(claimed, bool)
        if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed != tested:
            line, col = doc.locate(("verification_summary", "tested"))
            out.append(Diagnostic(
                codes.CONST_SUMMARY, Severity.ERROR,
                f"verification_summary says tested: {claimed} but {tested} of {len(views)} falsifiers are "
                "bound to a test", str(doc.path), line, col,
                hint=f"write tested: {tested}; pv computes this, so consider dropping the hand-typed count",
                data={"field": "tested", "claimed": str(claimed), "actual": str(tested)}))
    gate = raw.get("qa_gate")
    if isinstance(gate, dict):
        text = read_text(doc)
        for field_name in ("description", "pass_criteria", "falsification"):
            value = gate.get(field_name)
            if not isinstance(value, str):
                continue
            for match in _SHIP_COUNT.finditer(value):
                claimed_n = int(match.group(1))
                checked += 1
                if claimed_n == ship:
                    continue
                line, col = _position_of(doc, text, ("qa_gate", field_name), match.group(0))
                out.append(Diagnostic(
                    codes.CONST_QA_GATE, Severity.ERROR,
                    f"qa_gate.{field_name} says \"{match.group(0)}\" but {ship} of {len(views)} falsifiers "
                    "are ship-blocking", str(doc.path), line, col,
                    hint=f"say {ship}, or change the falsifiers' ship_blocking flags",
                    data={"field": f"qa_gate.{field_name}", "claimed": str(claimed_n), "actual": str(ship)}))
    return out, checked


def _position_of(doc: Any, text: str | None, key_path: tuple[str, ...], needle: str) -> tuple[int, int]:
    """The exact line of ``needle`` inside the (possibly block-scalar) value at ``key_path``.

    Prose wraps, so the needle's words may straddle lines; then the value's
    own position is the best honest answer.
    """
    line, col = doc.locate(key_path)
    if text is None:
        return line, col
    lines = text.splitlines()
    for index in range(max(line - 1, 0), min(len(lines), line + 200)):
        found = lines[index].find(needle)
        if found >= 0:
            return index + 1, found + 1
    return line, col
