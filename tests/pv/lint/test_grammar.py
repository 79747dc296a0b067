"""Reference classification (pure, no index) and -k expressions."""

from __future__ import annotations

import pytest

from pv.binding.grammar import Kind, classify
from pv.testindex.kexpr import KExprError, compile_k, keyword_matcher


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("tests/test_x.py::test_y", ["node-id"]),
        ("tests/test_x.py::TestC::test_m[1-2]", ["node-id"]),
        ("tests/test_x.py::test_p[a+b]", ["node-id"]),  # '+' inside brackets is part of the ID
        ("tests/test_x.py", ["node-id"]),
        ("test_cli_defaults_to_real_compute", ["bare-name"]),
        ("TestC::test_m", ["bare-name"]),
        ("tests/a.py::t + tests/b.py::u", ["node-id", "node-id"]),
        ("test_a+test_b", ["bare-name", "bare-name"]),
        ("tests/a.py::t && pytest tests/b.py -k fast", ["node-id", "pytest-command"]),
        ("python -m pytest tests/a.py::t", ["pytest-command"]),
        ("uv run pytest -q tests/a.py", ["pytest-command"]),
        ("LIVE-PENDING: needs a 500-step run", ["live-pending"]),
        ("LIVE-PENDING \u2014 needs the GPU && a corpus", ["live-pending"]),  # the reason may hold anything
        ("LIVE: evidence/smoke-500", ["live-evidence"]),
        ("pv validate contracts/x.yaml", ["pv-command"]),
        ("pv lint --strict-test-binding contracts/", ["pv-command"]),
        ("shell: make smoke", ["shell"]),
        ("covered by the integration tests", ["unclassified"]),
        ("cargo test -p apr-cli --lib pretrain::tests::x", ["unclassified"]),
        ("see test_a + more tests", ["unclassified"]),  # prose with a '+' is one finding, not two
        ("pretrain-init-flag-registered", ["unclassified"]),  # a slug
        ("a, b", ["unclassified"]),
        ("   ", ["unclassified"]),
    ],
)
def test_classification(text: str, kinds: list[str]) -> None:
    assert [p.kind.value for p in classify(text)] == kinds


def test_offsets_point_at_each_piece() -> None:
    parts = classify("tests/a.py::t && tests/b.py::u + test_v")
    assert [(p.text, p.offset) for p in parts] == [("tests/a.py::t", 0), ("tests/b.py::u", 17), ("test_v", 33)]


def test_pytest_command_arguments() -> None:
    (part,) = classify("pytest -q tests/a.py tests/b.py::t -k 'fast and not slow' -m unit -p no:cacheprovider")
    assert part.kind is Kind.PYTEST
    assert [a for a, _ in part.args] == ["tests/a.py", "tests/b.py::t"]
    assert part.k_expr == "fast and not slow"
    assert part.m_expr == "unit"
    (attached,) = classify("pytest tests/a.py -kfast")
    assert attached.k_expr == "fast"
    (broken,) = classify("pytest tests/a.py -k 'unbalanced")
    assert broken.problem is not None
    (pyargs,) = classify("pytest --pyargs pkg")
    assert pyargs.problem is not None


def test_live_pending_reason() -> None:
    assert classify("LIVE-PENDING")[0].reason is None
    assert classify("LIVE-PENDING:   ")[0].reason is None
    assert classify("LIVE-PENDING: GPU run")[0].reason == "GPU run"


def _names(*names: str):  # type: ignore[no-untyped-def]
    return keyword_matcher(list(names))


@pytest.mark.parametrize(
    ("expr", "names", "selected"),
    [
        ("loss", ["test_core.py", "test_loss_decreases"], True),
        ("LOSS", ["test_core.py", "test_loss_decreases"], True),  # case-insensitive, as in pytest
        ("loss and not shared", ["test_core.py", "test_loss_decreases"], True),
        ("loss and not shared", ["test_core.py", "test_shared_loss"], False),
        ("(a or b) and c", ["xa", "c"], True),
        ("not (a or b)", ["c"], True),
        ("test_p[1-2]", ["test_p[1-2]"], True),
        ("slow", ["test_x", "slow"], True),  # marker names are keywords too
    ],
)
def test_k_expression(expr: str, names: list[str], selected: bool) -> None:
    assert compile_k(expr)(_names(*names)) is selected


@pytest.mark.parametrize("expr", ["a and", "(a", "a b", "or a", "a )"])
def test_invalid_k_expression(expr: str) -> None:
    with pytest.raises(KExprError):
        compile_k(expr)
