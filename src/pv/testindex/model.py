"""Plain records of what the static index knows about a test file.

They are deliberately dumb (tuples and strings) so a file's scan serialises to
JSON for the content-keyed cache and loads back in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Marker:
    """One ``@pytest.mark.falsifies("ID")`` argument, where it is written."""

    falsifier_id: str
    line: int
    col: int


@dataclass(slots=True)
class TestFunction:
    """One collected test function or method (before parametrize expansion)."""

    __test__ = False  # not a pytest test class, whatever its name
    file: str  # posix path relative to the project root
    classes: tuple[str, ...]  # enclosing test classes, outermost first
    name: str
    line: int
    col: int
    params: tuple[str, ...] | None = None  # parametrize IDs; None when not parametrized
    params_undecidable: str | None = None  # why the IDs cannot be known statically
    cannot_fail: str | None = None  # why the body cannot fail, when it cannot
    skipped: str | None = None  # why it never runs, when skipped unconditionally
    markers: tuple[Marker, ...] = ()
    mark_names: tuple[str, ...] = ()  # every marker in scope (``-k`` matches these)
    is_async: bool = False
    is_unittest: bool = False
    requires: tuple[str, ...] = ()  # fixture names it requests (arguments, usefixtures, plugin marks)
    indirect: tuple[str, ...] = ()  # parametrize argnames passed to fixtures (indirect=True)
    dynamic: str | None = None  # why its items cannot be known from this file alone (a decorator, ...)

    @property
    def base_nodeid(self) -> str:
        return "::".join((self.file, *self.classes, self.name))

    def item_ids(self) -> list[str]:
        """The node IDs pytest gives this function's items (known ones only)."""
        if self.params is None:
            return [self.base_nodeid]
        return [f"{self.base_nodeid}[{p}]" for p in self.params]

    def to_json(self) -> list[object]:
        return [
            self.file, list(self.classes), self.name, self.line, self.col,
            None if self.params is None else list(self.params), self.params_undecidable,
            self.cannot_fail, self.skipped, [[m.falsifier_id, m.line, m.col] for m in self.markers],
            list(self.mark_names), self.is_async, self.is_unittest, list(self.requires),
            list(self.indirect), self.dynamic,
        ]  # fmt: skip

    @classmethod
    def from_json(cls, raw: list) -> TestFunction:  # type: ignore[type-arg]
        return cls(
            raw[0], tuple(raw[1]), raw[2], raw[3], raw[4],
            None if raw[5] is None else tuple(raw[5]), raw[6], raw[7], raw[8],
            tuple(Marker(m[0], m[1], m[2]) for m in raw[9]), tuple(raw[10]), raw[11], raw[12],
            tuple(raw[13]), tuple(raw[14]), raw[15],
        )  # fmt: skip


@dataclass(slots=True)
class FileScan:
    """Everything the index needs from one test file."""

    path: str  # posix, relative to the project root
    sha256: str
    error: str | None = None  # the file does not parse (message with line)
    functions: list[TestFunction] = field(default_factory=list)
    # Classes and defs that exist but pytest would not collect, with the reason:
    # qualname ("TestA::TestB" or "TestA::helper") -> reason.
    not_collected: dict[str, str] = field(default_factory=dict)
    # Collected classes whose tests cannot all be known statically (an imported base).
    open_classes: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)  # collected class qualnames
    # Fixtures defined here: [scope ("" for the module, else the class qualname), name, params?, autouse?, args].
    fixtures: list[list] = field(default_factory=list)  # type: ignore[type-arg]
    hooks: list[str] = field(default_factory=list)  # collection-changing pytest_* hooks defined here
    # conftest.py only: collect_ignore / collect_ignore_glob literals, or why they cannot be read.
    collect_ignore: list[str] = field(default_factory=list)
    collect_ignore_glob: list[str] = field(default_factory=list)
    ignore_dynamic: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path, "sha256": self.sha256, "error": self.error,
            "functions": [f.to_json() for f in self.functions],
            "not_collected": self.not_collected, "open_classes": self.open_classes, "classes": self.classes,
            "fixtures": self.fixtures, "hooks": self.hooks, "collect_ignore": self.collect_ignore,
            "collect_ignore_glob": self.collect_ignore_glob, "ignore_dynamic": self.ignore_dynamic,
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: dict) -> FileScan:  # type: ignore[type-arg]
        return cls(
            raw["path"], raw["sha256"], raw["error"],
            [TestFunction.from_json(f) for f in raw["functions"]],
            dict(raw["not_collected"]), dict(raw["open_classes"]), list(raw["classes"]),
            list(raw["fixtures"]), list(raw["hooks"]), list(raw["collect_ignore"]),
            list(raw["collect_ignore_glob"]), raw["ignore_dynamic"],
        )  # fmt: skip
