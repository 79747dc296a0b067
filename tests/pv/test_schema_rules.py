"""Unit tests per schema rule: unknown keys (did you mean), types, required, empty, enums, aliases."""

from __future__ import annotations

import pytest
from pv_validate_helpers import BINDING, GATE, PROVABLE

from pv.checks import codes
from pv.config import PvConfig
from pv.parse import codes as parse_codes
from pv.validate import validate_paths


def check(write, config, text: str, name: str = "c.yaml"):  # type: ignore[no-untyped-def]
    path = write(name, text)
    return validate_paths([path], config)


def found(run) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return [(d.code, d.line, d.col) for d in run.diagnostics]


@pytest.mark.parametrize("text", [PROVABLE, GATE])
def test_valid_examples_have_no_findings(write, config, text) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, text)
    assert run.diagnostics == [] and run.exit_code() == 0


def test_valid_binding_with_its_contract(write, config) -> None:  # type: ignore[no-untyped-def]
    write("clamp.yaml", PROVABLE)
    write("binding.yaml", BINDING)
    run = validate_paths([config.root], config)
    assert run.diagnostics == [] and len(run.bindings) == 1 and len(run.contracts) == 1


@pytest.mark.parametrize(("wrong", "right"), [
    ("falsification_test", "falsification_tests"),
    ("Falsification-Tests", "falsification_tests"),
    ("FALSIFICATION_TESTS", "falsification_tests"),
    ("proof_obligation", "proof_obligations"),
    ("kani-harnesses", "kani_harnesses"),
    ("verfication_summary", "verification_summary"),
])
def test_misspelled_top_level_key_gets_did_you_mean(write, config, wrong, right) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE + f"{wrong}: []\n"
    run = check(write, config, text)
    line = text.count("\n")
    assert found(run) == [(codes.SCH_UNKNOWN_KEY, line, 1)]
    assert f"did you mean '{right}'?" in run.diagnostics[0].hint


