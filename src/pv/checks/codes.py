"""Every code ``pv validate`` emits, registered once (docs/validate.md is the catalogue).

Categories (PV-YAML, reading and parsing a file, lives with the parser in pv.parse.codes): PV-SCH (schema: keys, types, required
fields), PV-ID (IDs within one contract), PV-SEM (semver and changelog), PV-REF (across
contracts: duplicate IDs, depends_on, cited falsifiers). ``pv lint`` shows PV-REF as its
"references" gate, the rest as "schema".
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E, W = Severity.ERROR, Severity.WARNING

# --- PV-SCH: schema -------------------------------------------------------------------
SCH_UNKNOWN_KEY = register("PV-SCH-001", E, "unknown key",
                           "The key is not part of the schema, so it would be ignored. Fix the spelling "
                           "(pv suggests the nearest known key), prefix it with 'x-' to mark a deliberate "
                           "extension, or declare it in [tool.pv] extension_keys.").code
SCH_TYPE = register("PV-SCH-002", E, "wrong type",
                    "The value has the wrong type (for example a number where text is expected). Quote "
                    "versions ('1.0.0') and use lists where the schema says list.").code
SCH_MISSING = register("PV-SCH-003", E, "missing required field",
                       "A required field is absent. Add it.").code
SCH_EMPTY = register("PV-SCH-004", E, "empty text",
                     "A field that must carry text is empty or only whitespace. Write the text.").code
SCH_ENUM = register("PV-SCH-005", E, "value not allowed",
                    "The value is not one of the values this field accepts; the message lists them.").code
SCH_STATUS = register("PV-SCH-006", E, "unknown status",
                      "A contract status must be a rung of the ladder (DRAFT, PARTIAL_ALGORITHM_LEVEL, "
                      "FUNCTIONAL, DISCHARGED) or an accepted spelling (PROPOSED, ACTIVE, ACTIVE_RUNTIME, "
                      "DRAFT_PARTIAL_DISCHARGE).").code
SCH_INVALID = register("PV-SCH-007", E, "invalid value",
                       "The value breaks a rule of its field (for example a 'within' check without a "
                       "tolerance, or a negative bound).").code
SCH_UNKNOWN_KIND = register("PV-SCH-008", E, "not a contract",
                            "The file has none of the top-level keys of a contract (metadata, contract_id, "
                            "falsification_tests, gates, ...) nor of a binding registry (bindings, "
                            "target_crate). Only contracts belong in a contracts directory.").code
SCH_ALIAS_CLASH = register("PV-SCH-009", E, "field given twice under two spellings",
                           "Two accepted spellings of one field are both present (for example 'prediction' "
                           "and 'expected'); one would be ignored. Keep one.").code

# --- PV-ID: IDs within one contract ------------------------------------------------
ID_DUPLICATE = register("PV-ID-001", E, "duplicate ID in this contract",
                        "Falsifier, gate, invariant, obligation, harness and failure-mode IDs are unique "
                        "within a contract. Rename one of the two.").code
ID_DANGLING = register("PV-ID-002", E, "cited ID resolves nowhere in this contract",
                       "A Kani harness's obligation names no proof obligation (by id or property) and no "
                       "equation, in a contract whose obligations carry IDs (a renamed ID: pv says which "
                       "one you probably meant). Where obligations carry no id, as in the Rust pv's "
                       "schema, the reference is free-form and only an empty one is an error.").code
ID_MALFORMED = register("PV-ID-003", E, "malformed ID",
                        "IDs are single tokens: no whitespace. Use '-' or '_' between words.").code

# --- PV-SEM: versions ------------------------------------------------------------------
SEM_NOT_SEMVER = register("PV-SEM-001", E, "version is not semver",
                          "Versions are MAJOR.MINOR.PATCH (for example '1.0.0'), quoted so YAML keeps "
                          "them as text.").code
SEM_MISMATCH = register("PV-SEM-002", E, "top-level and metadata versions disagree",
                        "When both 'version' and 'metadata.version' exist they must be equal; one was "
                        "bumped without the other.").code
SEM_NOT_IN_CHANGELOG = register("PV-SEM-003", E, "changelog skips the current version",
                                "The changelog has no entry for the contract's version. Add one saying "
                                "what changed.").code
SEM_NEWEST = register("PV-SEM-004", E, "newest changelog entry is not the version",
                      "The newest changelog entry must equal the contract's version: either the version "
                      "was not bumped or the changelog runs ahead of it.").code
SEM_ORDER = register("PV-SEM-005", E, "changelog goes backwards",
                     "Changelog entries run in one direction (newest first, or oldest first) without "
                     "repeats. Move the entry to its place.").code
SEM_ENTRY = register("PV-SEM-006", E, "malformed changelog entry",
                     "A changelog entry is a string 'X.Y.Z (YYYY-MM-DD): text' (the date may be "
                     "left out, the version may start with 'v': 'v1.2.0: text') or a mapping "
                     "{version, date, change}.").code
SEM_NO_VERSION = register("PV-SEM-007", E, "no version",
                          "A contract states its version, at the top level or in metadata.version.").code

# --- PV-REF: across contracts ------------------------------------------------------
REF_DUP_CONTRACT = register("PV-REF-001", E, "two files declare the same contract ID",
                            "Contract IDs written in a file (contract_id, metadata.id, a kaizen record's "
                            "contract) are unique across all contracts given; an ID taken from the file "
                            "stem is namespaced by its folder.").code
REF_DUP_ID = register("PV-REF-002", E, "ID declared in two contracts",
                      "A falsifier, gate, invariant, harness or failure-mode ID is declared by two "
                      "contracts; citations to it would be ambiguous. Rename one.").code
REF_DEPENDS = register("PV-REF-003", E, "depends_on names no contract",
                       "Each metadata.depends_on entry names a contract (its ID or file stem) among the "
                       "contracts given or next to the citing file. Fix the name or add the contract.").code
REF_FALSIFIER = register("PV-REF-004", W, "gate cites a falsifier defined nowhere",
                         "A gate's falsification_id names no falsifier, gate or invariant in the contracts "
                         "given. Validate the whole registry together, or define the falsifier.").code
REF_BINDING = register("PV-REF-005", E, "binding names an unknown contract or equation",
                       "A binding.yaml entry names a contract that is not among the contracts given, or "
                       "an equation that contract does not define.").code
REF_BINDING_AMBIGUOUS = register("PV-REF-006", E, "binding names a contract that several files match",
                                 "A binding.yaml entry names a contract by file name; it is looked up next to "
                                 "the binding, then at the registry root. When neither holds it and several "
                                 "files elsewhere in the registry match, pv cannot tell which one is meant. "
                                 "Write the path relative to the binding (e.g. 'sub/name-v1.yaml').").code
