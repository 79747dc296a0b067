"""Every code ``pv validate`` emits, registered once (docs/validate.md is the catalogue).

Categories: PV-YAML (reading and parsing a file), PV-SCH (schema: keys, types, required
fields), PV-ID (IDs within one contract), PV-SEM (semver and changelog), PV-REF (across
contracts: duplicate IDs, depends_on, cited falsifiers). ``pv lint`` shows PV-REF as its
"references" gate, the rest as "schema".
"""

from __future__ import annotations

from pv.checks.registry import register
from pv.diagnostics import Severity

E, W = Severity.ERROR, Severity.WARNING

# --- PV-YAML: reading ---------------------------------------------------------------
YAML_SYNTAX = register("PV-YAML-001", E, "YAML does not parse",
                       "The file is not valid YAML. Fix the syntax at the position shown.").code
YAML_EMPTY = register("PV-YAML-002", E, "empty document",
                      "The file holds no YAML document (empty, only comments, or a bare null). "
                      "Write the contract or delete the file.").code
YAML_DUPKEY = register("PV-YAML-003", E, "duplicate mapping key",
                       "A mapping names the same key twice; YAML loaders silently keep the last one. "
                       "Merge the two entries into one.").code
YAML_ENCODING = register("PV-YAML-004", E, "not UTF-8",
                         "Contracts are UTF-8 text. Re-save the file as UTF-8.").code
YAML_BINARY = register("PV-YAML-005", E, "binary file",
                       "The file contains NUL bytes, so it is not a YAML text file. "
                       "Remove it from the contracts directory.").code
YAML_TOO_LARGE = register("PV-YAML-006", E, "file over the size cap",
                          "Files above max_file_bytes (default 4 MiB) are refused before parsing. Split the "
                          "contract, or raise the cap with --max-file-bytes or [tool.pv] max_file_bytes.").code
YAML_BOMB = register("PV-YAML-007", E, "alias expansion or nesting limit exceeded",
                     "Anchors and aliases expand to more nodes than the file could hold literally "
                     "(a 'billion laughs' alias bomb), or nests deeper than pv loads (about 400 "
                     "levels). pv stops and refuses the file. Inline the repeated content or use fewer "
                     "nested aliases.").code
YAML_TAG = register("PV-YAML-008", E, "tag refused",
                    "Only plain YAML values are accepted (strings, numbers, booleans, null, lists, "
                    "mappings). Tags such as !!python/object or custom !tags are refused: loading is "
                    "always safe. Remove the tag.").code
YAML_NOT_MAPPING = register("PV-YAML-009", E, "top level is not a mapping",
                            "A contract is a YAML mapping (key: value) at the top level.").code
YAML_MULTI_DOC = register("PV-YAML-010", E, "several YAML documents in one file",
                          "A contract file holds exactly one document; split the '---' documents "
                          "into separate files.").code
PATH_MISSING = register("PV-YAML-011", E, "path does not exist",
                        "A path given on the command line or in [tool.pv] contracts does not exist. "
                        "Check the spelling; globs must match at least one file.").code
PATH_UNREADABLE = register("PV-YAML-012", E, "path cannot be read",
                           "The path could not be opened (permission denied, a symlink loop, "
                           "or a dangling link).").code
PATH_NO_CONTRACTS = register("PV-YAML-013", E, "no contracts under this path",
                             "A directory given holds no *.yaml or *.yml file.").code
YAML_RECURSIVE = register("PV-YAML-014", E, "recursive alias",
                          "An alias refers to a node that contains it, so the value would be infinite. "
                          "Remove the self-reference.").code
YAML_COMPLEX_KEY = register("PV-YAML-015", E, "mapping key is not a scalar",
                            "Keys must be plain scalars (text). Replace the list or mapping used as a key.").code
YAML_BAD_SCALAR = register("PV-YAML-016", E, "scalar does not fit its type",
                           "An explicitly tagged scalar whose text is not a value of that type (`!!int 0x`, "
                           "`!!bool maybe`, `!!float x`, `!!null x`), an integer longer than 4,300 digits, or "
                           "a float that overflows to infinity (write `.inf` for infinity). Write the value "
                           "plainly, or quote it to keep it as text.").code
FILE_UNCHECKED = register("PV-YAML-017", E, "file could not be checked",
                          "pv hit an unexpected error while checking this file (a pv bug: please report it "
                          "with the file). The file is reported as failing and every other file is still "
                          "checked; rerun with --debug for the traceback.").code

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
                            "Contract IDs (contract_id, metadata.id, else the file stem) are unique "
                            "across all contracts given.").code
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
