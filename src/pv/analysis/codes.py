"""Every code the analysis modules emit, registered in pv's one rule table (docs/analysis.md).

Categories: PV-DIFF (version bump against a base revision), PV-GRAPH (the
dependency graph), PV-CONST (facts that contradict each other), PV-COV
(traceability: coverage and audit).
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E, W = Severity.ERROR, Severity.WARNING

DIFF_NO_BUMP = register("PV-DIFF-001", E, "content changed without a version bump",
                        "The contract's content differs from the base revision but its version did not go "
                        "up. Bump the version by what `pv diff --git BASE FILE` says the change needs and add "
                        "a changelog entry.").code
DIFF_SMALL_BUMP = register("PV-DIFF-002", E, "version bump smaller than the change needs",
                           "A promise was removed or changed (major) or added (minor), but the version went up "
                           "by less. See docs/analysis.md for the semver table.").code
DIFF_NO_CHANGELOG = register("PV-DIFF-003", E, "no changelog entry for the new version",
                             "The content changed and the version was bumped, but metadata.changelog has no "
                             "entry for the new version. Say what changed.").code
GRAPH_CYCLE = register("PV-GRAPH-001", E, "dependency cycle",
                       "depends_on / parent_contracts links form a cycle; the message gives its path. "
                       "Remove one link: a contract cannot build on itself.").code
CONST_CONFLICT = register("PV-CONST-001", E, "related contracts pin a constant to different values",
                          "Two contracts joined by depends_on, parent or peer links (or a claim about a model "
                          "family and the family's descriptor) pin the same constant differently. Make them "
                          "agree, bumping the version of the one that changes.").code
CONST_SUMMARY = register("PV-CONST-002", E, "verification_summary contradicts the contract",
                         "A verification_summary count (total_obligations, tested) differs from what the "
                         "contract itself contains. Write the real count, or drop the hand-typed one.").code
CONST_QA_GATE = register("PV-CONST-003", E, "qa_gate states the wrong number of ship-blocking falsifiers",
                         "qa_gate text says 'N ship-blocking' but a different number of falsifiers are "
                         "ship_blocking (the default is true).").code
COV_OBLIGATION = register("PV-COV-001", W, "obligation covered by no falsifier",
                          "No falsifier lists this obligation in its obligations: field, so nothing could "
                          "prove it wrong. Kani harnesses are shown but do not count as falsifiers.").code
COV_FALSIFIER = register("PV-COV-002", W, "falsifier has no test",
                         "The falsifier is LIVE-PENDING, cites nothing, only a shell: harness, or an unwritten "
                         "pv scaffold. Write the test (pv scaffold makes a failing skeleton) and cite it.").code
COV_NO_FALSIFIERS = register("PV-COV-003", W, "contract has no falsifiers",
                             "A contract with nothing that could falsify it promises nothing checkable.").code
COV_NO_OBLIGATIONS = register("PV-COV-004", W, "equations but no proof obligations",
                              "The contract states equations but no proof_obligations saying what must hold "
                              "of them.").code
COV_DANGLING = register("PV-COV-005", E, "falsifier lists an obligation that does not exist",
                        "A falsifier's obligations: entry names no proof obligation of its contract (by id or "
                        "by the label before ':' in its property). Fix the name.").code
