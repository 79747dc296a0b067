"""The seal of an evidence pack: its manifest's sha256, carried by the citing contract.

A pack's ``manifest.json`` pins every other file of the pack by sha256, but it
cannot pin itself: whoever edits it can rewrite the hashes too. So the
manifest's own digest lives *outside* the pack, in the reference that makes
the claim::

    test: 'LIVE: evidence/run-500@sha256:<64 hex: sha256 of evidence/run-500/manifest.json>'

Editing the manifest then means editing the contract as well: a contract
change that the version-bump gate makes visible (a new version and changelog
entry) and a reviewer sees in the diff. docs/evidence.md ("Threat model")
says what this can and cannot stop. ``pv evidence seal`` writes the seals
into the contracts, which is how packs recorded before seals existed are
migrated without re-running them.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pv.binding.live import SEP, reference

# `LIVE: evidence/NAME`, an optional trailing slash and an optional old seal, inside contract text.
_REF_RE = r"(LIVE:\s*{pack})/?(?:@sha256:[0-9A-Za-z]*)?(?=[\s'\"]|$)"


def mismatch(pack: str, manifest_sha256: str, seal: str | None, root: Path | None = None,
             current: dict[str, Any] | None = None) -> str | None:
    """Why the manifest does not match its seal (None when it does).

    With ``root`` and the ``current`` manifest data, a mismatch also names the fields that
    differ from the sealed version when git still holds it (see :func:`changed_fields`).
    """
    if seal is None:
        return (f"{pack} is cited without a seal, so its manifest could be edited unnoticed; cite it as "
                f"`{reference(pack, manifest_sha256)}` (pv evidence seal)")
    if seal != manifest_sha256:
        fields = changed_fields(root, pack, seal, current) if root is not None and current is not None else None
        what = f"; changed since sealed: {', '.join(fields[:6])}" if fields else ""
        return (f"{pack}/manifest.json does not match the seal the contract cites (sha256 {seal[:12]}… "
                f"now {manifest_sha256[:12]}…): the manifest was edited after it was sealed{what}")
    return None


def changed_fields(root: Path, pack: str, seal: str, current: dict[str, Any]) -> list[str] | None:
    """Dotted names of the manifest fields that differ from the sealed version, if git has it.

    The sealed bytes are looked for in ``HEAD:<pack>/manifest.json``; only a blob whose sha256 is
    the seal is trusted, so this names fields but never decides anything. None: not found.
    """
    from pv.evidence.safejson import JsonRefused, loads

    try:
        out = subprocess.run(["git", "show", f"HEAD:./{pack}/manifest.json"], cwd=root, capture_output=True,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or hashlib.sha256(out.stdout).hexdigest() != seal:
        return None
    try:
        sealed = loads(out.stdout.decode("utf-8"))
    except (UnicodeDecodeError, JsonRefused):
        return None
    changed: list[str] = []
    _diff(sealed, current, "", changed)
    return changed or ["(formatting only)"]


def _diff(old: Any, new: Any, prefix: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict) and prefix.count(".") < 2:
        for key in sorted(set(old) | set(new)):
            if old.get(key, _MISSING) != new.get(key, _MISSING):
                _diff(old.get(key, _MISSING), new.get(key, _MISSING), f"{prefix}{key}.", out)
        return
    if old != new:
        out.append(prefix.rstrip(".") or "(top level)")


_MISSING = object()


def rewrite(text: str, pack: str, digest: str) -> tuple[str, int]:
    """``text`` with every ``LIVE: <pack>`` reference (sealed or not) sealed with ``digest``; and the count."""
    pattern = re.compile(_REF_RE.format(pack=re.escape(pack.rstrip("/"))))
    return pattern.subn(lambda m: f"{m.group(1)}{SEP}{digest}", text)


def seal_contracts(paths: Iterable[Path], pack: str, digest: str, *, write: bool) -> list[tuple[Path, int]]:
    """Contract files citing ``pack`` and how many references each holds; rewritten in place when ``write``."""
    touched: list[tuple[Path, int]] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new, count = rewrite(text, pack, digest)
        if count:
            touched.append((path, count))
            if write and new != text:
                path.write_text(new, encoding="utf-8")
    return touched


def sealed_reference(root: Path, pack: str) -> str:
    """The sealed reference for the pack as it is now (what `pv evidence seal` prints); raises ManifestError."""
    from pv.evidence.manifest import load_manifest

    return reference(pack, load_manifest(root / pack).sha256)
