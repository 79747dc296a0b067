"""Machine-checkable predictions: every op agrees with Python's, and nothing unmeasured ever holds."""

from __future__ import annotations

import math
import operator
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pv.evidence.predicate import describe, evaluate, lookup_metric
from pv.model.base import Check
from pv.status.facts import ContractFacts, FalsifierFacts, RefFacts, RefKind
from pv.status.run_select import bound_node_ids

OPS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">=": operator.ge,
       ">": operator.gt}
finite = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(op=st.sampled_from(sorted(OPS)), observed=finite, bound=finite)
def test_ops_agree_with_python(op: str, observed: float, bound: float) -> None:
    result = evaluate(Check(metric="m", op=op, value=bound), {"m": observed})
    assert result.holds is OPS[op](observed, bound)
    assert ("does not hold" in result.message) is not result.holds


@given(observed=finite, value=finite, tol=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_within_is_absolute_tolerance(observed: float, value: float, tol: float) -> None:
    result = evaluate(Check(metric="m", op="within", value=value, tolerance=tol), {"m": observed})
    assert result.holds is (abs(observed - value) <= tol)


@given(op=st.sampled_from(sorted(OPS)), bad=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_non_finite_never_holds_even_for_not_equal(op: str, bad: float) -> None:
    result = evaluate(Check(metric="val_loss", op=op, value=9.38), {"val_loss": bad})
    assert not result.holds and "not finite" in result.message


def test_unmeasured_and_wrongly_typed_never_hold() -> None:
    check = Check(metric="val_loss", op="<", value=9.38)
    missing = evaluate(check, {"train_loss": 1.0})
    assert not missing.holds and "was not recorded" in missing.message
    assert not evaluate(check, {"val_loss": "7.0"}).holds
    assert not evaluate(check, {"val_loss": True}).holds
    assert not evaluate(check, {"val_loss": None}).holds


def test_dotted_metric_paths_and_description() -> None:
    metrics = {"final": {"val_loss": 7.0}, "a.b": 1}
    assert lookup_metric(metrics, "a.b") == 1
    check = Check(metric="final.val_loss", op="within", value=7.1, tolerance=0.2)
    assert evaluate(check, metrics).holds
    assert describe(check) == "final.val_loss within 7.1 ± 0.2"


def test_pv_run_selects_each_bound_test_once() -> None:
    def ref(*ids: str) -> RefFacts:
        return RefFacts(" + ".join(ids), RefKind.TEST, ids)

    falsifiers = (
        FalsifierFacts("F-1", True, (ref("t.py::test_a", "t.py::test_p[1]"),)),
        FalsifierFacts("F-2", True, (ref("t.py::test_p", "t.py::TestC::test_m"), RefFacts("shell: x", RefKind.SHELL))),
        FalsifierFacts("F-3", True, (ref("t.py::test_a"), ref("t.py::TestC"))),
    )
    contract = ContractFacts("C", "1.0.0", Path("c.yaml"), None, falsifiers=falsifiers)
    assert bound_node_ids([contract]) == ["t.py::test_a", "t.py::test_p", "t.py::TestC"]
