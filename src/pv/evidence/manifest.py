"""The evidence-pack manifest (``manifest.json``), schema version 1.

One place defines the manifest's shape (a JSON Schema, checked with
jsonschema) so ``record`` writes and ``verify`` reads the same thing, and
docs/evidence.md can list the fields exactly. The manifest cannot hash itself;
its metrics are re-derived from the hashed metrics source on verify, and its
own sha256 is the *seal* a contract carries in ``LIVE: evidence/NAME@sha256:HEX``
(pv.evidence.seal), so an edited manifest is caught even when every hash in it
was rewritten consistently.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pv.evidence.safejson import MAX_BYTES, JsonRefused, JsonSyntaxError, loads

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
STDOUT = "stdout.txt"
STDERR = "stderr.txt"
METRICS = "metrics.json"
ARTIFACTS = "artifacts"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "pv evidence pack manifest v1",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "schema_version", "name", "created", "argv", "cwd", "exit_code", "duration_s", "git",
        "environment", "falsifiers", "metrics", "metrics_source", "files", "notes",
    ],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "name": {"type": "string", "pattern": NAME_RE.pattern},
        "created": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "argv": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "cwd": {"type": "string"},
        "exit_code": {"type": "integer"},
        "duration_s": {"type": "number", "minimum": 0},
        "git": {
            "type": "object",
            "additionalProperties": False,
            "required": ["commit", "dirty"],
            "properties": {
                "commit": {"type": ["string", "null"], "pattern": r"^[0-9a-f]{40}([0-9a-f]{24})?$"},
                "dirty": {"type": ["boolean", "null"]},
            },
        },
        "environment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["python", "platform", "packages", "device"],
            "properties": {
                "python": {"type": "string"},
                "platform": {"type": "string"},
                "packages": {"type": "object", "additionalProperties": {"type": "string"}},
                "device": {"type": ["string", "null"]},
            },
        },
        "falsifiers": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                       "uniqueItems": True},
        "metrics": {"type": "object"},
        "metrics_source": {"enum": [METRICS, STDOUT, None]},
        "files": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": SHA256_RE.pattern},
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


class ManifestError(Exception):
    """manifest.json cannot be used; ``code`` is the PV-EVID finding that says why.

    PV-EVID-001: missing or not JSON; PV-EVID-002: JSON pv refuses (duplicate
    keys, huge integers, deep nesting) or not schema v1; PV-EVID-016: a link or
    special file instead of a regular file.
    """

    def __init__(self, message: str, *, code: str = "PV-EVID-001") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def malformed(self) -> bool:
        return self.code == "PV-EVID-002"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed, schema-valid manifest (field meanings: docs/evidence.md)."""

    name: str
    created: str
    argv: list[str]
    cwd: str
    exit_code: int
    duration_s: float
    commit: str | None
    dirty: bool | None
    environment: dict[str, Any]
    falsifiers: list[str]
    metrics: dict[str, Any]
    metrics_source: str | None
    files: dict[str, str]
    notes: list[str] = field(default_factory=list)
    sha256: str = field(default="", compare=False)  # of manifest.json's bytes as read (the seal)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "created": self.created,
            "argv": self.argv,
            "cwd": self.cwd,
            "exit_code": self.exit_code,
            "duration_s": self.duration_s,
            "git": {"commit": self.commit, "dirty": self.dirty},
            "environment": self.environment,
            "falsifiers": self.falsifiers,
            "metrics": self.metrics,
            "metrics_source": self.metrics_source,
            "files": dict(sorted(self.files.items())),
            "notes": self.notes,
        }

    def write(self, pack_dir: Path) -> Path:
        path = pack_dir / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        return path


def safe_member(rel: str) -> bool:
    """A manifest file name must stay inside the pack: relative, no ``..``."""
    pure = PurePosixPath(rel)
    return bool(rel) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in rel


def read_regular(path: Path, what: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO, device) of at most ``limit`` bytes.

    :class:`ManifestError` otherwise: a link could point outside the pack, a
    FIFO would block the reader forever, a huge file would exhaust memory.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise ManifestError(f"{what} is missing") from None
    except OSError as exc:
        raise ManifestError(f"{what} cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise ManifestError(f"{what} is a symbolic link; evidence files must be regular files",
                            code="PV-EVID-016")
    if not stat.S_ISREG(st.st_mode):
        raise ManifestError(f"{what} is not a regular file ({file_kind(st.st_mode)})", code="PV-EVID-016")
    if st.st_size > limit:
        raise ManifestError(f"{what} is {st.st_size} bytes, more than the {limit} pv reads", code="PV-EVID-002")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise ManifestError(f"{what} cannot be read ({exc.strerror})") from None


def file_kind(mode: int) -> str:
    """A special file's kind in words, for messages."""
    for test, name in ((stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


def load_manifest(pack_dir: Path) -> Manifest:
    """Parse and schema-check ``pack_dir/manifest.json``; :class:`ManifestError` names the fault."""
    import jsonschema

    raw = read_regular(pack_dir / MANIFEST, MANIFEST)
    try:
        data = loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(f"manifest.json is not UTF-8 ({exc})") from None
    except JsonSyntaxError as exc:
        raise ManifestError(f"manifest.json is {exc}") from None
    except JsonRefused as exc:
        raise ManifestError(f"manifest.json is refused: {exc}", code="PV-EVID-002") from None
    validator = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ManifestError(f"manifest is malformed at {where}: {first.message[:200]}", code="PV-EVID-002")
    for rel in data["files"]:
        if not safe_member(rel):
            raise ManifestError(f"manifest is malformed: file name {rel!r} points outside the pack",
                                code="PV-EVID-002")
    return Manifest(
        name=data["name"], created=data["created"], argv=data["argv"], cwd=data["cwd"],
        exit_code=data["exit_code"], duration_s=float(data["duration_s"]), commit=data["git"]["commit"],
        dirty=data["git"]["dirty"], environment=data["environment"], falsifiers=data["falsifiers"],
        metrics=data["metrics"], metrics_source=data["metrics_source"], files=data["files"], notes=data["notes"],
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def parse_metrics_text(text: str) -> dict[str, Any] | None:
    """Metrics from JSON text: the whole text as one object, else its last line that is one.

    A trainer run result is a JSON file; a command run with ``--json`` prints
    its result as JSON, possibly after log lines, so the last object line wins.
    JSON that parses but is refused (duplicate keys, huge integers, deep
    nesting) raises :class:`JsonRefused`: such metrics are never used.
    """
    stripped = text.strip()
    if not stripped:
        return None
    try:
        whole = loads(stripped)
    except JsonSyntaxError:
        whole = None
    if isinstance(whole, dict):
        return whole
    for line in reversed(stripped.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = loads(line)
            except JsonSyntaxError:
                continue
            if isinstance(obj, dict):
                return obj
    return None
