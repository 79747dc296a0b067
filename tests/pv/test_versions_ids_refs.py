"""PV-SEM (versions, changelog), PV-ID (IDs within a contract) and PV-REF (across contracts)."""

from __future__ import annotations

import pytest
from pv_validate_helpers import GATE, PROVABLE

from pv.checks import codes
from pv.checks.versions import semver_key
from pv.diagnostics import Severity
from pv.validate import validate_paths


def run_one(write, config, text: str, name: str = "c.yaml"):  # type: ignore[no-untyped-def]
    return validate_paths([write(name, text)], config)


def found(run) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(d.code, d.line) for d in run.diagnostics]


# ---- semver and changelog ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "ok"), [("1.0.0", True), ("0.1.10", True), ("1.0.0-rc.1", True),
                                          ("1.0.0+build.5", True), ("1.0", False), ("01.0.0", False),
                                          ("v1.0.0", False), ("1.0.0.0", False), ("", False)])
def test_semver(text: str, ok: bool) -> None:
    assert (semver_key(text) is not None) is ok


def test_prerelease_sorts_before_release() -> None:
    assert semver_key("1.0.0-rc.1") < semver_key("1.0.0") < semver_key("1.0.1")  # type: ignore[operator]


def test_version_not_semver(write, config) -> None:  # type: ignore[no-untyped-def]
    run = run_one(write, config, GATE.replace("version: 1.0.0\nstatus", "version: '1.0'\nstatus"))
    assert (codes.SEM_NOT_SEMVER, 2) in found(run)


def test_top_and_metadata_versions_disagree(write, config) -> None:  # type: ignore[no-untyped-def]
    text = GATE.replace("  version: 1.0.0", "  version: 1.1.0").replace(
        '    - "1.0.0 (2026-01-01): first"', '    - "1.1.0 (2026-01-02): second"\n    - "1.0.0 (2026-01-01): first"')
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_MISMATCH, 5), (codes.SEM_NEWEST, 8)]


def test_newest_changelog_entry_must_be_the_version(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace('version: "1.1.0"', 'version: "1.0.0"')
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_NEWEST, 7)]


def test_changelog_skips_the_current_version(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace('version: "1.1.0"', 'version: "1.2.0"')
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_NOT_IN_CHANGELOG, 7), (codes.SEM_NEWEST, 7)]
    assert "skips the current version 1.2.0" in run.diagnostics[0].message


def test_changelog_order_both_directions_and_repeats(write, config) -> None:  # type: ignore[no-untyped-def]
    asc = PROVABLE.replace('    - "1.1.0 (2026-01-02): adds FALSIFY-CL-002"\n    - "1.0.0 (2026-01-01): first version"',
                           '    - "1.0.0 (2026-01-01): first"\n    - "1.1.0 (2026-01-02): second"')
    assert run_one(write, config, asc).diagnostics == []
    backwards = PROVABLE.replace('    - "1.0.0 (2026-01-01): first version"',
                                 '    - "1.0.0 (2026-01-01): first version"\n    - "1.0.1 (2026-01-01): patch"')
    run = run_one(write, config, backwards, "b.yaml")
    assert found(run) == [(codes.SEM_ORDER, 9)]
    assert "1.0.1 follows 1.0.0 in a changelog written newest first" in run.diagnostics[0].message
    repeat = PROVABLE.replace('    - "1.0.0 (2026-01-01): first version"',
                              '    - "1.1.0 (2026-01-01): again"\n    - "1.0.0 (2026-01-01): first version"')
    assert found(run_one(write, config, repeat, "r.yaml")) == [(codes.SEM_ORDER, 8)]


def test_changelog_mappings(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace(
        '    - "1.1.0 (2026-01-02): adds FALSIFY-CL-002"\n    - "1.0.0 (2026-01-01): first version"',
        "    - {version: 1.1.0, date: '2026-01-02', change: second}\n    - {version: 1.2.0, change: oops}")
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_NEWEST, 8)]  # 1.1.0 -> 1.2.0 is a valid oldest-first order


def test_malformed_changelog_string(write, config) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace('"1.0.0 (2026-01-01): first version"', '"initial version"')
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_ENTRY, 8)]


def test_no_version_anywhere(write, config) -> None:  # type: ignore[no-untyped-def]
    text = GATE.replace("version: 1.0.0\nstatus", "status").replace("  version: 1.0.0\n", "")
    run = run_one(write, config, text)
    assert found(run) == [(codes.SEM_NO_VERSION, 4)]


# ---- IDs within a contract ---------------------------------------------------------------


def test_duplicate_ids_across_sections_of_one_contract(write, config) -> None:  # type: ignore[no-untyped-def]
    text = GATE.replace("id: FM-DEMO-NAN", "id: GATE-DEMO-001")
    run = run_one(write, config, text)
    assert found(run) == [(codes.ID_DUPLICATE, 24)]
    assert "first declared at line 16" in run.diagnostics[0].message


def test_duplicate_falsifier_id(write, config) -> None:  # type: ignore[no-untyped-def]
    run = run_one(write, config, PROVABLE.replace("id: FALSIFY-CL-002", "id: FALSIFY-CL-001"))
    assert found(run) == [(codes.ID_DUPLICATE, 21)]


