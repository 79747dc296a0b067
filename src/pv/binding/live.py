"""The syntax of a ``LIVE:`` reference target: ``evidence/NAME`` plus an optional ``@sha256:`` seal.

It lives with binding (which classifies every reference) rather than with evidence, so that
resolving a reference needs nothing from the evidence layer above it; pv.evidence.seal computes
and checks the seal itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEP = "@sha256:"
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class LiveTarget:
    """A parsed ``LIVE:`` target: the pack path, its seal (None: unsealed), and what is wrong with it."""

    pack: str
    seal: str | None
    problem: str = ""


def split_target(target: str) -> LiveTarget:
    """``evidence/NAME@sha256:HEX`` -> pack ``evidence/NAME`` and seal ``HEX``; never raises."""
    pack, sep, digest = target.partition(SEP)
    pack = pack.rstrip("/")
    if not sep:
        return LiveTarget(pack, None)
    if not DIGEST_RE.match(digest):
        return LiveTarget(pack, None, f"the seal after {SEP!r} must be 64 lowercase hex digits (the sha256 of "
                          f"{pack}/manifest.json), got {digest[:80]!r}")
    return LiveTarget(pack, digest)


def reference(pack: str, digest: str) -> str:
    """The sealed reference text to cite: ``LIVE: evidence/NAME@sha256:HEX``."""
    return f"LIVE: {pack.rstrip('/')}{SEP}{digest}"
