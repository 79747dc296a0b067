"""pv diff: exact added/removed/changed items, the exact bump, and the CLI (files and --git)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from conftest import SEED, git, pv
from pv.analysis.diff import Bump, declared_bump, diff_raw, effective_required, parse_version

BASE = yaml.safe_load((SEED / "apr-pretrain-from-init-v1.yaml").read_text(encoding="utf-8"))


def _ids(diff, section, change):
    return {c.key for c in diff.changes if c.section == section and c.change == change}


def test_identical_documents_need_no_bump():
    d = diff_raw(BASE, copy.deepcopy(BASE))
    assert d.changes == [] and d.required == Bump.NONE and d.sufficient


def test_bookkeeping_alone_is_not_a_content_change():
    new = copy.deepcopy(BASE)
    new["metadata"]["version"] = "1.2.1"
    new["metadata"]["updated"] = "2030-01-01"
    new["metadata"]["changelog"] = [{"version": "1.2.1", "date": "2030-01-01", "change": "x"}]
    d = diff_raw(BASE, new)
    assert d.changes == [] and d.declared == Bump.PATCH and d.sufficient


def test_added_removed_changed_falsifiers_and_obligations():
    new = copy.deepcopy(BASE)
    new["metadata"]["version"] = "1.3.0"
    removed = new["falsification_tests"].pop(2)  # FALSIFY-APR-PRETRAIN-INIT-003
    new["falsification_tests"][0]["test"] = "tests/pv/test_x.py::test_y"  # re-bound: patch
    new["falsification_tests"][1]["prediction"] = "something else"  # promise changed: major
    new["falsification_tests"].append({"id": "FALSIFY-NEW-001", "rule": "r", "prediction": "p"})
    new["proof_obligations"].append({"type": "bound", "property": "x <= 1"})
    d = diff_raw(BASE, new)
    assert removed["id"] == "FALSIFY-APR-PRETRAIN-INIT-003"
    assert _ids(d, "falsifiers", "removed") == {"FALSIFY-APR-PRETRAIN-INIT-003"}
    assert _ids(d, "falsifiers", "added") == {"FALSIFY-NEW-001"}
    changed = {c.key: (c.fields, c.bump) for c in d.changes if c.change == "changed"}
    assert changed == {
        "FALSIFY-APR-PRETRAIN-INIT-001": (("test",), Bump.PATCH),
        "FALSIFY-APR-PRETRAIN-INIT-002": (("prediction",), Bump.MAJOR),
    }
    assert _ids(d, "obligations", "added") == {"bound:x <= 1"}
    assert d.required == Bump.MAJOR and d.declared == Bump.MINOR and not d.sufficient


def test_only_additions_need_minor_and_minor_bump_is_enough():
    new = copy.deepcopy(BASE)
    new["metadata"]["version"] = "1.3.0"
    new["equations"]["new_eq"] = {"formula": "y = x"}
    new["kani_harnesses"].append({"id": "KH-NEW", "obligation": "init_flag_signature", "bound": 2})
    d = diff_raw(BASE, new)
    assert [(c.section, c.key, c.change, c.bump) for c in d.changes] == [
        ("equations", "new_eq", "added", Bump.MINOR),
        ("kani_harnesses", "KH-NEW", "added", Bump.MINOR),
    ]
    assert d.required == Bump.MINOR and d.sufficient


def test_ship_blocking_direction_decides_the_bump():
    new = copy.deepcopy(BASE)
    new["falsification_tests"][0]["ship_blocking"] = False
    assert diff_raw(BASE, new).required == Bump.MAJOR
    back = diff_raw(new, BASE)
    assert [(c.key, c.bump, c.why) for c in back.changes] == [
        ("FALSIFY-APR-PRETRAIN-INIT-001", Bump.MINOR, "now ship-blocking")]


def test_gate_dialect_gates_invariants_and_pinned_constants():
    old = yaml.safe_load((SEED / "llama-370m-sovereign-v1.yaml").read_text(encoding="utf-8"))
    new = copy.deepcopy(old)
    new["architecture"]["vocab_size"] = 50000
    new["gates"] = [g for g in new["gates"] if g["id"] != "GATE-ARCH-370M-005"]
    new["invariants"][0]["description"] = "reworded promise"
    d = diff_raw(old, new)
    assert {(c.section, c.key, c.change, c.bump) for c in d.changes} == {
        ("pinned", "architecture.vocab_size", "changed", Bump.MAJOR),
        ("gates", "GATE-ARCH-370M-005", "removed", Bump.MAJOR),
        ("invariants", old["invariants"][0]["id"], "changed", Bump.MAJOR),
    }


@pytest.mark.parametrize(("old", "new", "bump"), [
    ("1.2.0", "2.0.0", Bump.MAJOR), ("1.2.0", "1.3.0", Bump.MINOR), ("1.2.0", "1.2.1", Bump.PATCH),
    ("1.2.0", "1.2.0", Bump.NONE), ("1.2.0", "1.1.9", None), ("1.0", "1.1", Bump.MINOR), ("x", "1.0.0", None),
])
def test_declared_bump(old, new, bump):
    assert declared_bump(old, new) == bump


def test_zero_major_versions_follow_cargo():
    assert effective_required(Bump.MAJOR, "0.3.1") == Bump.MINOR
    assert effective_required(Bump.MINOR, "0.3.1") == Bump.PATCH
    assert effective_required(Bump.MAJOR, "1.0.0") == Bump.MAJOR
    assert parse_version("v2.1") == (2, 1, 0)


def _dump(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_cli_two_files_text_and_json(tmp_path: Path):
    new = copy.deepcopy(BASE)
    new["falsification_tests"].pop()  # FALSIFY-APR-PRETRAIN-INIT-010 removed, version unchanged
    a, b = _dump(tmp_path / "old.yaml", BASE), _dump(tmp_path / "new.yaml", new)
    proc = pv("diff", str(a), str(b), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "  - FALSIFY-APR-PRETRAIN-INIT-010  -> major (removed item)" in proc.stdout
    assert "verdict: version bump too small: needs at least major" in proc.stdout
    proc = pv("diff", str(a), str(b), "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert (data["required_bump"], data["declared_bump"], data["sufficient"]) == ("major", "none", False)
    assert [(c["section"], c["key"], c["change"]) for c in data["changes"]] == [
        ("falsifiers", "FALSIFY-APR-PRETRAIN-INIT-010", "removed")]


def test_cli_git_revision(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    contract = _dump(repo / "c.yaml", BASE)
    git(repo, "add", "c.yaml")
    git(repo, "commit", "-q", "-m", "base")
    new = copy.deepcopy(BASE)
    new["metadata"]["version"] = "2.0.0"
    new["falsification_tests"].pop(0)
    _dump(contract, new)
    proc = pv("diff", "--git", "HEAD", "c.yaml", "--format", "json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["old_version"], data["new_version"], data["required_bump"], data["declared_bump"]) == (
        "1.2.0", "2.0.0", "major", "major")
    assert data["old"] == "HEAD:c.yaml"
    # a file the revision does not have: nothing to compare, exit 2 and the reason
    _dump(repo / "new.yaml", BASE)
    proc = pv("diff", "--git", "HEAD", "new.yaml", cwd=repo)
    assert proc.returncode == 2
    assert "new.yaml does not exist at" in proc.stderr and "nothing to compare" in proc.stderr
    proc = pv("diff", "--git", "no-such-ref", "c.yaml", cwd=repo)
    assert proc.returncode == 2 and "unknown git revision 'no-such-ref'" in proc.stderr


def test_cli_usage_errors(tmp_path: Path):
    assert pv("diff", "only-one.yaml", cwd=tmp_path).returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,\n", encoding="utf-8")
    proc = pv("diff", str(bad), str(bad), cwd=tmp_path)
    assert proc.returncode == 2 and "PV-YAML-001" in proc.stderr and "Traceback" not in proc.stderr