def test_malformed_id(write, config) -> None:  # type: ignore[no-untyped-def]
    run = run_one(write, config, PROVABLE.replace("id: FALSIFY-CL-002", "id: FALSIFY CL 002"))
    assert found(run) == [(codes.ID_MALFORMED, 21)]


def test_harness_obligation_resolves_by_property_id_or_equation(write, config) -> None:  # type: ignore[no-untyped-def]
    by_eq = PROVABLE.replace('obligation: "output within [lo, hi]"', "obligation: clamp")
    assert run_one(write, config, by_eq).diagnostics == []
    by_id = PROVABLE.replace("{type: bound, property", "{id: OB-1, type: bound, property").replace(
        'obligation: "output within [lo, hi]"', "obligation: OB-1")
    assert run_one(write, config, by_id, "i.yaml").diagnostics == []
    # Obligations that carry IDs: a citation matching none of them (a renamed ID) is an error.
    dangling = by_id.replace("obligation: OB-1", "obligation: OB-2")
    run = run_one(write, config, dangling, "d.yaml")
    assert found(run) == [(codes.ID_DANGLING, 27)] and "'OB-2'" in run.diagnostics[0].message
    assert run.diagnostics[0].hint == "did you mean 'OB-1'?"


def test_harness_obligation_is_free_form_where_obligations_carry_no_id(write, config) -> None:  # type: ignore[no-untyped-def]
    # The Rust pv's schema: proof_obligations[] have no id, so a harness's obligation is free text.
    free = PROVABLE.replace('obligation: "output within [lo, hi]"', "obligation: CL-INV-001")
    assert run_one(write, config, free).diagnostics == []
    empty = PROVABLE.replace('obligation: "output within [lo, hi]"', 'obligation: ""')
    assert [d.code for d in run_one(write, config, empty, "e.yaml").diagnostics] == [codes.SCH_EMPTY]


# ---- across contracts -------------------------------------------------------------------


def test_duplicate_contract_id_and_ids_across_contracts(write, config) -> None:  # type: ignore[no-untyped-def]
    write("a.yaml", GATE)
    write("b.yaml", GATE)
    run = validate_paths([config.root], config)
    assert [(d.path, d.code, d.line) for d in run.diagnostics] == [
        ("b.yaml", codes.REF_DUP_CONTRACT, 1), ("b.yaml", codes.REF_DUP_ID, 10),
        ("b.yaml", codes.REF_DUP_ID, 16), ("b.yaml", codes.REF_DUP_ID, 24)]
    assert "also declared in a.yaml:10" in run.diagnostics[1].message


def test_depends_on_resolves_against_given_contracts_or_sibling_files(write, config) -> None:  # type: ignore[no-untyped-def]
    dep = PROVABLE.replace("  kind: kernel", "  kind: kernel\n  depends_on: [relu-kernel-v1, C-DEMO]")
    main = write("sub/main.yaml", dep)
    run = validate_paths([main], config)
    assert [(d.code, d.line, d.severity) for d in run.diagnostics] == [
        (codes.REF_DEPENDS, 6, Severity.ERROR), (codes.REF_DEPENDS, 6, Severity.ERROR)]
    assert [d.col for d in run.diagnostics] == [16, 32]
    write("sub/relu-kernel-v1.yaml", "metadata: {version: '1.0.0'}\n")  # a sibling file counts
    gate = write("gate.yaml", GATE)  # a given contract counts by its contract_id
    run = validate_paths([main, gate], config)
    assert run.diagnostics == []


def test_gate_falsification_id_resolves_across_given_contracts(write, config) -> None:  # type: ignore[no-untyped-def]
    gate = write("g.yaml", GATE.replace("    ship_blocking: true", "    ship_blocking: true\n"
                                        "    falsification_id: FALSIFY-CL-002"))
    alone = validate_paths([gate], config)
    assert [(d.code, d.line, d.severity) for d in alone.diagnostics] == [
        (codes.REF_FALSIFIER, 19, Severity.WARNING)]
    assert alone.exit_code() == 0  # a warning never fails the run
    both = validate_paths([gate, write("clamp.yaml", PROVABLE)], config)
    assert both.diagnostics == []


@pytest.mark.parametrize("entry", ['"1.0.0 (yesterday): first version"', '"1.0.0 (2026-01-01):"',
                                   '"first version"', '"v1.0: first"'])
def test_changelog_string_shape(write, config, entry: str) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace('"1.0.0 (2026-01-01): first version"', entry)
    assert found(run_one(write, config, text)) == [(codes.SEM_ENTRY, 8)]


@pytest.mark.parametrize("entry", ['"1.0.0: first version"', '"v1.0.0: first version"',
                                   '"v1.0.0 (2026-01-01): first"'])
def test_changelog_strings_of_the_rust_pv_registries_are_read(write, config, entry: str) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace('"1.0.0 (2026-01-01): first version"', entry)
    assert run_one(write, config, text).diagnostics == []
    # the version is still read from the entry: a wrong one is still caught
    wrong = PROVABLE.replace('"1.0.0 (2026-01-01): first version"', entry.replace("1.0.0", "1.2.0"))
    assert codes.SEM_NEWEST in [d.code for d in run_one(write, config, wrong, "w.yaml").diagnostics]
