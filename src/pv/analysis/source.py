"""The minimal shape of a loaded contract that the analysis modules read.

``pv.validate``'s ``LoadedContract`` satisfies it; so does
:class:`TextContract`, which the diff and version-bump code use for a file
read from a git revision (text that never touched the working tree).
Keeping the analysis on this narrow protocol is why it works on both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

KeyPath = Sequence[str | int]


@runtime_checkable
class ContractDoc(Protocol):
    """What analysis needs: where the file is, its stem, its data, and positions."""

    path: Any  # str or Path; rendered with str()
    stem: str
    raw: Any  # the parsed YAML document (a mapping for a contract)

    def locate(self, key_path: KeyPath) -> tuple[int, int]:
        """1-based (line, col) of the node at ``key_path`` (nearest ancestor if absent)."""
        ...


def stem_of(name: str) -> str:
    """``contracts/model-families/qwen2.yaml`` -> ``qwen2``; a bare stem is returned unchanged.

    depends_on and peer links are written both ways in real contracts
    (stems in the provable dialect, repo paths in the gate dialect), so every
    link is normalised through here before it is matched against a stem.
    """
    base = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def raw_mapping(doc: ContractDoc) -> Mapping[str, Any]:
    """The document as a mapping ({} for a non-mapping document, which validate reports)."""
    raw = doc.raw
    return raw if isinstance(raw, Mapping) else {}


def metadata_of(doc: ContractDoc) -> Mapping[str, Any]:
    meta = raw_mapping(doc).get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def read_text(doc: ContractDoc) -> str | None:
    """The file's text if it is on disk (a revision's text travels on the object instead)."""
    text = getattr(doc, "text", None)
    if isinstance(text, str):
        return text
    try:
        return Path(str(doc.path)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class TextContract:
    """A contract parsed from text that may not be on disk (a file at a git revision).

    Parsing goes through ``pv.parse.yamlload.parse_text``, the same safe,
    position-keeping loader ``pv validate`` uses, so positions and refusals
    are identical to the working tree's.
    """

    def __init__(self, path: str, text: str) -> None:
        from pv.parse.yamlload import parse_text

        self.path = path
        self.stem = stem_of(path)
        self.text = text
        parsed, self.diagnostics = parse_text(text, path)
        self._parsed = parsed
        self.raw: Any = parsed.data if parsed is not None else None

    @property
    def ok(self) -> bool:
        """False when the text did not parse (``diagnostics`` says why)."""
        return self._parsed is not None

    def locate(self, key_path: KeyPath) -> tuple[int, int]:
        return self._parsed.locate(tuple(key_path)) if self._parsed is not None else (1, 1)

    @classmethod
    def from_file(cls, path: str | Path) -> TextContract:
        return cls(str(path), Path(path).read_text(encoding="utf-8"))


def unreadable(run: Any) -> list[Any]:
    """Findings that kept a file out of the analysis (it did not parse as a mapping)."""
    return [d for d in run.diagnostics if d.code.startswith("PV-YAML-") or d.code == "PV-SCH-008"]
