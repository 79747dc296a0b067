"""``pv evidence verify``: is this pack intact, anchored in history, and does it hold?

Checks, in order (codes in :mod:`pv.evidence.codes`):

0. the pack is a real directory (not a link), every entry in it a regular
   file or directory (no link, FIFO, socket, device: PV-EVID-016);
1. ``manifest.json`` exists, is strict JSON (no duplicate key, huge integer,
   deep nesting) and matches schema v1; its ``name`` is the directory's name;
   it was recorded without notes (PV-EVID-017);
2. every listed file exists and has its recorded sha256; no unlisted file;
3. the manifest's metrics equal what the hashed metrics source says (the
   manifest cannot hash itself, so an edited metric is caught here);
4. the recorded commit exists in the repository (``git cat-file``);
5. for each falsifier the pack names: the run exited 0 (unless the check is
   on ``exit_code``) and the falsifier's ``check`` holds on the metrics.

A pack *discharges* a falsifier only when 0-4 pass, 5 passes for it, and the
citing reference's seal equals the manifest's sha256 (pv.evidence.seal: the
manifest cannot hash itself, the contract holds its digest). ``seals`` lets a
caller check the seals cited for the pack in the same report.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.diagnostics import Diagnostic, Severity
from pv.evidence import codes as _codes  # noqa: F401  (registers PV-EVID-*)
from pv.evidence.manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    file_kind,
    load_manifest,
    parse_metrics_text,
    read_regular,
)
from pv.evidence.predicate import CheckLike, evaluate
from pv.evidence.safejson import JsonRefused
from pv.evidence.seal import mismatch
from pv.ledger import sha256_file

# Findings about one falsifier's prediction (unmeasured, refuted, ...): they decide that
# falsifier's discharge, not whether the pack itself is intact.
PER_FALSIFIER_CODES = frozenset({"PV-EVID-008", "PV-EVID-009", "PV-EVID-010", "PV-EVID-011"})


@dataclass(frozen=True, slots=True)
class Discharge:
    """Whether a pack discharges one falsifier, and the one-line reason."""

    falsifier: str
    discharged: bool
    reason: str


@dataclass(slots=True)
class PackReport:
    pack_dir: Path
    manifest: Manifest | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    discharges: dict[str, Discharge] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """Steps 1-4 passed: nothing at error level outside the per-falsifier checks."""
        return self.manifest is not None and not any(
            d.severity is Severity.ERROR and d.code not in PER_FALSIFIER_CODES for d in self.diagnostics
        )

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def commit_exists(root: Path, commit: str) -> bool | None:
    """True/False from ``git cat-file -e``; None when ``root`` is not a git repository."""
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True,
            timeout=10, check=False,
        )
        if inside.returncode != 0:
            return None
        probe = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=root, capture_output=True, timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return probe.returncode == 0


MAX_ENTRIES = 100_000  # a pack holding more entries than this is refused rather than walked on


def _linked_component(pack_dir: Path, root: Path) -> Path | None:
    """The first symbolic link on the way from ``root`` to ``pack_dir`` (the pack itself included)."""
    try:
        rel = pack_dir.absolute().relative_to(root.absolute())
    except ValueError:
        return pack_dir if pack_dir.is_symlink() else None
    here = root.absolute()
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            return here
    return None


def _walk(pack_dir: Path) -> Iterator[tuple[str, int]]:
    """(pack-relative POSIX path, lstat mode) of every entry below ``pack_dir``; links are not followed."""
    stack = [pack_dir]
    seen = 0
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    raise ManifestError(f"the pack holds more than {MAX_ENTRIES} entries", code="PV-EVID-005")
                mode = entry.stat(follow_symlinks=False).st_mode
                path = Path(entry.path)
                yield path.relative_to(pack_dir).as_posix(), mode
                if stat.S_ISDIR(mode):
                    stack.append(path)


def verify_pack(
    pack_dir: Path,
    root: Path,
    checks: Mapping[str, CheckLike | None] | None = None,
    seals: Collection[str | None] | None = None,
) -> PackReport:
    """Verify one pack; ``checks`` maps falsifier ID -> its ``check`` (None: it has none).

    A falsifier named by the pack but absent from ``checks`` is unknown
    (PV-EVID-010, a warning). ``checks=None`` skips step 5 entirely.
    ``seals``: the seals contracts cite for this pack (None in it: a
    reference without one); each must equal the manifest's sha256
    (PV-EVID-014; PV-EVID-015 for a reference without a seal). ``seals=None``
    leaves seals to the caller (status and lint judge each reference).
    """
    mpath = _rel(pack_dir / MANIFEST, root)
    report = PackReport(pack_dir, None)

    def add(code: str, message: str, severity: Severity = Severity.ERROR, hint: str | None = None,
            path: str = mpath, **data: str) -> None:
        report.diagnostics.append(Diagnostic(code, severity, message, path, 1, 1, hint, dict(data)))

    linked = _linked_component(pack_dir, root)
    if linked is not None:
        add("PV-EVID-016", f"{_rel(linked, root) if linked != pack_dir else _rel(pack_dir, root)} is a symbolic "
            "link; an evidence pack must be a real directory of the project",
            hint="replace the link by the pack itself (git keeps packs as plain files)", path=_rel(pack_dir, root))
        return report
    if not pack_dir.is_dir():
        add("PV-EVID-001", f"evidence pack {_rel(pack_dir, root)} does not exist",
            hint="record it with `pv evidence record --name NAME --falsifier ID -- COMMAND`",
            path=_rel(pack_dir, root))
        return report
    try:
        manifest = load_manifest(pack_dir)
        entries = dict(_walk(pack_dir))
    except ManifestError as exc:
        add(exc.code, exc.message, hint="re-record the pack; manifests are written by `pv evidence record`")
        return report
    except OSError as exc:
        add("PV-EVID-001", f"cannot list the pack ({exc.strerror})", path=_rel(pack_dir, root))
        return report
    report.manifest = manifest
    if manifest.name != pack_dir.name:
        add("PV-EVID-002", f"the manifest's name {manifest.name!r} is not the pack's directory name "
            f"{pack_dir.name!r}", hint="packs are not renamed after recording; re-record it under the new name",
            field="name")
    if manifest.notes:
        add("PV-EVID-017", f"the pack was recorded with {len(manifest.notes)} note(s), so it is a failed "
            f"recording: {manifest.notes[0][:200]}", hint="fix what the note says and record the run again",
            field="notes")

    _check_files(pack_dir, root, manifest, entries, add)  # 2. special files and links, hashes, missing, extra
    _check_metrics(pack_dir, root, manifest, entries, add)  # 3. metrics re-derived from their hashed source
    _check_commit(root, manifest, add)  # 4. the commit anchored in history
    if seals is not None:  # 4b. the seals contracts cite
        _check_seals(pack_dir, root, manifest, seals, add)

    # 5. per-falsifier predictions
    if checks is not None:
        for fid in manifest.falsifiers:
            report.discharges[fid] = _judge(fid, manifest, checks, report.intact, add)
    return report


Add = Callable[..., None]  # verify_pack's ``add``: one finding against the pack


def _check_files(pack_dir: Path, root: Path, manifest: Manifest, entries: Mapping[str, int], add: Add) -> None:
    """Only regular files and directories; every listed file present with its recorded hash; nothing extra."""
    for rel, mode in sorted(entries.items()):
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            add("PV-EVID-016", f"{rel} is a {file_kind(mode)}; a pack holds only regular files and directories",
                hint="remove it; `pv evidence record` never writes links or special files", file=rel,
                path=_rel(pack_dir / rel, root))
    for rel, recorded in sorted(manifest.files.items()):
        path = pack_dir / rel
        mode = entries.get(rel)
        if mode is None:
            add("PV-EVID-004", f"{rel} is listed in the manifest but missing from the pack", file=rel,
                path=_rel(pack_dir / rel, root))
            continue
        if not stat.S_ISREG(mode):
            continue  # a directory here is PV-EVID-004's cousin; links and FIFOs were named above
        current = sha256_file(path)
        if current != recorded:
            add("PV-EVID-003", f"{rel} changed since it was recorded (sha256 {recorded[:12]}… now {current[:12]}…)",
                hint="evidence is immutable; restore the file from git or re-record the pack", file=rel,
                path=_rel(path, root))
    on_disk = {rel for rel, mode in entries.items() if not stat.S_ISDIR(mode)}
    for rel in sorted(on_disk - set(manifest.files) - {MANIFEST}):
        add("PV-EVID-005", f"{rel} is in the pack but not in the manifest", hint="remove it or re-record the pack",
            file=rel, path=_rel(pack_dir / rel, root))


def _check_metrics(pack_dir: Path, root: Path, manifest: Manifest, entries: Mapping[str, int], add: Add) -> None:
    """The manifest's metrics must be what its hashed metrics source says (a hand-edited number is caught)."""
    if manifest.metrics_source is not None:
        source = pack_dir / manifest.metrics_source
        mode = entries.get(manifest.metrics_source)
        if manifest.metrics_source not in manifest.files:
            add("PV-EVID-007", f"metrics_source {manifest.metrics_source!r} is not a hashed file of the pack")
        elif mode is not None and stat.S_ISREG(mode):
            try:
                derived = parse_metrics_text(read_regular(source, manifest.metrics_source).decode(
                    "utf-8", errors="replace"))
            except (ManifestError, JsonRefused) as exc:
                add("PV-EVID-007", f"{manifest.metrics_source} is refused as a metrics source: "
                    f"{getattr(exc, 'message', exc)}", path=_rel(source, root), file=manifest.metrics_source)
                derived = manifest.metrics
            if derived != manifest.metrics:
                changed = _changed_keys(manifest.metrics, derived or {})
                add("PV-EVID-007", f"manifest metrics disagree with {manifest.metrics_source} ({changed})",
                    hint="the manifest was edited after recording; re-record the pack")
    elif manifest.metrics:
        add("PV-EVID-007", "manifest has metrics but no metrics_source they were read from")


