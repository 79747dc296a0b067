"""The version-bump gate: content changed against a base revision needs a bump and a changelog entry.

For each contract, the file at the base revision (see
:func:`pv.analysis.gitrev.default_base`) is diffed with the working tree by
:func:`pv.analysis.diff.diff_raw`. If anything but bookkeeping changed:

* PV-DIFF-001 - the version did not go up (unchanged, lower, or not semver);
* PV-DIFF-002 - it went up by less than the change needs (a removed
  falsifier under a minor bump);
* PV-DIFF-003 - the changelog has no entry for the new version.

A contract with no base version (a new file, or no git history) is not a
pass: it is counted as not compared, and when nothing at all could be
compared the gate is SKIP with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pv.analysis import codes, gitrev
from pv.analysis.diff import ContractDiff, contract_version, diff_raw, effective_required
from pv.analysis.source import TextContract
from pv.diagnostics import Diagnostic, Severity

_ENTRY_VERSION = re.compile(r"^\s*v?(\d+\.\d+(?:\.\d+)?)\b")


@dataclass(slots=True)
class BumpCheck:
    """Result of the gate: what was compared, what was not (and why), and the findings."""

    base: str | None = None  # the revision compared against (sha)
    base_how: str = ""  # "HEAD", "merge-base of HEAD and origin/main", "--base v1.2"
    compared: int = 0
    changed: int = 0
    not_compared: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skip_reason: str | None = None  # set when nothing could be compared at all


def changelog_versions(raw: Any) -> list[str]:
    """Versions named by ``metadata.changelog`` entries (mapping or "X.Y.Z (date): text" forms)."""
    meta = raw.get("metadata") if isinstance(raw, dict) and isinstance(raw.get("metadata"), dict) else {}
    out: list[str] = []
    for entry in meta.get("changelog") or []:
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            out.append(entry["version"].strip().lstrip("v"))
        elif isinstance(entry, str):
            m = _ENTRY_VERSION.match(entry)
            if m:
                out.append(m.group(1))
    return out


def _version_key(raw: dict[str, Any]) -> tuple[str | int, ...]:
    return ("version",) if isinstance(raw.get("version"), str) else ("metadata", "version")


def check_contract(doc: Any, old: TextContract, base_label: str) -> tuple[ContractDiff, list[Diagnostic]]:
    """Findings for one contract against its base text."""
    raw = doc.raw
    diff = diff_raw(old.raw, raw, f"{doc.path}@{base_label}", str(doc.path))
    if not diff.changes:
        return diff, []
    line, col = doc.locate(_version_key(raw))
    first = ", ".join(f"{c.change} {c.section[:-1] if c.section.endswith('s') else c.section} {c.key}"
                      for c in diff.changes[:3])
    more = f" and {len(diff.changes) - 3} more" if len(diff.changes) > 3 else ""
    summary = f"{first}{more}"
    out: list[Diagnostic] = []
    declared = diff.declared
    needed = effective_required(diff.required, diff.old_version)
    data = {"base": base_label, "required": diff.required.label, "old_version": str(diff.old_version)}
    if declared is None or declared.value == 0:
        out.append(Diagnostic(
            codes.DIFF_NO_BUMP, Severity.ERROR,
            f"content changed since {base_label} ({summary}) but the version went "
            f"{diff.old_version!r} -> {diff.new_version!r}; this change needs a {needed.label} bump",
            str(doc.path), line, col,
            hint=f"bump the version ({needed.label}) and add a changelog entry saying what changed",
            data=data))
        return diff, out
    if declared < needed:
        out.append(Diagnostic(
            codes.DIFF_SMALL_BUMP, Severity.ERROR,
            f"version {diff.old_version} -> {diff.new_version} is a {declared.label} bump but the change "
            f"since {base_label} needs {needed.label} ({_reason(diff)})",
            str(doc.path), line, col,
            hint=f"make it a {needed.label} bump (see `pv diff --git {base_label} {doc.path}`)", data=data))
    new_version = (contract_version(raw) or "").strip().lstrip("v")
    if new_version not in changelog_versions(raw):
        cl_line, cl_col = doc.locate(("metadata", "changelog"))
        out.append(Diagnostic(
            codes.DIFF_NO_CHANGELOG, Severity.ERROR,
            f"version {new_version} has no changelog entry (content changed since {base_label})",
            str(doc.path), cl_line, cl_col,
            hint=f"add a metadata.changelog entry for {new_version} saying what changed", data=data))
    return diff, out


def _reason(diff: ContractDiff) -> str:
    top = [c for c in diff.changes if c.bump == diff.required][:3]
    return "; ".join(f"{c.change} {c.key}" + (f": {c.why}" if c.why else "") for c in top)


def _current_blob_id(doc: Any) -> str | None:
    file = getattr(doc, "file", None) or Path(str(doc.path))
    try:
        return gitrev.blob_id(Path(file).read_bytes())
    except OSError:
        return None


def check_version_bumps(contracts: Sequence[Any], start: Path, base: str | None = None) -> BumpCheck:
    """Run the gate over loaded contracts (``LoadedContract``: path, file, raw, locate)."""
    result = BumpCheck()
    if not contracts:
        result.skip_reason = "no contracts"
        return result
    try:
        root = gitrev.repo_root(start)
        if base:
            result.base, result.base_how = gitrev.resolve(root, base), base
        else:
            result.base, result.base_how = gitrev.default_base(root)
    except gitrev.GitError as exc:
        result.skip_reason = f"no base revision to compare against: {exc}"
        return result
    rel: dict[str, Any] = {}
    for doc in contracts:
        file = getattr(doc, "file", None) or Path(str(doc.path))
        relpath = gitrev.relative_to_repo(root, Path(file))
        if relpath is None:
            result.not_compared.append((str(doc.path), f"outside the git repository {root}"))
        else:
            rel[relpath] = doc
    label = result.base_how if result.base_how != result.base else result.base[:12]
    try:
        base_ids = gitrev.blob_ids_at(root, result.base, rel)
        differing = []
        for relpath, doc in rel.items():
            if base_ids[relpath] is None:
                result.not_compared.append((str(doc.path), f"{relpath} does not exist at {label} (a new file)"))
            elif base_ids[relpath] == _current_blob_id(doc):
                result.compared += 1  # byte-identical to the base: nothing to parse, nothing changed
            else:
                differing.append(relpath)
        texts = gitrev.read_at(root, result.base, differing)
    except gitrev.GitError as exc:
        result.skip_reason = f"cannot read files at {result.base_how}: {exc}"
        return result
    for relpath in differing:
        doc, found = rel[relpath], texts[relpath]
        if found.text is None:
            result.not_compared.append((str(doc.path), found.reason))
            continue
        old = TextContract(relpath, found.text)
        if not old.ok or not isinstance(old.raw, dict) or not isinstance(doc.raw, dict):
            result.not_compared.append((str(doc.path), f"the version at {label} does not parse"))
            continue
        diff, diags = check_contract(doc, old, label)
        result.compared += 1
        result.changed += bool(diff.changes)
        result.diagnostics.extend(diags)
    if result.compared == 0:
        reasons = "; ".join(reason for _, reason in result.not_compared[:3])
        result.skip_reason = f"no contract exists at {label} to compare against ({reasons})"
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
