"""The tamper matrix: every field and file of a sealed evidence pack edited, removed, duplicated,
replaced by a link or a FIFO. Each edit must leave the falsifier undischarged (what ``pv status``
concludes, through the same EvidenceBook) and be reported by ``pv evidence verify`` with the code,
the file and the field. Includes the two forged discharges found by hand: a failing pack's
``exit_code`` 3 -> 0, and an ID added to a pack's ``falsifiers`` list. docs/reliability.md lists
the rows.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pvstatus_project import Project, git

from pv.evidence.manifest import load_manifest
from pv.evidence.record import record
from pv.evidence.verify import verify_pack
from pv.model.base import Check
from pv.status.ladder import EvidenceBook

F1, F2 = "FALSIFY-T-001", "FALSIFY-T-002"
CHECKS = {F1: Check(metric="val_loss", op="<", value=9.38), F2: Check(metric="val_loss", op="<", value=9.38)}
RUN = ("import json, os, sys; print('training'); os.makedirs('ckpt', exist_ok=True); "
       "open('ckpt/w.bin', 'wb').write(b'weights'); json.dump({'val_loss': 7.25, 'steps': 500}, open('run.json', 'w'))")
FAILING_RUN = RUN + "; sys.exit(3)"


class Pack:
    """A sealed, committed pack in a fresh project, and the seal its contract carries."""

    original: bytes  # the sealed manifest's bytes (fuzz restores them after each example)

    def __init__(self, project: Project, failing: bool = False) -> None:
        self.project = project
        self.root = project.root
        self.dir = self.root / "evidence" / "run-1"
        project.commit("code")
        old = os.getcwd()
        os.chdir(self.root)
        try:
            record(name="run-1", falsifiers=[F1], command=[sys.executable, "-c", FAILING_RUN if failing else RUN],
                   root=self.root, evidence_dir=self.root / "evidence", metrics_file=Path("run.json"),
                   artifacts=[Path("ckpt")], echo=False)
        finally:
            os.chdir(old)
        (self.root / "run.json").unlink()
        shutil.rmtree(self.root / "ckpt")
        self.seal = load_manifest(self.dir).sha256
        project.commit("evidence")  # HEAD holds the sealed manifest: mismatches can name the field

    def copy(self, root: Path) -> Pack:
        """The same project and pack under ``root`` (a recording costs a subprocess; a copy does not)."""
        shutil.copytree(self.root, root, symlinks=True)
        twin = object.__new__(Pack)
        twin.project, twin.root, twin.dir, twin.seal = Project.__new__(Project), root, root / "evidence/run-1", self.seal
        twin.project.root = root
        twin.original = b""
        return twin

    @property
    def manifest(self) -> Path:
        return self.dir / "manifest.json"

    def edit(self, change: Callable[[dict], None]) -> None:
        data = json.loads(self.manifest.read_text())
        change(data)
        self.manifest.write_text(json.dumps(data, indent=2) + "\n")

    def verdict(self, falsifier: str = F1) -> tuple[bool, str]:
        """What status concludes for a reference carrying the seal: (discharged, reason)."""
        state = EvidenceBook(self.root, CHECKS).judge("evidence/run-1", falsifier, self.seal)
        return state.discharged, state.note

    def findings(self) -> list[tuple[str, str]]:
        """(code, message + file + field) of every error ``pv evidence verify`` reports."""
        rep = verify_pack(self.dir, self.root, CHECKS, seals=[self.seal])
        return [(d.code, f"{d.path} {d.message} {d.data}") for d in rep.diagnostics if d.severity.name == "ERROR"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    return Pack(Project(tmp_path_factory.mktemp("pristine") / "proj"))


@pytest.fixture
def pack(pristine: Pack, tmp_path: Path) -> Pack:
    return pristine.copy(tmp_path / "proj")


def _keys(path: str | tuple[str, ...]) -> list[str]:
    return path.split(".") if isinstance(path, str) else list(path)


def _set(path: str | tuple[str, ...], value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *parents, last = _keys(path)
        node = data
        for p in parents:
            node = node[p]
        node[last] = value
    return change


def _drop(path: str | tuple[str, ...]) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        *parents, last = _keys(path)
        node = data
        for p in parents:
            node = node[p]
        del node[last]
    return change


def _other_commit(pack: Pack) -> Callable[[dict], None]:
    head = git(pack.root, "rev-parse", "HEAD")  # the commit that added the pack: real, but not the recorded one
    assert head != load_manifest(pack.dir).commit
    return _set("git.commit", head)


def _fifo(path: Path) -> None:
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)


def _link_outside(path: Path, outside: Path) -> None:
    outside.write_bytes(path.read_bytes() if path.is_file() else b"{}")
    path.unlink()
    path.symlink_to(outside)


# (row name, edit, expected code, text the finding must contain: the file and the field)
MANIFEST_EDITS: list[tuple[str, Callable[[Pack], None], str, str]] = [
    ("exit_code 0 -> 3", lambda p: p.edit(_set("exit_code", 3)), "PV-EVID-014", "exit_code"),
    ("falsifiers: ID added", lambda p: p.edit(_set("falsifiers", [F1, F2])), "PV-EVID-014", "falsifiers"),
    ("falsifiers: duplicated ID", lambda p: p.edit(_set("falsifiers", [F1, F1])), "PV-EVID-002", "falsifiers"),
    ("metrics: value edited", lambda p: p.edit(_set("metrics.val_loss", 1.0)), "PV-EVID-014", "metrics"),
    ("metrics_source: other file", lambda p: p.edit(_set("metrics_source", "stdout.txt")), "PV-EVID-014",
     "metrics_source"),
    ("argv edited", lambda p: p.edit(_set("argv", ["python", "other.py"])), "PV-EVID-014", "argv"),
    ("cwd edited", lambda p: p.edit(_set("cwd", "elsewhere")), "PV-EVID-014", "cwd"),
    ("created edited", lambda p: p.edit(_set("created", "2020-01-01T00:00:00Z")), "PV-EVID-014", "created"),
    ("duration_s edited", lambda p: p.edit(_set("duration_s", 788.0)), "PV-EVID-014", "duration_s"),
    ("git.commit: another real commit", lambda p: p.edit(_other_commit(p)), "PV-EVID-014", "git.commit"),
    ("git.commit: unknown", lambda p: p.edit(_set("git.commit", "0" * 40)), "PV-EVID-006", "0000000000"),
    ("git.dirty flipped", lambda p: p.edit(_set("git.dirty", True)), "PV-EVID-014", "git.dirty"),
    ("environment.device edited", lambda p: p.edit(_set("environment.device", "H100")), "PV-EVID-014",
     "environment.device"),
    ("environment.packages edited", lambda p: p.edit(_set("environment.packages", {"torch": "9"})),
     "PV-EVID-014", "environment.packages"),
    ("notes: one added", lambda p: p.edit(_set("notes", ["metrics file was not written"])), "PV-EVID-017",
     "notes"),
    ("name edited", lambda p: p.edit(_set("name", "run-2")), "PV-EVID-002", "name"),
    ("files: hash edited", lambda p: p.edit(_set(("files", "stdout.txt"), "0" * 64)), "PV-EVID-003", "stdout.txt"),
    ("files: entry removed", lambda p: p.edit(_drop(("files", "stderr.txt"))), "PV-EVID-005", "stderr.txt"),
    ("files: entry added", lambda p: p.edit(_set(("files", "extra.txt"), "0" * 64)), "PV-EVID-004", "extra.txt"),
    ("files: name escapes the pack", lambda p: p.edit(_set(("files", "../x"), "0" * 64)), "PV-EVID-002", "../x"),
    ("schema_version edited", lambda p: p.edit(_set("schema_version", 2)), "PV-EVID-002", "schema_version"),
    ("unknown field added", lambda p: p.edit(_set("signed_by", "me")), "PV-EVID-002", "signed_by"),
    *[(f"{field} removed", (lambda f: lambda p: p.edit(_drop(f)))(field), "PV-EVID-002", field)
      for field in ("exit_code", "falsifiers", "metrics", "git", "notes", "files", "name")],
    ("only reformatted", lambda p: p.manifest.write_text(json.dumps(json.loads(p.manifest.read_text()))),
     "PV-EVID-014", "(formatting only)"),
    ("duplicate exit_code key", lambda p: p.manifest.write_text(
        p.manifest.read_text().replace('"exit_code": 0,', '"exit_code": 3, "exit_code": 0,')),
     "PV-EVID-002", "duplicate key 'exit_code'"),
    ("huge integer", lambda p: p.manifest.write_text(
        p.manifest.read_text().replace('"exit_code": 0,', '"exit_code": ' + "9" * 5000 + ",")),
     "PV-EVID-002", "5000 digits"),
    ("deep nesting", lambda p: p.edit(_set("metrics.deep", json.loads("[" * 300 + "]" * 300))),
     "PV-EVID-002", "nested more than"),
    ("not JSON", lambda p: p.manifest.write_text("{not json"), "PV-EVID-001", "manifest.json"),
    ("manifest removed", lambda p: p.manifest.unlink(), "PV-EVID-001", "manifest.json is missing"),
    ("manifest is a FIFO", lambda p: _fifo(p.manifest), "PV-EVID-016", "FIFO"),
]

FILE_EDITS: list[tuple[str, Callable[[Pack, Path], None], str, str]] = [
    ("stdout.txt edited", lambda p, t: (p.dir / "stdout.txt").write_text("forged\n"), "PV-EVID-003", "stdout.txt"),
    ("metrics.json edited", lambda p, t: (p.dir / "metrics.json").write_text('{"val_loss": 1.0, "steps": 500}'),
     "PV-EVID-003", "metrics.json"),
    ("metrics.json: duplicate key", lambda p, t: (p.dir / "metrics.json").write_text(
        '{"val_loss": 7.25, "steps": 500, "val_loss": 1.0}'), "PV-EVID-007", "duplicate key 'val_loss'"),
    ("artifact edited", lambda p, t: (p.dir / "artifacts/ckpt/w.bin").write_bytes(b"x"), "PV-EVID-003",
     "artifacts/ckpt/w.bin"),
    ("stderr.txt removed", lambda p, t: (p.dir / "stderr.txt").unlink(), "PV-EVID-004", "stderr.txt"),
    ("metrics.json removed", lambda p, t: (p.dir / "metrics.json").unlink(), "PV-EVID-004", "metrics.json"),
    ("stdout.txt duplicated", lambda p, t: shutil.copyfile(p.dir / "stdout.txt", p.dir / "stdout copy.txt"),
     "PV-EVID-005", "stdout copy.txt"),
    ("stdout.txt -> link outside", lambda p, t: _link_outside(p.dir / "stdout.txt", t / "out.txt"),
     "PV-EVID-016", "stdout.txt is a symbolic link"),
    ("metrics.json -> FIFO", lambda p, t: _fifo(p.dir / "metrics.json"), "PV-EVID-016", "metrics.json is a FIFO"),
    ("extra FIFO", lambda p, t: os.mkfifo(p.dir / "pipe"), "PV-EVID-016", "pipe is a FIFO"),
    ("extra link to a pack file", lambda p, t: (p.dir / "alias.txt").symlink_to("stdout.txt"), "PV-EVID-016",
     "alias.txt is a symbolic link"),
    ("artifact dir -> link outside", lambda p, t: (shutil.rmtree(p.dir / "artifacts/ckpt"), shutil.copytree(
        p.root / "evidence/run-1/artifacts", t / "arts", dirs_exist_ok=True),
        (p.dir / "artifacts/ckpt").symlink_to(t / "arts")), "PV-EVID-016", "artifacts/ckpt is a symbolic link"),
    ("manifest.json -> link outside", lambda p, t: _link_outside(p.manifest, t / "manifest.json"), "PV-EVID-016",
     "manifest.json is a symbolic link"),
    ("pack folder -> link outside", lambda p, t: (shutil.move(p.dir, t / "pack"), p.dir.symlink_to(t / "pack")),
     "PV-EVID-016", "evidence/run-1 is a symbolic link"),
]


def test_the_untouched_pack_discharges(pack: Pack) -> None:
    assert pack.verdict() == (True, pack.verdict()[1])
    assert pack.findings() == []


def _assert_caught(pack: Pack, code: str, names: str) -> None:
    discharged, reason = pack.verdict()
    assert not discharged, f"status still discharges {F1}: {reason}"
    found = pack.findings()
    if code == "PV-EVID-014":  # a seal mismatch names the changed fields (HEAD holds the sealed manifest)
        found = [(c, t.split("changed since sealed: ", 1)[-1]) for c, t in found if "changed since sealed: " in t]
    assert any(c == code and names in text for c, text in found), found


@pytest.mark.parametrize(("edit", "code", "names"), [row[1:] for row in MANIFEST_EDITS],
                         ids=[row[0] for row in MANIFEST_EDITS])
def test_manifest_edit_is_caught(pack: Pack, edit: Callable[[Pack], None], code: str, names: str) -> None:
    edit(pack)
    _assert_caught(pack, code, names)


@pytest.mark.parametrize(("edit", "code", "names"), [row[1:] for row in FILE_EDITS],
                         ids=[row[0] for row in FILE_EDITS])
def test_file_edit_is_caught(pack: Pack, tmp_path: Path, edit: Callable[[Pack, Path], None], code: str,
                             names: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    edit(pack, outside)
    _assert_caught(pack, code, names)


def test_forged_discharge_failing_run_exit_code(project: Project) -> None:
    """A failing pack (exit 3) edited to exit 0 must not discharge its falsifier."""
    pack = Pack(project, failing=True)
    assert pack.verdict() == (False, pack.verdict()[1]) and "exited 3" in pack.verdict()[1]
    pack.edit(_set("exit_code", 0))
    discharged, reason = pack.verdict()
    assert not discharged and "changed since sealed: exit_code" in reason, reason
    assert any(c == "PV-EVID-014" and "exit_code" in t for c, t in pack.findings())


def test_forged_discharge_added_falsifier(pack: Pack) -> None:
    """A second falsifier citing the pack is not discharged by adding its ID to the manifest."""
    assert not pack.verdict(F2)[0]
    pack.edit(_set("falsifiers", [F1, F2]))
    for fid in (F1, F2):
        discharged, reason = pack.verdict(fid)
        assert not discharged and "changed since sealed: falsifiers" in reason, reason


def test_forged_discharge_through_pv_status(pack: Pack) -> None:
    """End to end: the contract's discharged count stays 1/2 after the falsifier-list edit."""
    ref = f"LIVE: evidence/run-1@sha256:{pack.seal}"
    pack.project.write("contracts/demo.yaml", f"""
        metadata:
          version: 1.0.0
          status: FUNCTIONAL
          description: demo
        equations:
          e:
            formula: y = x
        falsification_tests:
          - id: {F1}
            rule: r
            prediction: p
            test: "{ref}"
            check: {{metric: val_loss, op: "<", value: 9.38}}
          - id: {F2}
            rule: r
            prediction: p
            test: "{ref}"
            check: {{metric: val_loss, op: "<", value: 9.38}}
        """)

    def discharged() -> str:
        proc = pack.project.pv("status", "--format", "json")
        (contract,) = json.loads(proc.stdout)["contracts"]
        return f'{contract["counts"]["discharged"]}/{contract["counts"]["live"]}'

    assert discharged() == "1/2"
    pack.edit(_set("falsifiers", [F1, F2]))
    assert discharged() == "0/2"  # the edit is caught: nothing is discharged, not 2/2


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)
FIELDS = st.sampled_from(["exit_code", "falsifiers", "metrics", "metrics_source", "files", "notes", "name", "git",
                          "argv", "schema_version", "duration_s", "environment", "created", "cwd"])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _judged(pack: Pack, raw: bytes) -> None:
    """Whatever manifest.json holds, verify answers with findings and a changed one never discharges."""
    pack.manifest.write_bytes(raw)
    try:
        discharged, reason = pack.verdict()
        rep = verify_pack(pack.dir, pack.root, CHECKS, seals=[pack.seal])
    finally:
        pack.manifest.write_bytes(pack.original)
    assert not discharged, reason
    assert any(d.severity.name == "ERROR" for d in rep.diagnostics)
    assert all(d.code.startswith("PV-EVID-") for d in rep.diagnostics)