def _check_commit(root: Path, manifest: Manifest, add: Add) -> None:
    """The recorded commit must exist in this repository's history."""
    if manifest.commit is None:
        add("PV-EVID-013", "no git commit was recorded with this pack",
            hint="record packs inside the project's git repository")
    else:
        exists = commit_exists(root, manifest.commit)
        if exists is None:
            add("PV-EVID-013", f"cannot check commit {manifest.commit[:12]}: {root} is not a git repository")
        elif not exists:
            add("PV-EVID-006", f"recorded commit {manifest.commit[:12]} does not exist in this repository's history",
                hint="the pack was recorded elsewhere or its commit was rewritten; re-record it here",
                commit=manifest.commit)


def _check_seals(pack_dir: Path, root: Path, manifest: Manifest, seals: Collection[str | None], add: Add) -> None:
    """Every seal a contract cites must equal the manifest's sha256."""
    cited = set(seals)
    for seal in sorted(cited, key=str):
        problem = mismatch(_rel(pack_dir, root), manifest.sha256, seal, root, manifest.to_json())
        if problem:
            add("PV-EVID-014" if seal else "PV-EVID-015", problem, field="seal",
                hint="restore manifest.json from git; a pack re-recorded on purpose is sealed again with "
                "`pv evidence seal --write`" if seal else f"pv evidence seal --write {_rel(pack_dir, root)}")


