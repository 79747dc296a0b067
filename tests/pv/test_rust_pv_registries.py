"""Registries written for the Rust pv validate (issue #11): tests/fixtures/registries/rustpv/.

Each construct of the Rust pv's registries is reproduced there: free-form harness obligations,
kaizen records (metadata.kind: kaizen), entity blocks, 'vX.Y.Z: text' changelog strings, legacy
falsification: entries, bindings in subfolders. Real defects stay errors.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pv_validate_helpers import REPO

from pv.checks import codes
from pv.config import ConfigError, PvConfig, parse_table
from pv.diagnostics import Severity
from pv.validate import validate_paths

FIXTURE = REPO / "tests" / "fixtures" / "registries" / "rustpv"


def _run(path: Path, **kw):  # type: ignore[no-untyped-def]
    return validate_paths([path], PvConfig(root=path, contracts=["."], **kw))


def test_the_whole_registry_reports_only_the_ambiguous_binding_name() -> None:
    run = _run(FIXTURE)
    assert run.files_checked == 7
    assert [(Path(d.path).as_posix().rsplit("rustpv/", 1)[-1], d.code) for d in run.diagnostics] == [
        ("binding.yaml", codes.REF_BINDING_AMBIGUOUS)]
    msg = run.diagnostics[0].message
    assert "sub-a/norm-v1.yaml" in msg and "sub-b/norm-v1.yaml" in msg


def test_dialect_comes_from_metadata_kind_and_kaizen_keys_are_known() -> None:
    run = _run(FIXTURE / "kaizen")
    assert run.diagnostics == []
    assert {c.dialect for c in run.contracts} == {"kaizen"}
    assert sorted(c.contract_id for c in run.contracts) == ["C-FUSED-001", "C-PREALLOC-001"]


def test_kaizen_status_outside_its_vocabulary_is_an_error(tmp_path: Path) -> None:
    src = (FIXTURE / "kaizen" / "fused-step-v1.yaml").read_text()
    (tmp_path / "k.yaml").write_text(src.replace("status: planned", "status: DISCHARGED"))
    run = _run(tmp_path)
    assert [d.code for d in run.diagnostics] == [codes.SCH_ENUM]
    assert "'planned'" in run.diagnostics[0].message


def test_legacy_falsification_ids_are_falsifiers_and_count_across_contracts(tmp_path: Path) -> None:
    run = _run(FIXTURE / "scale-kernel-v1.yaml")
    (contract,) = run.contracts
    assert [f.id for f in contract.falsifiers()] == ["FALSIFY-SC-LEGACY-001"]
    other = tmp_path / "other.yaml"
    other.write_text('metadata: {version: "1.0.0", description: d}\nfalsification_tests:\n'
                     "  - {id: FALSIFY-SC-LEGACY-001, rule: r, prediction: p, if_fails: f}\n")
    both = validate_paths([FIXTURE / "scale-kernel-v1.yaml", other], PvConfig(root=tmp_path))
    assert codes.REF_DUP_ID in [d.code for d in both.diagnostics]


def test_binding_resolves_own_folder_then_root(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    shutil.copytree(FIXTURE, reg)
    (reg / "binding.yaml").unlink()
    assert _run(reg).diagnostics == []  # sub-a/binding.yaml: own folder, then the root
    (reg / "sub-a" / "norm-v1.yaml").unlink()  # now only sub-b has it: a unique match elsewhere
    text = (reg / "sub-a" / "binding.yaml").read_text().replace("equation: norm", "equation: nrm")
    (reg / "sub-a" / "binding.yaml").write_text(text)
    run = _run(reg)
    assert [(d.code, "sub-b/norm-v1.yaml" in d.message) for d in run.diagnostics] == [(codes.REF_BINDING, True)]


def test_one_file_name_in_two_folders_is_not_a_duplicate_contract_unless_the_id_is_declared(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    shutil.copytree(FIXTURE, reg)
    for team in ("sub-a", "sub-b"):  # IDs from the file name: the folder namespaces them
        path = reg / team / "norm-v1.yaml"
        path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                                if not line.startswith("  id: ")))
    assert [d.code for d in _run(reg).diagnostics] == [codes.REF_BINDING_AMBIGUOUS]
    path = reg / "sub-b" / "norm-v1.yaml"  # the same ID written in both files is a real duplicate
    path.write_text(path.read_text().replace('  version: "1.0.0"\n', '  version: "1.0.0"\n  id: norm-v1\n', 1))
    codes_seen = [d.code for d in _run(reg).diagnostics]
    assert codes.REF_DUP_CONTRACT in codes_seen and codes.REF_BINDING_AMBIGUOUS in codes_seen


def test_real_defects_stay_errors(tmp_path: Path) -> None:
    src = (FIXTURE / "sub-a" / "binding.yaml").read_text()
    (tmp_path / "binding.yaml").write_text(src.replace("status: partial", "status: pending"))
    (tmp_path / "nometa.yaml").write_text("equations:\n  f: {formula: x}\n")
    (tmp_path / "v.yaml").write_text('version: "1.0.0"\ncontract_id: v\nmetadata: {version: "1.1.0", description: d}\n')
    codes_found = {d.code for d in _run(tmp_path).diagnostics}
    assert {codes.SCH_ENUM, codes.SCH_MISSING, codes.SEM_MISMATCH} <= codes_found


def test_unknown_keys_warn_keeps_did_you_mean(tmp_path: Path) -> None:
    src = (FIXTURE / "scale-kernel-v1.yaml").read_text()
    (tmp_path / "c.yaml").write_text(src.replace("equations:", "equation:"))
    strict = _run(tmp_path)
    assert [(d.code, d.severity) for d in strict.diagnostics if d.code == codes.SCH_UNKNOWN_KEY] == [
        (codes.SCH_UNKNOWN_KEY, Severity.ERROR)]
    warned = _run(tmp_path, unknown_keys="warn")
    (d,) = [d for d in warned.diagnostics if d.code == codes.SCH_UNKNOWN_KEY]
    assert d.severity == Severity.WARNING and d.hint == "did you mean 'equations'?"


def test_unknown_keys_config_values(tmp_path: Path) -> None:
    assert parse_table({"unknown-keys": "warn"}, tmp_path / "pyproject.toml").unknown_keys == "warn"
    assert parse_table({}, tmp_path / "pyproject.toml").unknown_keys == "error"
    try:
        parse_table({"unknown-keys": "ignore"}, tmp_path / "pyproject.toml")
    except ConfigError as exc:
        assert "unknown-keys must be 'error' or 'warn'" in str(exc)
    else:
        raise AssertionError("an unknown policy must be refused")
