"""Evidence packs: recording is honest, verification catches every kind of tampering."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from pvstatus_project import Project

from pv.evidence.manifest import load_manifest
from pv.evidence.record import RecordError, record
from pv.evidence.verify import verify_pack
from pv.model.base import Check

WRITE_METRICS = "import json,sys; print('training...'); print('warn', file=sys.stderr); " \
                "json.dump({'val_loss': 7.25, 'steps': 500, 'final': {'ppl': 1410.0}}, open('run.json','w'))"
CHECKS = {"FALSIFY-T-001": Check(metric="val_loss", op="<", value=9.38),
          "FALSIFY-T-002": Check(metric="final.ppl", op="within", value=1400.0, tolerance=20.0)}


def _record(project: Project, monkeypatch: pytest.MonkeyPatch, code: str = WRITE_METRICS, name: str = "run-1",
            metrics: str | None = "run.json", falsifiers: tuple[str, ...] = ("FALSIFY-T-001", "FALSIFY-T-002"),
            **kw: object) -> Path:
    project.commit()
    monkeypatch.chdir(project.root)
    result = record(name=name, falsifiers=falsifiers, command=[sys.executable, "-c", code], root=project.root,
                    evidence_dir=project.root / "evidence", metrics_file=Path(metrics) if metrics else None,
                    echo=False, **kw)  # type: ignore[arg-type]
    return result.pack_dir


def _codes(pack: Path, root: Path, checks: dict[str, Check | None] | None = CHECKS) -> list[str]:
    return [d.code for d in verify_pack(pack, root, checks).diagnostics]


def test_record_writes_a_complete_manifest(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    m = load_manifest(pack)
    assert m.exit_code == 0
    assert m.metrics == {"val_loss": 7.25, "steps": 500, "final": {"ppl": 1410.0}}
    assert m.metrics_source == "metrics.json"
    assert set(m.files) == {"stdout.txt", "stderr.txt", "metrics.json"}
    assert (pack / "stdout.txt").read_text() == "training...\n"
    assert (pack / "stderr.txt").read_text() == "warn\n"
    assert m.commit is not None and len(m.commit) == 40
    assert m.falsifiers == ["FALSIFY-T-001", "FALSIFY-T-002"]
    assert m.environment["python"].startswith("3.")
    assert m.argv[1] == "-c"
    assert not (project.root / "evidence" / ".run-1.partial").exists()


def test_an_intact_pack_verifies_and_discharges(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    rep = verify_pack(pack, project.root, CHECKS)
    assert rep.diagnostics == []
    assert rep.intact and rep.ok
    assert {f: d.discharged for f, d in rep.discharges.items()} == {"FALSIFY-T-001": True, "FALSIFY-T-002": True}


def test_metrics_from_json_stdout(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "print('log line'); print('{\"val_loss\": 8.0}')"
    pack = _record(project, monkeypatch, code=code, metrics=None, falsifiers=("FALSIFY-T-001",))
    m = load_manifest(pack)
    assert m.metrics == {"val_loss": 8.0} and m.metrics_source == "stdout.txt"
    assert verify_pack(pack, project.root, CHECKS).discharges["FALSIFY-T-001"].discharged


def test_a_prediction_that_fails_on_the_metrics_is_caught(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch, code="import json; json.dump({'val_loss': 10.5}, open('run.json','w'))",
                   falsifiers=("FALSIFY-T-001",))
    rep = verify_pack(pack, project.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-008"]
    assert "val_loss = 10.5" in rep.diagnostics[0].message
    assert not rep.discharges["FALSIFY-T-001"].discharged


def test_a_failing_command_is_recorded_as_failing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import json,sys; json.dump({'val_loss': 1.0}, open('run.json','w')); sys.exit(3)"
    pack = _record(project, monkeypatch, code=code, falsifiers=("FALSIFY-T-001", "FALSIFY-T-003"))
    assert load_manifest(pack).exit_code == 3
    checks = {**CHECKS, "FALSIFY-T-003": Check(metric="exit_code", op="==", value=3)}
    rep = verify_pack(pack, project.root, checks)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-009"]  # FALSIFY-T-001 cannot be discharged by it
    assert not rep.discharges["FALSIFY-T-001"].discharged
    assert rep.discharges["FALSIFY-T-003"].discharged  # the predicted refusal itself


def test_a_command_that_cannot_start_is_recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.commit()
    monkeypatch.chdir(project.root)
    res = record(name="nope", falsifiers=["FALSIFY-T-001"], command=["/nonexistent/binary"], root=project.root,
                 evidence_dir=project.root / "evidence", echo=False)
    assert res.manifest.exit_code == 127
    assert "could not start" in res.manifest.notes[0]


def test_tampered_file_is_named(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    (pack / "stdout.txt").write_text("training...\nall good, trust me\n")
    rep = verify_pack(pack, project.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-003"]
    assert rep.diagnostics[0].message.startswith("stdout.txt changed since it was recorded")
    assert not rep.intact
    assert not any(d.discharged for d in rep.discharges.values())


def test_tampered_metrics_file_is_named(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    (pack / "metrics.json").write_text(json.dumps({"val_loss": 1.0, "steps": 500, "final": {"ppl": 1410.0}}))
    codes = _codes(pack, project.root)
    assert "PV-EVID-003" in codes and "PV-EVID-007" in codes


def test_edited_manifest_metric_is_caught(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    data = json.loads((pack / "manifest.json").read_text())
    data["metrics"]["val_loss"] = 1.0
    (pack / "manifest.json").write_text(json.dumps(data))
    rep = verify_pack(pack, project.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-007"]
    assert "val_loss: manifest 1.0 vs source 7.25" in rep.diagnostics[0].message


def test_missing_and_extra_files_are_named(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    (pack / "stderr.txt").unlink()
    (pack / "planted.txt").write_text("x")
    rep = verify_pack(pack, project.root, CHECKS)
    msgs = {d.code: d.message for d in rep.diagnostics}
    assert set(msgs) == {"PV-EVID-004", "PV-EVID-005"}
    assert "stderr.txt" in msgs["PV-EVID-004"] and "planted.txt" in msgs["PV-EVID-005"]


def test_unknown_commit_is_caught(project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pack = _record(project, monkeypatch)
    other = Project(tmp_path / "other")
    other.write("README", "another history\n")
    other.commit()
    moved = other.root / "evidence" / "run-1"
    shutil.copytree(pack, moved)
    rep = verify_pack(moved, other.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-006"]
    assert "does not exist in this repository's history" in rep.diagnostics[0].message
    assert not rep.discharges["FALSIFY-T-001"].discharged


def test_malformed_and_missing_manifest(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    data = json.loads((pack / "manifest.json").read_text())
    del data["exit_code"]
    (pack / "manifest.json").write_text(json.dumps(data))
    rep = verify_pack(pack, project.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-002"]
    assert "exit_code" in rep.diagnostics[0].message
    (pack / "manifest.json").write_text("{")
    assert _codes(pack, project.root) == ["PV-EVID-001"]
    (pack / "manifest.json").unlink()
    assert _codes(pack, project.root) == ["PV-EVID-001"]
    assert _codes(project.root / "evidence" / "absent", project.root) == ["PV-EVID-001"]


def test_manifest_file_names_cannot_escape_the_pack(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    data = json.loads((pack / "manifest.json").read_text())
    data["files"]["../../pyproject.toml"] = "0" * 64
    (pack / "manifest.json").write_text(json.dumps(data))
    rep = verify_pack(pack, project.root, CHECKS)
    assert [d.code for d in rep.diagnostics] == ["PV-EVID-002"]
    assert "outside the pack" in rep.diagnostics[0].message


def test_unknown_falsifier_and_missing_check_are_warnings(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _record(project, monkeypatch)
    rep = verify_pack(pack, project.root, {"FALSIFY-T-001": None})
    assert sorted(d.code for d in rep.diagnostics) == ["PV-EVID-010", "PV-EVID-011"]
    assert rep.ok  # warnings only
    assert not any(d.discharged for d in rep.discharges.values())


def test_stale_metrics_file_is_not_used(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    (project.root / "run.json").write_text(json.dumps({"val_loss": 1.0}))
    pack = _record(project, monkeypatch, code="print('did nothing')", falsifiers=("FALSIFY-T-001",))
    m = load_manifest(pack)
    assert m.metrics == {} and m.metrics_source is None
    assert "not rewritten by the command" in m.notes[0]
    rep = verify_pack(pack, project.root, CHECKS)
    assert not rep.discharges["FALSIFY-T-001"].discharged
    assert "was not recorded" in rep.discharges["FALSIFY-T-001"].reason


def test_artifacts_are_copied_and_hashed(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    code = WRITE_METRICS + "; import os; os.makedirs('ckpt', exist_ok=True); open('ckpt/w.bin','wb').write(b'w')"
    pack = _record(project, monkeypatch, code=code, artifacts=[Path("ckpt"), Path("missing.bin")])
    m = load_manifest(pack)
    assert "artifacts/ckpt/w.bin" in m.files
    assert any("missing.bin was not produced" in n for n in m.notes)
    assert _codes(pack, project.root) == ["PV-EVID-017"]  # recorded with a note: a failed recording
    (pack / "artifacts/ckpt/w.bin").write_bytes(b"x")
    assert _codes(pack, project.root) == ["PV-EVID-017", "PV-EVID-003"]


def test_record_refuses_bad_input(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(project, monkeypatch)
    with pytest.raises(RecordError, match="already exists"):
        _record(project, monkeypatch)
    with pytest.raises(RecordError, match="not allowed"):
        _record(project, monkeypatch, name="../escape")
    with pytest.raises(RecordError, match="at least one falsifier"):
        _record(project, monkeypatch, name="x", falsifiers=())
