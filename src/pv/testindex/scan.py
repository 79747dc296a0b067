"""Scan one test file with ``ast`` and list the tests pytest would collect from it.

Mirrors pytest's Python collector: module-level functions matching
``python_functions``; classes matching ``python_classes`` (not when they define
``__init__``/``__new__`` or set ``__test__ = False``), their methods (static and
class methods included, fixtures excluded), nested classes, methods inherited
from classes in the same file; ``unittest.TestCase`` subclasses with their
``test*`` methods whatever the patterns say; ``async def`` tests. Each test
carries its parametrize IDs (when knowable), its skip and cannot-fail status
and its ``falsifies`` markers. Anything pytest would silently not collect is
remembered with the reason, so a reference to it gets a precise message.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib

from pv.testindex.body import FailureAnalyzer
from pv.testindex.marks import (
    Mark,
    is_skip_call,
    marks_of,
    pytestmark_marks,
    string_args,
    unconditional_skip,
    unittest_skip,
)
from pv.testindex.model import FileScan, Marker, TestFunction
from pv.testindex.params import (
    IdRules,
    ModuleScope,
    Undecidable,
    combine,
    is_empty_parametrize,
    parametrize_ids,
)
from pv.testindex.pyconfig import PytestConfig

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


def matches_option(name: str, options: tuple[str, ...]) -> bool:
    """pytest's ``_matches_prefix_or_glob_option``: a prefix, or a glob when it looks like one."""
    for option in options:
        if name.startswith(option):
            return True
        if ("*" in option or "?" in option or "[" in option) and fnmatch.fnmatch(name, option):
            return True
    return False


def _is_fixture(func: FuncDef) -> bool:
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "fixture"
        ):
            return True
    return False


def _sets_test_false(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
            and not stmt.value.value
        ):
            return True
    return False


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


_NEUTRAL_BASES = {"object", "ABC", "Generic", "Protocol"}