@pytest.fixture(scope="module")
def fuzz_pack(pristine: Pack, tmp_path_factory: pytest.TempPathFactory) -> Pack:
    pack = pristine.copy(tmp_path_factory.mktemp("fuzz") / "proj")
    pack.original = pack.manifest.read_bytes()
    return pack


@FUZZ
@given(field=FIELDS, value=JSON_VALUES)
def test_fuzzed_manifest_field_never_discharges(fuzz_pack: Pack, field: str, value: object) -> None:
    data = json.loads(fuzz_pack.original)
    if data.get(field) == value:
        return
    data[field] = value
    _judged(fuzz_pack, json.dumps(data, indent=2).encode())


@FUZZ
@given(at=st.integers(0, 10_000), junk=st.binary(min_size=1, max_size=8), cut=st.integers(0, 8))
def test_fuzzed_manifest_bytes_never_discharge(fuzz_pack: Pack, at: int, junk: bytes, cut: int) -> None:
    raw = fuzz_pack.original
    at %= len(raw)
    mutated = raw[:at] + junk + raw[at + cut:]
    if mutated != raw:
        _judged(fuzz_pack, mutated)


def test_seal_writes_the_seal_into_citing_contracts_and_refuses_a_broken_pack(pack: Pack) -> None:
    """Migration path for packs recorded before seals: `pv evidence seal --write`, no re-run."""
    contract = pack.project.write("contracts/demo.yaml", f"""
        metadata:
          version: 1.0.0
          description: demo
        falsification_tests:
          - id: {F1}
            rule: r
            prediction: p
            test: ["LIVE: evidence/run-1", "LIVE: evidence/run-1/"]
        """)
    dry = pack.project.pv("evidence", "seal")
    assert dry.returncode == 0 and f"LIVE: evidence/run-1@sha256:{pack.seal}" in dry.stdout
    assert "contracts/demo.yaml: 2 reference(s) to seal (pass --write)" in dry.stdout
    assert "@sha256" not in contract.read_text()
    assert pack.project.pv("evidence", "seal", "--write").returncode == 0
    assert contract.read_text().count(f"LIVE: evidence/run-1@sha256:{pack.seal}") == 2
    (pack.dir / "stdout.txt").write_text("forged\n")
    broken = pack.project.pv("evidence", "seal", "evidence/run-1")
    assert broken.returncode == 1 and "NOT SEALED: PV-EVID-003 stdout.txt changed" in broken.stdout
