"""The one way the trainer hashes a file: sha256, streamed in 1 MiB blocks.

Shard and checkpoint files run to hundreds of MB, so they are never read whole.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