class _FileScanner:
    def __init__(self, rel: str, tree: ast.Module, cfg: PytestConfig) -> None:
        self.rel = rel
        self.cfg = cfg
        self.tree = tree
        self.scope = ModuleScope(tree)
        self.rules = IdRules(cfg.long_str_strategy, cfg.disable_id_escaping)
        self.failures = FailureAnalyzer(tree)
        self.module_classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        self.scan = FileScan(path=rel, sha256="")
        self.module_marks = pytestmark_marks(tree.body)
        self.module_skip = self._module_level_skip()

    def _module_level_skip(self) -> str | None:
        for mark in self.module_marks:
            reason = unconditional_skip(mark)
            if reason:
                return f"module pytestmark {reason}"
        for stmt in self.tree.body:
            if is_skip_call(stmt):
                return "module-level pytest.skip()"
        return None

    # --- classes -------------------------------------------------------------------
    def _is_unittest(self, cls: ast.ClassDef, seen: frozenset[str] = frozenset()) -> bool:
        for base in cls.bases:
            name = _base_name(base)
            if name is None:
                continue
            if name.endswith("TestCase"):
                return True
            local = self.module_classes.get(name) if isinstance(base, ast.Name) else None
            if local is not None and name not in seen and self._is_unittest(local, seen | {name}):
                return True
        return False

    def _mro(self, cls: ast.ClassDef) -> tuple[list[ast.ClassDef], str | None]:
        """The class and its same-file bases (depth first), plus why the list may be incomplete."""
        order: list[ast.ClassDef] = []
        open_reason: str | None = None
        stack = [cls]
        seen: set[str] = set()
        while stack:
            current = stack.pop(0)
            if current.name in seen and current is not cls:
                continue
            seen.add(current.name)
            order.append(current)
            for base in current.bases:
                name = _base_name(base)
                if name is None:
                    open_reason = f"base `{ast.unparse(base)}` is computed"
                    continue
                local = self.module_classes.get(name) if isinstance(base, ast.Name) else None
                if local is not None and local is not current:
                    stack.append(local)
                elif name not in _NEUTRAL_BASES and not name.endswith("TestCase"):
                    open_reason = f"it inherits from `{ast.unparse(base)}`, defined in another module"
        return order, open_reason

    def _class_marks(self, mro: list[ast.ClassDef]) -> list[Mark]:
        marks: list[Mark] = []
        for cls in mro:
            marks.extend(pytestmark_marks(cls.body))
            marks.extend(marks_of(cls.decorator_list))
        return marks

    def visit_class(
        self,
        cls: ast.ClassDef,
        outer: tuple[str, ...],
        outer_marks: list[Mark],
        outer_skip: str | None,
    ) -> None:
        qual = (*outer, cls.name)
        qualname = "::".join(qual)
        unittest = self._is_unittest(cls)
        if not unittest and not matches_option(cls.name, self.cfg.python_classes):
            self.scan.not_collected[qualname] = (
                f"class name does not match python_classes {list(self.cfg.python_classes)}"
            )
            return
        mro, open_reason = self._mro(cls)
        if _sets_test_false(cls.body):
            self.scan.not_collected[qualname] = "class sets __test__ = False"
            return
        if not unittest:
            for klass in mro:
                for stmt in klass.body:
                    if isinstance(stmt, ast.FunctionDef) and stmt.name in {"__init__", "__new__"}:
                        self.scan.not_collected[qualname] = (
                            f"class defines {stmt.name} (pytest does not collect test classes with a constructor)"
                        )
                        return
        self.scan.classes.append(qualname)
        if open_reason:
            self.scan.open_classes[qualname] = open_reason
        marks = self._class_marks(mro) + outer_marks
        skip = outer_skip or unittest_skip(cls.decorator_list)
        for mark in self._class_marks(mro):
            skip = skip or unconditional_skip(mark)
        # Members in definition order, subclass first; the first definition of a name wins.
        seen: set[str] = set()
        methods: dict[str, FuncDef] = {}
        members: list[ast.stmt] = []
        for klass in mro:
            for stmt in klass.body:
                name = getattr(stmt, "name", None)
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and name not in seen:
                    seen.add(name)  # type: ignore[arg-type]
                    members.append(stmt)
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                        methods[stmt.name] = stmt
        for stmt in members:
            if isinstance(stmt, ast.ClassDef):
                if unittest:
                    self.scan.not_collected[f"{qualname}::{stmt.name}"] = "nested classes of a TestCase are not collected"
                else:
                    self.visit_class(stmt, qual, marks, skip)
                continue
            assert isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            if unittest:
                collected = stmt.name.startswith("test")
                why = "unittest collects only methods named test*"
            else:
                collected = matches_option(stmt.name, self.cfg.python_functions) and not _is_fixture(stmt)
                why = (
                    "it is a fixture"
                    if _is_fixture(stmt)
                    else f"name does not match python_functions {list(self.cfg.python_functions)}"
                )
            if collected:
                self.add_function(stmt, qual, marks, skip, methods, unittest)
            else:
                self.scan.not_collected[f"{qualname}::{stmt.name}"] = why

    # --- functions -----------------------------------------------------------------
    def add_function(
        self,
        func: FuncDef,
        classes: tuple[str, ...],
        scope_marks: list[Mark],
        scope_skip: str | None,
        methods: dict[str, FuncDef] | None,
        unittest: bool,
    ) -> None:
        own = marks_of(func.decorator_list)
        all_marks = own + scope_marks + self.module_marks
        test = TestFunction(
            file=self.rel,
            classes=classes,
            name=func.name,
            line=func.lineno,
            col=func.col_offset + 1,
            is_async=isinstance(func, ast.AsyncFunctionDef),
            is_unittest=unittest,
        )
        skip = self.module_skip or scope_skip or unittest_skip(func.decorator_list)
        for mark in own:
            skip = skip or unconditional_skip(mark)
        if skip is None and func.body and is_skip_call(func.body[0]):
            skip = "its first statement is pytest.skip()"
        param_calls = [m.call for m in all_marks if m.name == "parametrize"]
        if skip is None and any(c is not None and is_empty_parametrize(c, self.scope) for c in param_calls):
            skip = "an empty parameter set (pytest skips it)"
        test.skipped = skip
        test.cannot_fail = self.failures.cannot_fail_reason(func, methods)
        if param_calls and not unittest:
            try:
                per_call = []
                for call in param_calls:
                    if call is None:
                        raise Undecidable("bare @pytest.mark.parametrize")
                    per_call.append(parametrize_ids(call, self.scope, self.rules))
                test.params = tuple(combine(per_call))
            except Undecidable as exc:
                test.params = ()
                test.params_undecidable = str(exc)
        markers: list[Marker] = []
        for mark in all_marks:
            if mark.name == "falsifies":
                markers.extend(Marker(text, line, col) for text, line, col in string_args(mark))
        test.markers = tuple(markers)
        test.mark_names = tuple(dict.fromkeys(m.name for m in all_marks))
        self.scan.functions.append(test)

    def run(self) -> FileScan:
        if _sets_test_false(self.tree.body):
            self.scan.not_collected["<module>"] = "the module sets __test__ = False"
            return self.scan
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ClassDef):
                self.visit_class(stmt, (), [], None)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if _is_fixture(stmt):
                    if matches_option(stmt.name, self.cfg.python_functions):
                        self.scan.not_collected[stmt.name] = "it is a fixture"
                elif matches_option(stmt.name, self.cfg.python_functions):
                    self.add_function(stmt, (), [], None, None, False)
                else:
                    self.scan.not_collected[stmt.name] = (
                        f"name does not match python_functions {list(self.cfg.python_functions)}"
                    )
        return self.scan


def scan_source(rel: str, data: bytes, cfg: PytestConfig) -> FileScan:
    """Scan one file's bytes. Never raises on bad input: a parse error is recorded on the scan."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        tree = ast.parse(data, filename=rel)
    except SyntaxError as exc:
        return FileScan(path=rel, sha256=sha, error=f"line {exc.lineno}: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileScan(path=rel, sha256=sha, error=f"cannot parse: {exc}")
    scan = _FileScanner(rel, tree, cfg).run()
    scan.sha256 = sha
    return scan
