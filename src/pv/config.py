"""``[tool.pv]`` in the nearest pyproject.toml: one typed, validated settings object.

Unknown keys are an error (a typo in configuration must not silently turn a check off), and
every suppression needs a reason. Command-line flags override these values (each command applies
its own flags on top of the returned PvConfig).

Keys::

    [tool.pv]
    root = "."                      # project root (default: the directory of pyproject.toml)
    contracts = ["contracts"]       # default paths for pv validate/lint/status
    max_file_bytes = 4194304        # size cap per contract file
    extension_keys = ["owner"]      # extra keys allowed anywhere
    # or per place: {"*" = [...], "provable" = [...], "gate" = [...], "metadata" = [...]}
    ambiguous_bare_names = "error"  # or "warning" (pv lint)
    unknown-keys = "error"          # or "warn": unknown keys are reported as warnings (migration)
    severity = { "PV-REF-004" = "error" }
    suppress = [{ rule = "PV-SEM-005", reason = "legacy changelog, fixed in 2.0" }]
    diff_base = "origin/main"       # keys other commands own: see COMMAND_KEYS
    falsify_required = "DISCHARGED" # or "FUNCTIONAL" / "off": which rung needs killed mutants
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.diagnostics import Severity

DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
# Keys other commands own: name -> (type, what it is). Their values land in PvConfig.extra, checked
# for type here so a typo or a wrong type is still an error. Add a key here to give a command one.
COMMAND_KEYS: dict[str, tuple[type, str]] = {
    "diff_base": (str, "pv lint: the git revision the version-bump gate compares contracts against"),
    "falsify_required": (str, "pv status/lint: the rung whose ship-blocking falsifiers need every declared "
                              "mutant killed: FUNCTIONAL, DISCHARGED (default) or off (docs/status.md)"),
}
FALSIFY_REQUIRED_VALUES = ("FUNCTIONAL", "DISCHARGED", "off")
_KNOWN_KEYS = {"root", "contracts", "max_file_bytes", "extension_keys", "severity", "suppress",
               "ambiguous_bare_names", "unknown-keys", *COMMAND_KEYS}
# How unknown keys (PV-SCH-001) are reported: the --unknown-keys flag and [tool.pv] unknown-keys.
UNKNOWN_KEYS_POLICIES = ("error", "warn")
# Places extension_keys may be scoped to: "*" (anywhere), a dialect, or a top-level block name.
_SUPPRESS_KEYS = {"fingerprint", "rule", "file", "reason"}


class ConfigError(ValueError):
    """A [tool.pv] value is wrong; the message names the file, the key and the fix."""


@dataclass(frozen=True, slots=True)
class Suppression:
    reason: str
    fingerprint: str | None = None
    rule: str | None = None
    file: str | None = None  # a path or glob relative to the root

    def describe(self) -> str:
        what = self.fingerprint or self.rule or self.file or "?"
        return f"suppression {what!r} ({self.reason})"


@dataclass(slots=True)
class PvConfig:
    root: Path
    contracts: list[str] = field(default_factory=lambda: ["contracts"])
    extension_keys: dict[str, frozenset[str]] = field(default_factory=dict)  # scope -> keys
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    severity: dict[str, Severity] = field(default_factory=dict)
    suppress: list[Suppression] = field(default_factory=list)
    ambiguous_bare_names: str = "error"
    unknown_keys: str = "error"  # "warn": PV-SCH-001 is a warning (a registry migrating to pv)
    source: Path | None = None  # the pyproject.toml read, if any
    # Values of the [tool.pv] keys other commands own (COMMAND_KEYS), e.g. extra["diff_base"].
    extra: dict[str, Any] = field(default_factory=dict)

    def contract_paths(self, paths: Sequence[str] = ()) -> list[str]:
        """``paths`` as given, or the configured contract directories when none were given."""
        return list(paths) or [str(self.root / c) for c in self.contracts]

    def extensions_for(self, scope: str) -> frozenset[str]:
        """Extension keys allowed in ``scope`` (a dialect name, a block name, or '*')."""
        return self.extension_keys.get("*", frozenset()) | self.extension_keys.get(scope, frozenset())

def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` (a file or directory)."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> PvConfig:
    """Read [tool.pv] from the nearest pyproject.toml; defaults when there is none."""
    pyproject = find_pyproject(start)
    if pyproject is None:
        base = start.resolve()
        return PvConfig(root=base if base.is_dir() else base.parent)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read [tool.pv]: {exc}") from None
    table = data.get("tool", {}).get("pv", {})
    return parse_table(table, pyproject)


def parse_table(table: Any, source: Path) -> PvConfig:
    """Validate a [tool.pv] table (exposed for tests)."""
    where = f"{source}: [tool.pv]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: "
                          f"{', '.join(sorted(_KNOWN_KEYS))}")
    base = source.parent
    root_value = table.get("root", ".")
    if not isinstance(root_value, str):
        raise ConfigError(f"{where}.root must be a string path")
    root = (base / root_value).resolve()

    contracts = table.get("contracts", ["contracts"])
    if isinstance(contracts, str):
        contracts = [contracts]
    if not isinstance(contracts, list) or not all(isinstance(c, str) and c for c in contracts):
        raise ConfigError(f"{where}.contracts must be a list of paths")

    max_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise ConfigError(f"{where}.max_file_bytes must be a positive integer (bytes)")

    ext = table.get("extension_keys", [])
    ext_map: dict[str, frozenset[str]] = {}
    if isinstance(ext, list):
        ext = {"*": ext}
    if not isinstance(ext, dict):
        raise ConfigError(f"{where}.extension_keys must be a list of keys or a table of scope = [keys]")
    for scope, keys in ext.items():
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ConfigError(f"{where}.extension_keys.{scope} must be a list of key names")
        ext_map[str(scope)] = frozenset(keys)

    severity: dict[str, Severity] = {}
    sev = table.get("severity", {})
    if not isinstance(sev, dict):
        raise ConfigError(f"{where}.severity must be a table of CODE = level")
    known = _known_codes() if sev else frozenset()
    for code, level in sev.items():
        if str(code) not in known:
            raise ConfigError(f"{where}.severity.{code}: no rule has this code (a typo would silently do "
                              "nothing); see `docs/validate.md`, `docs/lint.md` for the codes")
        if not isinstance(level, str):
            raise ConfigError(f"{where}.severity.{code} must be one of info, warning, error")
        try:
            severity[str(code)] = Severity.parse(level)
        except ValueError as exc:
            raise ConfigError(f"{where}.severity.{code}: {exc}") from None

    suppress: list[Suppression] = []
    raw_sup = table.get("suppress", [])
    if not isinstance(raw_sup, list):
        raise ConfigError(f"{where}.suppress must be an array of tables")
    for i, item in enumerate(raw_sup):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}.suppress[{i}] must be a table with a reason")
        bad = sorted(set(item) - _SUPPRESS_KEYS)
        if bad:
            raise ConfigError(f"{where}.suppress[{i}]: unknown key(s) {', '.join(bad)}; "
                              f"use fingerprint, rule or file, plus reason")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}.suppress[{i}] needs a non-empty reason")
        targets = [k for k in ("fingerprint", "rule", "file") if k in item]
        if len(targets) != 1 or not isinstance(item[targets[0]], str) or not item[targets[0]]:
            raise ConfigError(f"{where}.suppress[{i}] needs exactly one of fingerprint, rule or file")
        suppress.append(Suppression(reason=reason.strip(), **{targets[0]: item[targets[0]]}))

    policy = table.get("ambiguous_bare_names", "error")
    if policy not in ("error", "warning"):
        raise ConfigError(f"{where}.ambiguous_bare_names must be 'error' or 'warning'")

    unknown_keys = table.get("unknown-keys", "error")
    if unknown_keys not in UNKNOWN_KEYS_POLICIES:
        raise ConfigError(f"{where}.unknown-keys must be 'error' or 'warn', not {unknown_keys!r}")

    extra: dict[str, Any] = {}
    for key, (kind, _what) in COMMAND_KEYS.items():
        if key in table:
            if not isinstance(table[key], kind) or (isinstance(table[key], bool) and kind is not bool):
                raise ConfigError(f"{where}.{key} must be a {kind.__name__}")
            extra[key] = table[key]
    if extra.get("falsify_required", "DISCHARGED") not in FALSIFY_REQUIRED_VALUES:
        raise ConfigError(f"{where}.falsify_required must be one of {', '.join(FALSIFY_REQUIRED_VALUES)} "
                          f"(got {extra['falsify_required']!r})")

    return PvConfig(root=root, contracts=list(contracts), extension_keys=ext_map, max_file_bytes=max_bytes,
                    severity=severity, suppress=suppress, ambiguous_bare_names=policy,
                    unknown_keys=unknown_keys, source=source, extra=extra)


def _known_codes() -> frozenset[str]:
    """Every registered rule code (loaded only when a config overrides severities)."""
    from pv.rules import all_rules

    return frozenset(rule.code for rule in all_rules())
