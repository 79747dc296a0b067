"""Finding codes of evidence verification (PV-EVID-*), registered in pv's rule registry."""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E, W = Severity.ERROR, Severity.WARNING

_RULES: tuple[tuple[str, Severity, str, str], ...] = (
    ("PV-EVID-001", E, "evidence pack or its manifest is missing or not JSON",
     "The pack directory or its manifest.json is missing, or the manifest is not valid JSON. Record packs "
     "with `pv evidence record`; never write them by hand."),
    ("PV-EVID-002", E, "manifest is malformed",
     "manifest.json does not match the pv evidence manifest schema v1 (docs/evidence.md): a field is "
     "missing, has the wrong type, or a file name points outside the pack. Re-record the pack."),
    ("PV-EVID-003", E, "a pack file changed since it was recorded",
     "The file's sha256 differs from the one recorded in the manifest. Evidence is immutable: restore the "
     "file from git, or record a new pack."),
    ("PV-EVID-004", E, "a pack file is missing",
     "The manifest lists a file the pack no longer holds. Restore it from git or record a new pack."),
    ("PV-EVID-005", E, "the pack holds an unlisted file",
     "A file was added to the pack after recording. Remove it, or record a new pack that includes it "
     "(--artifact)."),
    ("PV-EVID-006", E, "recorded commit is not in this repository",
     "The manifest's git commit does not exist in this repository's history (recorded elsewhere, or the "
     "history was rewritten). Re-record the pack on a commit of this repository."),
    ("PV-EVID-007", E, "manifest metrics disagree with the hashed metrics source",
     "The manifest's metrics differ from what its hashed metrics.json / stdout.txt says: the manifest "
     "was edited after recording. Re-record the pack."),
    ("PV-EVID-008", E, "prediction does not hold on the recorded metrics",
     "The falsifier's machine-checkable `check:` is false on the pack's metrics (or the metric was not "
     "recorded), so the run refutes the prediction instead of discharging it."),
    ("PV-EVID-009", E, "recorded run failed",
     "The recorded command exited non-zero. A failing run is kept as evidence of failure but discharges "
     "nothing (unless the falsifier's check is on exit_code itself)."),
    ("PV-EVID-010", W, "pack names an unknown falsifier",
     "The pack lists a falsifier ID that no contract defines (renamed?)."),
    ("PV-EVID-011", W, "falsifier has no machine-checkable check",
     "Evidence can discharge only a falsifier with `check: {metric, op, value}`; add one."),
    ("PV-EVID-012", E, "cited pack does not list the falsifier",
     "A contract cites `LIVE: evidence/<pack>` for a falsifier the pack was not recorded for. Cite the "
     "right pack, or record one with --falsifier for it."),
    ("PV-EVID-013", E, "commit cannot be checked",
     "The pack has no recorded commit, or the project is not a git repository, so its place in history "
     "cannot be verified. Record packs inside the project's git repository."),
    ("PV-EVID-014", E, "manifest does not match the contract's seal",
     "The contract cites `LIVE: evidence/<pack>@sha256:<digest>` and manifest.json's sha256 is another: the "
     "manifest was edited after it was sealed (an edited exit_code, falsifier list, commit...). Restore "
     "manifest.json from git; a pack re-recorded on purpose is sealed again with `pv evidence seal --write`."),
    ("PV-EVID-015", E, "LIVE reference carries no seal",
     "A pack's manifest cannot hash itself, so a contract citing it must carry the manifest's sha256: "
     "`LIVE: evidence/<pack>@sha256:<digest>`. Without a seal the pack discharges nothing. Run "
     "`pv evidence seal --write <pack>`."),
    ("PV-EVID-016", E, "link or special file in an evidence pack",
     "An evidence pack is a plain directory of regular files: a symbolic link (to outside the pack or not), "
     "a FIFO, socket or device in it, or the pack or its manifest being a link, is refused. Replace it by the "
     "regular file `pv evidence record` wrote."),
    ("PV-EVID-017", E, "pack was recorded with notes",
     "`pv evidence record` writes a note when something went wrong while recording (metrics not written, "
     "artifact missing, interrupted) and exits 1; such a pack is a failed recording and discharges nothing. "
     "Fix what the note says and record the run again."),
)

for _code, _sev, _title, _why in _RULES:
    register(_code, _sev, _title, _why)

CODES: dict[str, str] = {code: title for code, _, title, _ in _RULES}
