"""The consistency and version-bump lint gates through the lint framework's own protocol."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, SEED, git
from pv.config import PvConfig
from pv.lint.framework import LintContext, LintOptions, Verdict, decide, discover_gates
from pv.validate import validate_paths


def _ctx(paths: list[Path], root: Path) -> LintContext:
    config = PvConfig(root=root)
    return LintContext([str(p) for p in paths], config, LintOptions(),
                       validate_paths([str(p) for p in paths], config))


def _gate(name: str):
    return next(g for g in discover_gates() if g.name == name)


def test_gates_are_discovered_after_the_builtin_ones():
    names = [g.name for g in discover_gates()]
    assert names.index("consistency") > names.index("test-binding")
    assert names.index("version-bump") > names.index("consistency")


def test_consistency_gate_fails_on_the_seeds():
    outcome = _gate("consistency").run(_ctx([SEED], REPO))
    assert sorted((d.code, Path(d.path).name, d.line) for d in outcome.diagnostics) == [
        ("PV-CONST-001", "apr-pretrain-arch-polymorphic-v1.yaml", 294),
        ("PV-CONST-001", "llama-370m-sovereign-v1.yaml", 199),
        ("PV-CONST-002", "apr-pretrain-from-init-v1.yaml", 270),
        ("PV-CONST-003", "apr-pretrain-init-finetune-v1.yaml", 381),
        ("PV-CONST-003", "apr-pretrain-init-finetune-v1.yaml", 390),
    ]
    assert outcome.counts["conflicts"] == 2 and outcome.measured > 5
    assert decide(outcome, outcome.diagnostics)[0] is Verdict.FAIL


def test_consistency_gate_with_nothing_to_compare_is_skip_not_pass():
    outcome = _gate("consistency").run(_ctx([SEED / "training-loop-pretrain-v1.yaml"], REPO))
    assert outcome.measured == 0 and outcome.diagnostics == []
    assert decide(outcome, [])[0] is Verdict.SKIP


def test_consistency_gate_passes_when_related_constants_agree(tmp_path: Path):
    for name, dep in (("a-v1", ""), ("b-v1", "\n  depends_on: [a-v1]")):
        (tmp_path / f"{name}.yaml").write_text(
            f"metadata:\n  version: '1.0.0'\n  description: d{dep}\nconstants:\n  vocab_size: 50257\n",
            encoding="utf-8")
    outcome = _gate("consistency").run(_ctx([tmp_path], tmp_path))
    assert (outcome.measured, outcome.diagnostics) == (1, [])
    assert decide(outcome, [])[0] is Verdict.PASS


def test_version_bump_gate_skips_with_reason_outside_git(tmp_path: Path):
    (tmp_path / "c-v1.yaml").write_text("metadata:\n  version: '1.0.0'\n  description: d\n", encoding="utf-8")
    outcome = _gate("version-bump").run(_ctx([tmp_path], tmp_path))
    assert outcome.skip_reason is not None and "not inside a git repository" in outcome.skip_reason
    assert decide(outcome, [])[0] is Verdict.SKIP


def test_version_bump_gate_fails_on_an_unbumped_change(tmp_path: Path):
    git(tmp_path, "init", "-q")
    path = tmp_path / "c-v1.yaml"
    path.write_text("metadata:\n  version: '1.0.0'\n  description: d\nconstants:\n  n: 1\n", encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    gate = _gate("version-bump")
    outcome = gate.run(_ctx([tmp_path], tmp_path))
    assert decide(outcome, outcome.diagnostics)[0] is Verdict.PASS and outcome.counts["compared"] == 1
    path.write_text(path.read_text(encoding="utf-8").replace("n: 1", "n: 2"), encoding="utf-8")
    outcome = gate.run(_ctx([tmp_path], tmp_path))
    assert [d.code for d in outcome.diagnostics] == ["PV-DIFF-001"]
    assert "changed constant n" in outcome.diagnostics[0].message
    assert decide(outcome, outcome.diagnostics)[0] is Verdict.FAIL
