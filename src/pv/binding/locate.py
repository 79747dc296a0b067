"""Exact columns for findings about a piece of a reference string.

The YAML position of a reference is where its scalar starts (a quote, or a
``|``/``>`` indicator). A finding about the second leg of ``a && b`` must point
at ``b``, so the piece is looked up in the source text from that position on.
"""

from __future__ import annotations

from pathlib import Path


class SourceLines:
    """Lazily read contract files (one read per file per run)."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str]] = {}

    def lines(self, file: Path) -> list[str]:
        if file not in self._lines:
            try:
                self._lines[file] = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._lines[file] = []
        return self._lines[file]

    def locate(self, file: Path | None, line: int, col: int, fragment: str | None) -> tuple[int, int]:
        """(line, col) of ``fragment`` at or after (line, col); the scalar's own position when not found."""
        if file is None or not fragment:
            return line, col
        lines = self.lines(file)
        for number in range(line, min(line + 200, len(lines) + 1)):
            text = lines[number - 1]
            start = col - 1 if number == line else 0
            found = text.find(fragment, max(start, 0))
            if found >= 0:
                return number, found + 1
        return line, col
