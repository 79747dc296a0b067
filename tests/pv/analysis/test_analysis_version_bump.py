"""The version-bump gate against a real temporary git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, load
from pv.analysis.bump import changelog_versions, check_version_bumps

BASE = """\
metadata:
  version: '1.0.0'
  description: bump fixture
  changelog:
  - version: 1.0.0
    date: '2026-01-01'
    change: first
falsification_tests:
- id: FALSIFY-B-001
  rule: r
  prediction: the output is finite
  test: 'LIVE-PENDING: later'
- id: FALSIFY-B-002
  rule: r
  prediction: the loss goes down
  test: 'LIVE-PENDING: later'
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "contracts" / "b-v1.yaml").write_text(BASE, encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / "contracts" / "b-v1.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _check(repo: Path, base: str | None = None):
    return check_version_bumps(load([repo / "contracts"], repo), repo, base)


def test_unchanged_contract_is_compared_and_passes(repo: Path):
    result = _check(repo)
    assert (result.skip_reason, result.compared, result.changed, result.diagnostics) == (None, 1, 0, [])
    assert result.base_how == "HEAD"


def test_content_change_without_bump(repo: Path):
    _edit(repo, "the loss goes down", "the loss goes down by 10%")
    (diag,) = _check(repo).diagnostics
    assert (diag.code, diag.path, diag.line) == ("PV-DIFF-001", "contracts/b-v1.yaml", 2)
    assert "changed falsifier FALSIFY-B-002" in diag.message and "needs a major bump" in diag.message


def test_too_small_bump_and_missing_changelog(repo: Path):
    _edit(repo, "- id: FALSIFY-B-002\n  rule: r\n  prediction: the loss goes down\n  test: 'LIVE-PENDING: later'\n", "")
    _edit(repo, "version: '1.0.0'", "version: '1.1.0'")
    diags = _check(repo).diagnostics
    assert [(d.code, d.line) for d in diags] == [("PV-DIFF-002", 2), ("PV-DIFF-003", 5)]
    assert "needs major (removed FALSIFY-B-002: removed item)" in diags[0].message
    assert "version 1.1.0 has no changelog entry" in diags[1].message


def test_correct_bump_with_changelog_passes(repo: Path):
    _edit(repo, "the loss goes down", "the loss goes down by 10%")
    _edit(repo, "version: '1.0.0'", "version: '2.0.0'")
    _edit(repo, "  changelog:\n", "  changelog:\n  - version: 2.0.0\n    date: '2026-02-01'\n    change: sharper\n")
    result = _check(repo)
    assert (result.compared, result.changed, result.diagnostics) == (1, 1, [])


def test_explicit_base_revision(repo: Path):
    first = git(repo, "rev-parse", "HEAD").strip()
    _edit(repo, "version: '1.0.0'", "version: '1.0.1'")
    _edit(repo, "  changelog:\n", "  changelog:\n  - version: 1.0.1\n    change: wording\n")
    _edit(repo, "rule: r\n  prediction: the output", "rule: reworded\n  prediction: the output")
    git(repo, "commit", "-q", "-am", "patch")
    assert _check(repo).changed == 0  # against HEAD nothing changed
    result = _check(repo, base=first)
    assert (result.base, result.changed, result.diagnostics) == (first, 1, [])  # a patch change, a patch bump


def test_new_file_is_not_a_pass(repo: Path):
    (repo / "contracts" / "b-v1.yaml").rename(repo / "contracts" / "new-v1.yaml")
    result = _check(repo)
    assert result.compared == 0 and result.diagnostics == []
    assert result.skip_reason is not None and "contracts/new-v1.yaml does not exist at" in result.skip_reason


def test_no_git_repository_is_a_skip_with_reason(tmp_path: Path):
    (tmp_path / "c-v1.yaml").write_text(BASE, encoding="utf-8")
    result = check_version_bumps(load([tmp_path], tmp_path), tmp_path)
    assert result.compared == 0
    assert result.skip_reason is not None and "not inside a git repository" in result.skip_reason


def test_unknown_base_is_a_skip_with_reason(repo: Path):
    result = _check(repo, base="does-not-exist")
    assert result.skip_reason == "no base revision to compare against: unknown git revision 'does-not-exist'"


def test_changelog_versions_both_forms():
    raw = {"metadata": {"changelog": ["1.6.0 (2026-04-22): x", {"version": "v1.7.0"}, "prose"]}}
    assert changelog_versions(raw) == ["1.6.0", "1.7.0"]


def test_lint_base_flag_reaches_the_version_bump_gate(repo: Path):
    import json
    import subprocess
    import sys

    first = git(repo, "rev-parse", "HEAD").strip()
    _edit(repo, "prediction: the loss goes down", "prediction: the loss goes up")  # a major change, no bump
    git(repo, "commit", "-q", "-am", "reword without a bump")

    def bump_gate(*extra: str) -> tuple[int, dict]:
        proc = subprocess.run([sys.executable, "-m", "pv", "lint", "--no-cache", "--format", "json", "contracts",
                               *extra], cwd=repo, capture_output=True, text=True, timeout=120)
        report = json.loads(proc.stdout)
        gate = next(g for g in report["summary"]["gates"] if g["name"] == "version-bump")
        return proc.returncode, {**gate, "codes": [d["code"] for d in report["diagnostics"]]}

    code, gate = bump_gate()  # against HEAD the committed edit is invisible
    assert code == 0 and gate["verdict"] == "PASS", gate
    code, gate = bump_gate("--base", first)
    assert code == 1 and gate["verdict"] == "FAIL", gate
    assert "PV-DIFF-001" in gate["codes"]


def test_a_moved_origin_main_is_not_replayed_from_the_lint_cache(repo: Path):
    import subprocess
    import sys

    first = git(repo, "rev-parse", "HEAD").strip()
    _edit(repo, "prediction: the loss goes down", "prediction: the loss goes up")  # a major change, no bump
    git(repo, "commit", "-q", "-am", "reword without a bump")
    second = git(repo, "rev-parse", "HEAD").strip()

    def lint() -> subprocess.CompletedProcess[str]:  # cache on: the second call may replay
        return subprocess.run([sys.executable, "-m", "pv", "lint", "contracts"], cwd=repo,
                              capture_output=True, text=True, timeout=120)

    git(repo, "update-ref", "refs/remotes/origin/main", second)
    assert lint().returncode == 0  # base = merge-base = HEAD: nothing changed
    git(repo, "update-ref", "refs/remotes/origin/main", first)
    moved = lint()  # base moved back: the unbumped change is visible, not a replayed PASS
    assert moved.returncode == 1, moved.stdout
    assert "PV-DIFF-001" in moved.stdout


def test_lint_cache_never_replays_one_base_for_another(repo: Path):
    import subprocess
    import sys

    first = git(repo, "rev-parse", "HEAD").strip()
    _edit(repo, "prediction: the loss goes down", "prediction: the loss goes up")  # a major change, no bump
    git(repo, "commit", "-q", "-am", "reword without a bump")
    second = git(repo, "rev-parse", "HEAD").strip()

    def lint(base: str) -> subprocess.CompletedProcess[str]:  # cache on
        return subprocess.run([sys.executable, "-m", "pv", "lint", "contracts", "--base", base], cwd=repo,
                              capture_output=True, text=True, timeout=120)

    assert lint(second).returncode == 0
    against_first = lint(first)  # same inputs, another base: must not replay the PASS above
    assert against_first.returncode == 1 and "PV-DIFF-001" in against_first.stdout, against_first.stdout
