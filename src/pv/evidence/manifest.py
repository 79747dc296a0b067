"""The evidence-pack manifest (``manifest.json``), schema version 1.

One place defines the manifest's shape (a JSON Schema, checked with
jsonschema) so ``record`` writes and ``verify`` reads the same thing, and
docs/evidence.md can list the fields exactly. The manifest cannot hash itself;
its metrics are re-derived from the hashed metrics source on verify so an
edited manifest is still caught.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

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
        "falsifiers": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        "metrics": {"type": "object"},
        "metrics_source": {"type": ["string", "null"]},
        "files": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": SHA256_RE.pattern},
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


class ManifestError(Exception):
    """manifest.json is missing or not JSON (``malformed`` False), or not schema v1 (True)."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.malformed = malformed


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


def load_manifest(pack_dir: Path) -> Manifest:
    """Parse and schema-check ``pack_dir/manifest.json``; :class:`ManifestError` names the fault."""
    import jsonschema

    path = pack_dir / MANIFEST
    if not path.is_file():
        raise ManifestError("manifest.json is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"manifest.json is not valid JSON ({exc})") from None
    validator = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ManifestError(f"manifest is malformed at {where}: {first.message}", malformed=True)
    for rel in data["files"]:
        if not safe_member(rel):
            raise ManifestError(f"manifest is malformed: file name {rel!r} points outside the pack", malformed=True)
    return Manifest(
        name=data["name"], created=data["created"], argv=data["argv"], cwd=data["cwd"],
        exit_code=data["exit_code"], duration_s=float(data["duration_s"]), commit=data["git"]["commit"],
        dirty=data["git"]["dirty"], environment=data["environment"], falsifiers=data["falsifiers"],
        metrics=data["metrics"], metrics_source=data["metrics_source"], files=data["files"], notes=data["notes"],
    )


def parse_metrics_text(text: str) -> dict[str, Any] | None:
    """Metrics from JSON text: the whole text as one object, else its last line that is one.

    A trainer run result is a JSON file; a command run with ``--json`` prints
    its result as JSON, possibly after log lines, so the last object line wins.
    """
    stripped = text.strip()
    if not stripped:
        return None
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return whole
    for line in reversed(stripped.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                return obj
    return None
