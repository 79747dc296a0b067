"""PV-YAML: the codes of reading and parsing a file, beside the parser that emits them.

They live in parse/ (not checks/) so that parsing needs nothing from the layers above it;
docs/validate.md lists them with the rest of validate's codes, and ``pv lint`` shows them under
its "schema" gate.
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E = Severity.ERROR

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