def _judge(fid: str, manifest: Manifest, checks: Mapping[str, CheckLike | None], intact: bool, add: Any) -> Discharge:
    if fid not in checks:
        add("PV-EVID-010", f"pack names falsifier {fid}, which no contract defines", Severity.WARNING,
            falsifier=fid)
        return Discharge(fid, False, f"no contract defines {fid}")
    check = checks[fid]
    if check is None:
        add("PV-EVID-011", f"{fid} has no machine-checkable `check:`; this pack cannot discharge it",
            Severity.WARNING, hint="add e.g. `check: {metric: val_loss, op: \"<\", value: 9.38}` to the falsifier",
            falsifier=fid)
        return Discharge(fid, False, f"{fid} has no `check:` to evaluate on the pack's metrics")
    metrics = dict(manifest.metrics)
    if check.metric == "exit_code" and "exit_code" not in metrics:
        metrics["exit_code"] = manifest.exit_code
    elif manifest.exit_code != 0:
        add("PV-EVID-009", f"{fid}: the recorded command exited {manifest.exit_code}; a failing run discharges nothing",
            falsifier=fid)
        return Discharge(fid, False, f"recorded run of pack {manifest.name} exited {manifest.exit_code}")
    result = evaluate(check, metrics)
    if not result.holds:
        add("PV-EVID-008", f"{fid}: {result.message}", falsifier=fid)
        return Discharge(fid, False, result.message)
    if not intact:
        return Discharge(fid, False, f"pack {manifest.name} does not verify")
    return Discharge(fid, True, result.message)


def _changed_keys(recorded: Mapping[str, Any], derived: Mapping[str, Any]) -> str:
    keys = sorted(k for k in set(recorded) | set(derived) if recorded.get(k, object()) != derived.get(k, object()))
    shown = ", ".join(f"{k}: manifest {recorded.get(k)!r} vs source {derived.get(k)!r}" for k in keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
