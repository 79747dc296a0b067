"""Finding codes of evidence verification (PV-EVID-*), one line of meaning each."""

from __future__ import annotations

CODES: dict[str, str] = {
    "PV-EVID-001": "evidence pack or its manifest.json is missing or not valid JSON",
    "PV-EVID-002": "manifest.json is malformed (not pv evidence manifest schema v1)",
    "PV-EVID-003": "a file in the pack changed since it was recorded (sha256 mismatch)",
    "PV-EVID-004": "a file listed in the manifest is missing from the pack",
    "PV-EVID-005": "the pack holds a file the manifest does not list",
    "PV-EVID-006": "the recorded git commit does not exist in this repository's history",
    "PV-EVID-007": "the manifest's metrics disagree with the pack's hashed metrics source",
    "PV-EVID-008": "a falsifier's machine-checkable prediction does not hold on the recorded metrics",
    "PV-EVID-009": "the recorded command failed (non-zero exit), so the pack discharges nothing",
    "PV-EVID-010": "the pack names a falsifier no contract defines",
    "PV-EVID-011": "the falsifier has no machine-checkable `check:`, so evidence cannot discharge it",
    "PV-EVID-012": "a contract cites an evidence pack that does not list that falsifier",
    "PV-EVID-013": "no git commit was recorded, or the repository cannot be asked about it",
}
