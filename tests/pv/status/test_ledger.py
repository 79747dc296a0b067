"""The results ledger and the ``--pv-record`` pytest plugin, through a real pytest run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pvstatus_project import Project

from pv.ledger import Ledger, LedgerError, TestResult, freshness, sha256_file

TESTS = """
import pytest

def test_ok():
    assert 1 + 1 == 2

def test_fail():
    assert 1 + 1 == 3

@pytest.mark.skip(reason="not today")
def test_skip():
    assert False

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

@pytest.mark.parametrize("v", [1, 2])
def test_param(v):
    assert v > 0

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

def test_setup_error(broken):
    assert broken
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One recorded run shared by the read-only tests (each pytest subprocess costs about a second)."""
    project = Project(tmp_path_factory.mktemp("ledger") / "proj")
    _record(project)
    return project


def _record(project: Project, *extra: str) -> dict[str, dict[str, object]]:
    project.write("tests/test_a.py", TESTS)
    sha = project.commit()
    proc = project.pytest("--pv-record", *extra)
    assert "recorded in" in proc.stdout, proc.stdout + proc.stderr
    data = json.loads((project.root / ".pv" / "results.json").read_text())
    assert data["schema_version"] == 1
    for entry in data["results"].values():
        assert entry["git_commit"] == sha
    return data["results"]


def test_plugin_records_every_outcome_honestly(recorded: Project) -> None:
    project = recorded
    results = json.loads((project.root / ".pv" / "results.json").read_text())["results"]
    outcomes = {nid.split("::")[1]: e["outcome"] for nid, e in results.items()}
    assert outcomes == {
        "test_ok": "passed", "test_fail": "failed", "test_skip": "skipped", "test_xfail": "xfailed",
        "test_param[1]": "passed", "test_param[2]": "passed", "test_setup_error": "error",
    }
    entry = results["tests/test_a.py::test_ok"]
    assert entry["file"] == "tests/test_a.py"
    assert entry["file_sha256"] == sha256_file(project.root / "tests/test_a.py")
    assert entry["git_dirty"] is False
    assert isinstance(entry["duration_s"], float)


def test_only_passed_counts_as_passed(recorded: Project) -> None:
    project = recorded
    ledger = Ledger.load(project.root / ".pv" / "results.json")
    passed = {nid.split("::")[1] for nid, r in ledger.results.items() if r.passed}
    assert passed == {"test_ok", "test_param[1]", "test_param[2]"}


def test_lookup_matches_parametrized_cases_exactly_never_by_substring(recorded: Project) -> None:
    project = recorded
    ledger = Ledger.load(project.root / ".pv" / "results.json")
    assert [r.node_id for r in ledger.lookup("tests/test_a.py::test_param")] == [
        "tests/test_a.py::test_param[1]", "tests/test_a.py::test_param[2]"]
    assert ledger.lookup("tests/test_a.py::test_para") == []
    assert ledger.lookup("tests/test_a.py::test_o") == []


def test_a_changed_test_file_makes_the_result_stale(recorded: Project) -> None:
    project = recorded
    ledger = Ledger.load(project.root / ".pv" / "results.json")
    result = ledger.results["tests/test_a.py::test_ok"]
    assert freshness(result, project.root).fresh
    test_file = project.root / "tests/test_a.py"
    original = test_file.read_text()
    try:
        test_file.write_text(original + "\n# edited\n")
        verdict = freshness(result, project.root)
        assert not verdict.fresh
        assert "stale" in verdict.reason
        test_file.unlink()
        assert "no longer exists" in freshness(result, project.root).reason
    finally:
        test_file.write_text(original)


def test_a_later_run_merges_and_replaces_only_what_it_ran(project: Project) -> None:
    _record(project)
    project.write("tests/test_a.py", TESTS.replace("1 + 1 == 3", "1 + 1 == 2"))
    proc = project.pytest("tests/test_a.py::test_fail", "--pv-record")
    assert proc.returncode == 0, proc.stdout
    ledger = Ledger.load(project.root / ".pv" / "results.json")
    assert ledger.results["tests/test_a.py::test_fail"].outcome == "passed"
    assert ledger.results["tests/test_a.py::test_skip"].outcome == "skipped"  # kept from the first run


def test_custom_ledger_path_and_bad_path_refused(project: Project) -> None:
    project.write("tests/test_a.py", "def test_ok():\n    assert True\n")
    plain = project.pytest()
    assert plain.returncode == 0
    assert not (project.root / ".pv").exists()  # without the flag nothing is written
    proc = project.pytest("--pv-record=out/ledger.json")
    assert proc.returncode == 0, proc.stdout
    assert "tests/test_a.py::test_ok" in json.loads((project.root / "out/ledger.json").read_text())["results"]
    (project.root / "out/ledger.json").write_text("{not a ledger")
    again = project.pytest("--pv-record=out/ledger.json")
    assert "cannot read the results ledger" in again.stdout and "starting a new ledger" in again.stdout
    assert Ledger.load(project.root / "out/ledger.json").results["tests/test_a.py::test_ok"].passed
    bad = project.pytest("--pv-record", "tests/test_a.py")
    assert bad.returncode != 0
    assert "--pv-record: ledger path must end in .json" in bad.stderr + bad.stdout


def test_corrupt_ledger_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("{not json")
    with pytest.raises(LedgerError, match="cannot read the results ledger"):
        Ledger.load(path)
    path.write_text(json.dumps({"schema_version": 1, "results": {"t.py::x": {"outcome": "great", "file": "t.py"}}}))
    with pytest.raises(LedgerError, match="outcome 'great'"):
        Ledger.load(path)


def test_save_load_round_trip(tmp_path: Path) -> None:
    r = TestResult("t.py::x", "passed", 0.5, "t.py", "0" * 64, None, None, "2026-01-01T00:00:00Z")
    path = Ledger({r.node_id: r}).save(tmp_path / ".pv" / "results.json")
    assert Ledger.load(path).results == {r.node_id: r}


def test_xdist_controller_records_every_worker_result(project: Project) -> None:
    project.write("tests/test_a.py", "import pytest\n\n@pytest.mark.parametrize('i', range(6))\n"
                  "def test_many(i):\n    assert i >= 0\n")
    proc = project.pytest("-n", "2", "--pv-record")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((project.root / ".pv/results.json").read_text())["results"]
    assert sorted(results) == [f"tests/test_a.py::test_many[{i}]" for i in range(6)]
    assert {e["outcome"] for e in results.values()} == {"passed"}


def test_plugin_args_load_the_plugin_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from pv import record_plugin

    class EP:
        value = "pv.record_plugin"

    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [EP()])
    assert record_plugin.plugin_args() == []  # the entry point loads it; -p would register it twice
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    assert record_plugin.plugin_args() == ["-p", "pv.record_plugin"]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [EP()])
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert record_plugin.plugin_args() == ["-p", "pv.record_plugin"]
