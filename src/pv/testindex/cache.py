"""Content-keyed cache of file scans in ``<root>/.pv/cache/`` (safe to delete at any time).

Each entry is keyed on the file's sha256 plus the pytest settings, the index
format version and a stamp of the scanner's own source files, so an edit, a
config change, a pv upgrade or a local change to the scanner all miss.
A missing, unreadable or corrupt cache is simply rebuilt; nothing depends on it.
"""

from __future__ import annotations

import json
from pathlib import Path

from pv.testindex.model import FileScan

FORMAT_VERSION = 5
CACHE_NAME = "testindex.json"


def code_stamp() -> str:
    """Changes whenever a module of pv.testindex changes (size or modification time) or pv's version does."""
    import hashlib

    import pv

    h = hashlib.sha256(pv.__version__.encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        st = module.stat()
        h.update(f"{module.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def cache_path(root: Path) -> Path:
    return root / ".pv" / "cache" / CACHE_NAME


def load(root: Path, config_key: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """Raw cached scans by relative path (only when format and config still match)."""
    try:
        raw = json.loads(cache_path(root).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION or raw.get("config") != config_key:
        return {}
    files = raw.get("files")
    return files if isinstance(files, dict) else {}


def save(root: Path, config_key: str, scans: dict[str, FileScan]) -> None:
    """Write atomically; a read-only checkout just goes without a cache."""
    target = cache_path(root)
    payload = {
        "version": FORMAT_VERSION,
        "config": config_key,
        "files": {rel: scan.to_json() for rel, scan in scans.items()},
    }
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        gitignore = target.parent.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# pv's cache and ledgers; safe to delete\ncache/\n", encoding="utf-8")
        from pv.atomic import write_json

        write_json(target, payload, separators=(",", ":"))
    except OSError:
        pass
