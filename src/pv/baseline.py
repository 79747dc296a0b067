"""``--baseline FILE``: adopt pv on a project with known findings, then only ever shrink them.

A baseline is a JSON file of finding fingerprints (code + file + message, not
the line, so unrelated edits do not invalidate it). With ``--baseline``, a
finding whose fingerprint is in the file does not fail the run (it is counted
as "baselined"); anything new does. ``--update-baseline`` rewrites the file
from the current findings but refuses to add a fingerprint that was not there
before unless ``--force``: the baseline is a ratchet, it only shrinks. A
missing baseline file may be created once (adoption).

Format (version 1)::

    {"version": 1, "tool": "pv", "findings": [
        {"fingerprint": "a1b2...", "code": "PV-BIND-004", "path": "contracts/x.yaml", "message": "..."}]}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pv.diagnostics import Diagnostic

VERSION = 1


class BaselineError(ValueError):
    """The baseline file cannot be used (names the file and the fix)."""


@dataclass(slots=True)
class Baseline:
    path: Path
    counts: Counter[str]  # fingerprint -> how many findings it covers

    @property
    def size(self) -> int:
        return sum(self.counts.values())


def load_baseline(path: Path, *, missing_ok: bool = False) -> Baseline:
    if not path.exists():
        if missing_ok:
            return Baseline(path, Counter())
        raise BaselineError(f"{path}: baseline file does not exist (create it with --update-baseline)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"{path}: not a pv baseline ({exc}); regenerate it with --update-baseline --force") from None
    if not isinstance(raw, dict) or raw.get("version") != VERSION or not isinstance(raw.get("findings"), list):
        raise BaselineError(f"{path}: not a version-{VERSION} pv baseline; regenerate it with --update-baseline --force")
    counts: Counter[str] = Counter()
    for i, item in enumerate(raw["findings"]):
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"{path}: findings[{i}] has no fingerprint")
        counts[fp] += 1
    return Baseline(path, counts)


def apply_baseline(diags: Sequence[Diagnostic], baseline: Baseline) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(new findings, baselined findings); each baseline entry absorbs one finding."""
    budget = Counter(baseline.counts)
    kept: list[Diagnostic] = []
    absorbed: list[Diagnostic] = []
    for d in diags:
        fp = d.fingerprint()
        if budget[fp] > 0:
            budget[fp] -= 1
            absorbed.append(d)
        else:
            kept.append(d)
    return kept, absorbed


def document(diags: Sequence[Diagnostic]) -> dict[str, object]:
    items = [{"fingerprint": d.fingerprint(), "code": d.code, "path": d.path, "message": d.message}
             for d in sorted(diags, key=lambda d: (d.path, d.code, d.message))]
    return {"version": VERSION, "tool": "pv", "findings": items}


def update_baseline(path: Path, diags: Sequence[Diagnostic], *, force: bool) -> tuple[bool, str]:
    """Write the baseline for ``diags``; refuse growth without ``force``. Returns (written, message)."""
    old = load_baseline(path, missing_ok=True) if not force else None
    new_counts = Counter(d.fingerprint() for d in diags)
    if old is not None and path.exists():
        grown = new_counts - old.counts
        if grown:
            added = [d for d in diags if d.fingerprint() in grown]
            sample = "; ".join(f"{d.code} {d.path}" for d in added[:3])
            return False, (f"{path}: refusing to grow the baseline by {sum(grown.values())} finding(s) ({sample}); "
                           "fix them, or pass --force to accept them")
    before = old.size if old is not None else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(diags), indent=2) + "\n", encoding="utf-8")
    size = sum(new_counts.values())
    change = f" (was {before})" if before is not None and path.exists() else ""
    return True, f"{path}: baseline now holds {size} finding(s){change}"
