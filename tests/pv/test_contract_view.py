"""The normalized contract view other commands build on: IDs, versions, status, falsifiers, refs."""

from __future__ import annotations

import pytest
from pv_validate_helpers import GATE, PROVABLE

from pv.model.status import Status
from pv.validate import validate_paths


def load(write, config, text: str, name: str = "c.yaml"):  # type: ignore[no-untyped-def]
    run = validate_paths([write(name, text)], config)
    assert len(run.contracts) == 1
    return run.contracts[0]


def test_status_ladder_order_and_spellings() -> None:
    assert Status.DRAFT < Status.PARTIAL_ALGORITHM_LEVEL < Status.FUNCTIONAL < Status.DISCHARGED
    assert [int(s) for s in Status] == [0, 1, 2, 3]
    assert Status.parse("PROPOSED") is Status.DRAFT
    assert Status.parse("ACTIVE") is Status.FUNCTIONAL
    assert Status.parse("ACTIVE_RUNTIME") is Status.DISCHARGED
    assert Status.parse("DRAFT_PARTIAL_DISCHARGE") is Status.PARTIAL_ALGORITHM_LEVEL
    assert Status.parse(" functional ") is Status.FUNCTIONAL
    assert Status.parse("partial-algorithm-level") is Status.PARTIAL_ALGORITHM_LEVEL
    with pytest.raises(ValueError, match="unknown status 'SHIPPED'"):
        Status.parse("SHIPPED")


def test_provable_view(write, config) -> None:  # type: ignore[no-untyped-def]
    c = load(write, config, PROVABLE, "clamp-v1.yaml")
    assert (c.dialect, c.contract_id, c.version, c.declared_status) == ("provable", "clamp-v1", "1.1.0", None)
    assert c.constants == {"vocab_size": 50257}
    assert c.model is not None and c.model.falsification_tests[1].check.value == 9.38
    f1, f2 = c.falsifiers()
    assert (f1.id, f1.kind, f1.ship_blocking, f1.line, f1.col) == ("FALSIFY-CL-001", "falsifier", True, 16, 5)
    assert f1.prediction == "every output lies in [lo, hi]"
    assert [(r.text, r.field, r.line, r.col) for r in f1.refs] == [
        ("tests/test_clamp.py::test_in_range", "falsification_tests[FALSIFY-CL-001].test", 19, 11)]
    assert f2.ship_blocking is False
    assert [(r.text, r.field, r.line) for r in f2.refs] == [
        ("tests/test_clamp.py::test_a", "falsification_tests[FALSIFY-CL-002].test[0]", 23),
        ("LIVE-PENDING: needs a long run", "falsification_tests[FALSIFY-CL-002].test[1]", 23)]
    assert f2.check is not None and (f2.check.metric, f2.check.op, f2.check.value) == ("val_loss", "<", 9.38)
    assert c.locate(("falsification_tests", 1, "check", "value")) == (25, 47)


def test_test_harness_and_name_are_references_too(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("    if_fails: comparison order swapped\n",
                            "    if_fails: comparison order swapped\n    test_harness: 'shell: make check'\n"
                            "    name: test_in_range\n")
    c = load(write, config, text)
    assert [r.field for r in c.falsifiers()[0].refs] == [
        "falsification_tests[FALSIFY-CL-001].test", "falsification_tests[FALSIFY-CL-001].test_harness",
        "falsification_tests[FALSIFY-CL-001].name"]


def test_gate_view(write, config) -> None:  # type: ignore[no-untyped-def]
    c = load(write, config, GATE)
    assert (c.dialect, c.contract_id, c.version, c.declared_status) == ("gate", "C-DEMO", "1.0.0", Status.DRAFT)
    views = {f.id: f for f in c.falsifiers()}
    assert list(views) == ["GATE-DEMO-001", "INV-DEMO-001"]
    gate = views["GATE-DEMO-001"]
    assert gate.kind == "gate" and gate.prediction == "abort on NaN"
    assert [(r.field, r.line) for r in gate.refs] == [
        ("gates[GATE-DEMO-001].evidence_discharged_by[0]", 20),
        ("gates[GATE-DEMO-001].evidence_discharged_by[1]", 21),
        ("gates[GATE-DEMO-001].test", 22)]
    inv = views["INV-DEMO-001"]
    assert inv.kind == "invariant" and inv.prediction == "a NaN appears"  # the falsifier prose
    assert [(r.text, r.field) for r in inv.refs] == [
        ("tests/test_demo.py::test_finite", "invariants[INV-DEMO-001].harness[0].name")]


def test_view_survives_schema_errors(write, config) -> None:  # type: ignore[no-untyped-def]
    c = load(write, config, GATE.replace("rule: abort on NaN", "rule: ''").replace(
        "metadata:\n", "metadata:\n  id: IGNORED\n  bogus: 1\n"))
    assert c.model is None
    assert c.contract_id == "C-DEMO"  # top-level contract_id wins over metadata.id
    assert [f.id for f in c.falsifiers()] == ["GATE-DEMO-001", "INV-DEMO-001"]


def test_metadata_id_and_status_fallbacks(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("  kind: kernel", "  kind: kernel\n  id: C-CLAMP\n  status: ACTIVE\n"
                            "  depends_on: [C-CLAMP]")
    c = load(write, config, text)
    assert (c.contract_id, c.declared_status, c.depends_on) == ("C-CLAMP", Status.FUNCTIONAL, ["C-CLAMP"])
