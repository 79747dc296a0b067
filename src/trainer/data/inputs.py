"""Input files -> documents: one rule shared by tokenizer training, corpus encoding and checks.

Each input is a file or a directory (searched recursively, sorted by relative
path). ``.py`` and ``.txt`` files are one document each (UTF-8); ``.jsonl``
files hold one document per non-blank line in the line's ``"text"`` field.
JSONL is streamed line by line so a multi-GB file never sits in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from trainer.errors import GATE_DATA_001, PreflightError

TEXT_SUFFIXES = frozenset({".py", ".txt"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES
SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".venv", "node_modules"})


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named by ``inputs``: files as given, directories walked recursively, sorted.

    Keeps the first occurrence of a file named twice. A missing path, an explicit
    file of an unsupported type, or nothing to read at all is a PreflightError.
    """
    inputs = list(inputs)
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            found = sorted(
                (p for p in _walk(root) if p.suffix in SUPPORTED_SUFFIXES),
                key=lambda p: p.relative_to(root).as_posix(),
            )
        elif root.is_file():
            if root.suffix not in SUPPORTED_SUFFIXES:
                raise PreflightError(
                    GATE_DATA_001,
                    f"input {root} has unsupported type {root.suffix or '(none)'!r}",
                    fix=f"pass {', '.join(sorted(SUPPORTED_SUFFIXES))} files or a directory of them",
                )
            found = [root]
        else:
            raise PreflightError(GATE_DATA_001, f"input {root} does not exist", fix="check the --input path")
        for path in found:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(path)
    if not files:
        shown = ", ".join(str(i) for i in inputs[:3]) + (" ..." if len(inputs) > 3 else "")
        raise PreflightError(
            GATE_DATA_001,
            f"no {'/'.join(sorted(SUPPORTED_SUFFIXES))} files under {shown or '(no inputs)'}",
            fix="point --input at text, Python or JSONL files",
        )
    return files


def _walk(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (skipping VCS/cache dirs)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file():
                yield path


def _decode(path: Path, data: bytes, where: str = "") -> str:
    """UTF-8 text of ``data``; invalid bytes are an error naming the file and offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PreflightError(
            GATE_DATA_001,
            f"{path}{where}: invalid UTF-8 at byte {exc.start} ({exc.reason})",
            fix="convert the file to UTF-8 or drop it from --input",
        ) from None


def _jsonl_text(path: Path, lineno: int, line: bytes) -> str:
    text = _decode(path, line, f":{lineno}")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PreflightError(
            GATE_DATA_001,
            f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})",
            fix='write one JSON object per line, e.g. {"text": "..."}',
        ) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise PreflightError(
            GATE_DATA_001,
            f'{path}:{lineno}: expected an object with a string "text" field',
            fix='write one JSON object per line, e.g. {"text": "..."}',
        )
    return obj["text"]


@dataclass
class FileRecord:
    """Provenance of one input file, filled while its documents are read."""

    path: Path
    bytes: int = 0
    documents: int = 0
    _sha: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def sha256(self) -> str:
        return str(self._sha.hexdigest())

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "bytes": self.bytes, "sha256": self.sha256, "documents": self.documents}


class Document(NamedTuple):
    """One document, the input bytes it consumed, and where it came from (``file`` or ``file:line``)."""

    text: str
    nbytes: int
    where: str


def read_documents(path: Path, record: FileRecord | None = None) -> Iterator[Document]:
    """Yield the documents of one file, updating ``record`` (size, sha256, count) as it goes."""
    record = record if record is not None else FileRecord(path)
    if path.suffix in JSONL_SUFFIXES:
        with open(path, "rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                record._sha.update(line)
                record.bytes += len(line)
                if not line.strip():
                    continue
                record.documents += 1
                yield Document(_jsonl_text(path, lineno, line), len(line), f"{path}:{lineno}")
        return
    data = path.read_bytes()
    record._sha.update(data)
    record.bytes += len(data)
    record.documents += 1
    yield Document(_decode(path, data), len(data), str(path))


def iter_documents(path: Path) -> Iterator[str]:
    """Documents of one input file (see the module docstring for the rules)."""
    for doc in read_documents(path):
        yield doc.text