def test_misspelled_nested_keys(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("    if_fails: comparison", "    if-fails: comparison").replace(
        "  description: Clamp kernel", "  Description: Clamp kernel")
    run = check(write, config, text)
    assert found(run) == [(codes.SCH_UNKNOWN_KEY, 3, 3), (codes.SCH_UNKNOWN_KEY, 20, 5)]
    assert [d.data.get("suggestion") for d in run.diagnostics] == ["description", "if_fails"]
    assert "in falsification_tests[0]" in run.diagnostics[1].message


def test_gate_domain_blocks_are_free_form_but_a_misspelled_block_is_caught(write, config) -> None:  # type: ignore[no-untyped-def]
    ok = check(write, config, GATE + "tensor_template:\n  anything: {goes: [here]}\n")
    assert ok.diagnostics == []
    bad = check(write, config, GATE + "tensor_templates:\n  anything: 1\n", name="bad.yaml")
    assert found(bad) == [(codes.SCH_UNKNOWN_KEY, GATE.count("\n") + 1, 1)]
    assert bad.diagnostics[0].data["suggestion"] == "tensor_template"


def test_x_prefixed_keys_are_allowed_anywhere(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("  kind: kernel", "  kind: kernel\n  x-owner: team-a") + "x-notes: free\n"
    assert check(write, config, text).diagnostics == []


def test_extension_keys_from_config(write, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("  kind: kernel", "  kind: kernel\n  owner: team-a") + "ticket: ABC-1\n"
    plain = validate_paths([write("c.yaml", text)], PvConfig(root=tmp_path))
    assert [d.data["key"] for d in plain.diagnostics] == ["owner", "ticket"]
    everywhere = PvConfig(root=tmp_path, extension_keys={"*": frozenset({"owner", "ticket"})})
    assert validate_paths([tmp_path / "c.yaml"], everywhere).diagnostics == []
    scoped = PvConfig(root=tmp_path, extension_keys={"metadata": frozenset({"owner"})})
    assert [d.data["key"] for d in validate_paths([tmp_path / "c.yaml"], scoped).diagnostics] == ["ticket"]
    by_dialect = PvConfig(root=tmp_path, extension_keys={"provable": frozenset({"owner", "ticket"})})
    assert validate_paths([tmp_path / "c.yaml"], by_dialect).diagnostics == []


def test_key_of_the_other_dialect_says_so(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, PROVABLE + "gates: []\n")
    assert run.diagnostics[0].code == codes.SCH_UNKNOWN_KEY
    assert "belongs to the gate dialect" in run.diagnostics[0].hint


def test_wrong_types(write, config) -> None:  # type: ignore[no-untyped-def]
    text = (PROVABLE.replace('version: "1.1.0"', "version: 1.1")
            .replace("bound: 8", "bound: eight")
            .replace("    ship_blocking: false", "    ship_blocking: 'no'")
            .replace("test: tests/test_clamp.py::test_in_range", "test: {a: 1}"))
    run = check(write, config, text)
    assert found(run) == [(codes.SCH_TYPE, 2, 12), (codes.SCH_TYPE, 19, 11), (codes.SCH_TYPE, 24, 20),
                          (codes.SCH_TYPE, 27, 68)]
    assert "metadata.version must be text, not the number 1.1" in run.diagnostics[0].message
    assert "must be text or a list, not a mapping" in run.diagnostics[1].message


def test_missing_required_fields_point_at_the_owner(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("    prediction: every output lies in [lo, hi]\n", "").replace(
        "    formula: \"y_i = min(max(x_i, lo), hi)\"\n", "")
    run = check(write, config, text)
    assert found(run) == [(codes.SCH_MISSING, 11, 5), (codes.SCH_MISSING, 15, 5)]
    assert "missing required field 'formula' in equations.clamp" in run.diagnostics[0].message
    assert "'prediction' in falsification_tests[0]" in run.diagnostics[1].message


def test_missing_metadata(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, "falsification_tests: []\n")
    assert [d.code for d in run.diagnostics] == [codes.SCH_MISSING, codes.SEM_NO_VERSION]


def test_empty_text_is_an_error(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("prediction: every output lies in [lo, hi]", "prediction: '   '").replace(
        "id: FALSIFY-CL-002", 'id: ""')
    run = check(write, config, text)
    assert found(run) == [(codes.SCH_EMPTY, 18, 17), (codes.SCH_EMPTY, 21, 9)]


def test_enum_and_invalid_values(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("strategy: bounded_int", "strategy: fast").replace(
        "op: \"<\", value: 9.38", "op: within, value: 9.38").replace("type: bound", "type: bounds")
    run = check(write, config, text)
    assert [d.code for d in run.diagnostics] == [codes.SCH_ENUM, codes.SCH_INVALID, codes.SCH_ENUM]
    assert "needs a tolerance" in run.diagnostics[1].message


def test_two_spellings_of_one_field(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("    rule: range\n", "    rule: range\n    description: also range\n")
    run = check(write, config, text)
    assert found(run) == [(codes.SCH_ALIAS_CLASH, 18, 5)]


def test_rust_pv_aliases_are_accepted(write, config) -> None:  # type: ignore[no-untyped-def]
    text = (PROVABLE.replace("    rule: range\n", "    description: range\n")
            .replace("prediction: every output", "expected: every output")
            .replace("test: tests/test_clamp.py::test_in_range", "command: tests/test_clamp.py::test_in_range")
            .replace("if_fails: comparison", "fails_if: comparison")
            .replace('property: "output within [lo, hi]", formal:', 'statement: "output within [lo, hi]", verification:'))
    run = check(write, config, text)
    assert run.diagnostics == []
    view = run.contracts[0].falsifiers()[0]
    assert view.prediction == "every output lies in [lo, hi]"
    assert [r.field for r in view.refs] == ["falsification_tests[FALSIFY-CL-001].command"]


def test_constants_must_be_scalars(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, PROVABLE + "  layers: [1, 2]\n")
    assert [d.code for d in run.diagnostics] == [codes.SCH_TYPE]


def test_unknown_status(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, GATE.replace("status: PROPOSED", "status: SHIPPED"))
    assert found(run) == [(codes.SCH_STATUS, 3, 9)]
    assert "ACTIVE_RUNTIME" in run.diagnostics[0].hint


def test_not_a_contract(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, "repos:\n  - repo: local\n")
    assert [d.code for d in run.diagnostics] == [codes.SCH_UNKNOWN_KIND]
    near = check(write, config, "Metadata:\n  version: '1.0.0'\n", name="near.yaml")
    assert [d.code for d in near.diagnostics][:2] == [codes.SCH_UNKNOWN_KEY, codes.SCH_MISSING]


def test_top_level_list(write, config) -> None:  # type: ignore[no-untyped-def]
    run = check(write, config, "- a\n- b\n")
    assert [d.code for d in run.diagnostics] == [parse_codes.YAML_NOT_MAPPING]


def test_binding_registry(write, config) -> None:  # type: ignore[no-untyped-def]
    bad = BINDING.replace("status: implemented", "status: done").replace("target_crate", "target_crat")
    run = check(write, config, bad, name="binding.yaml")
    assert found(run) == [(codes.SCH_MISSING, 1, 1), (codes.SCH_UNKNOWN_KEY, 2, 1), (codes.REF_BINDING, 4, 16),
                          (codes.SCH_ENUM, 4, 95)]
    assert "not among the contracts given" in run.diagnostics[2].message
    assert len(run.bindings) == 1 and run.contracts == []
