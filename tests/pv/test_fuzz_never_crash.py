"""Fuzz: whatever bytes or YAML a file holds, pv validate answers with findings, never an exception."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pv.config import PvConfig
from pv.parse.yamlload import parse_text
from pv.validate import validate_paths

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = st.sampled_from(["metadata", "version", "status", "gates", "invariants", "falsification_tests", "id",
                        "test", "rule", "prediction", "changelog", "equations", "kani_harnesses", "obligation",
                        "contract_id", "check", "constants", "depends_on", "harness", "name", "x-a", "Gates"])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                   st.text(max_size=8), st.sampled_from(["1.0.0", "1.0", "ACTIVE", "F-1", "1.0.0 (2026-01-01): x"]))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(KEYS, inner, max_size=4)), max_leaves=25)


@FAST
@given(text=st.text(max_size=200))
def test_any_text_parses_or_is_refused(text: str) -> None:
    parsed, diags = parse_text(text, "f.yaml")
    assert parsed is not None or diags
    assert all(d.line >= 1 and d.col >= 1 for d in diags)


@FAST
@given(data=st.binary(max_size=200))
def test_any_bytes_are_judged(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "f.yaml").write_bytes(data)
    run = validate_paths([tmp / "f.yaml"], PvConfig(root=tmp))
    assert run.files_checked == 1


@FAST
@given(doc=st.dictionaries(KEYS, TREES, max_size=6))
def test_any_yaml_document_is_judged_with_positions(tmp_path_factory, doc) -> None:  # type: ignore[no-untyped-def]
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    text = yaml.safe_dump(doc, sort_keys=False)
    (tmp / "f.yaml").write_text(text)
    run = validate_paths([tmp / "f.yaml"], PvConfig(root=tmp))
    lines = max(1, text.count("\n"))
    for d in run.diagnostics:
        assert 1 <= d.line <= lines + 1, d.render()
    for c in run.contracts:  # the normalized view never crashes either
        for f in c.falsifiers():
            assert f.id and all(r.line >= 1 for r in f.refs)
        _ = (c.contract_id, c.version, c.declared_status, c.depends_on, c.constants)
