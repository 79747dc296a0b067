"""The one way pv writes its own JSON files (ledger, caches): temp file + rename.

A killed or failing write never leaves half a file where a reader looks, and the
temp file is removed on any failure. ``tempfile`` is imported only when writing:
it pulls in shutil, bz2 and lzma, which start-up (``pv --help``) must not pay for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(target: Path, payload: Any, *, trailing_newline: bool = False, **dump_options: Any) -> None:
    """Serialise ``payload`` next to ``target`` and rename it into place (OSError propagates)."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, **dump_options)
            if trailing_newline:
                handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
