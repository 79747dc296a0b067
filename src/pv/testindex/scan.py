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
    as_mark,
    is_skip_call,
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

# Decorators that neither parametrize nor change which arguments are fixtures.
_INERT_DECORATORS = {"staticmethod", "classmethod", "settings", "example", "seed", "reproduce_failure",
                     "skip", "skipIf", "skipUnless", "expectedFailure", "given", "wraps"}
# pytest_* hooks that can add, remove, rename or parametrize items: a file under them is undecidable.
COLLECTION_HOOKS = {"pytest_generate_tests", "pytest_pycollect_makeitem", "pytest_pycollect_makemodule",
                    "pytest_collect_file", "pytest_collect_directory", "pytest_collection_modifyitems",
                    "pytest_ignore_collect", "pytest_make_collect_report", "pytest_collection",
                    "pytest_make_parametrize_id", "pytest_plugins"}


CONDITIONAL_DEFS = "<conditional>"  # a FileScan.hooks entry: defs under a module-level if/try/with


def _fixture_call(func: FuncDef) -> ast.expr | None:
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "fixture"
        ):
            return deco
    return None


def _positional_args(func: FuncDef, method: bool) -> list[str]:
    """Argument names pytest treats as fixture requests: no defaults, no *args, no leading self/cls."""
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if method and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list):
        names = names[1:]
    if args.defaults:
        names = names[: len(names) - len(args.defaults)]
    names += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    return names


def fixture_record(func: FuncDef, scope: str, method: bool) -> list[object]:
    """[scope, name, has_params, autouse, args] for one fixture def (see FileScan.fixtures)."""
    deco = _fixture_call(func)
    name, params, autouse = func.name, False, False
    if isinstance(deco, ast.Call):
        for kw in deco.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                name = kw.value.value
            elif kw.arg == "params":
                params = not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
            elif kw.arg == "autouse":
                autouse = not (isinstance(kw.value, ast.Constant) and not kw.value.value)
            elif kw.arg is None:
                params = autouse = True  # **kwargs: anything goes
    return [scope, name, params, autouse, _positional_args(func, method)]


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
        self.module_marks, self.module_dynamic = self._pytestmark(tree.body, "module")
        self.class_dynamic: dict[str, str | None] = {}
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

    # --- marks (literal, or stored in a module-level variable) ------------------------
    def _mark_list(self, node: ast.expr) -> list[Mark] | None:
        """The marks an expression denotes (a mark, a variable holding one, a list of them), or None."""
        direct = as_mark(node)
        if direct is not None:
            return [direct]
        resolved = self.scope.resolve(node) if isinstance(node, ast.Name) else node
        if resolved is not node:
            return self._mark_list(resolved)
        if isinstance(node, ast.List | ast.Tuple):
            out: list[Mark] = []
            for elt in node.elts:
                sub = self._mark_list(elt)
                if sub is None:
                    return None
                out.extend(sub)
            return out
        return None

    def _pytestmark(self, body: list[ast.stmt], where: str) -> tuple[list[Mark], str | None]:
        marks: list[Mark] = []
        for stmt in body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark"
                                                    for t in stmt.targets):
                found = self._mark_list(stmt.value)
                if found is None:
                    return marks, f"{where} pytestmark `{ast.unparse(stmt.value)[:60]}` is computed"
                marks = found  # a later assignment replaces an earlier one
            elif isinstance(stmt, ast.AugAssign | ast.AnnAssign) and isinstance(
                    getattr(stmt, "target", None), ast.Name) and stmt.target.id == "pytestmark":  # type: ignore[union-attr]
                return marks, f"{where} pytestmark is built up at run time"
        return marks, None

    def _decorator_marks(self, decorators: list[ast.expr]) -> tuple[list[Mark], str | None]:
        """Marks in pytest's order (nearest the def first), and why an unknown decorator makes it undecidable."""
        marks: list[Mark] = []
        dynamic: str | None = None
        for deco in reversed(decorators):
            found = self._mark_list(deco)
            if found is not None:
                marks.extend(found)
                continue
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name in _INERT_DECORATORS or name == "fixture":
                continue
            dynamic = dynamic or f"decorator @{ast.unparse(target)[:60]} may parametrize it or change its fixtures"
        return marks, dynamic

    def _class_marks(self, mro: list[ast.ClassDef]) -> list[Mark]:
        marks, _ = self._class_marks_dyn(mro)
        return marks

    def _class_marks_dyn(self, mro: list[ast.ClassDef]) -> tuple[list[Mark], str | None]:
        marks: list[Mark] = []
        dynamic: str | None = None
        for cls in mro:
            found, why = self._pytestmark(cls.body, f"class {cls.name}")
            marks.extend(found)
            deco_marks, deco_why = self._decorator_marks(cls.decorator_list)
            marks.extend(deco_marks)
            dynamic = dynamic or why or deco_why
        return marks, dynamic

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
        class_marks, class_dynamic = self._class_marks_dyn(mro)
        self.class_dynamic[qualname] = (
            class_dynamic or (f"class {qualname} {open_reason}" if open_reason else None)
            or self.class_dynamic.get("::".join(outer)))
        marks = class_marks + outer_marks
        skip = outer_skip or unittest_skip(cls.decorator_list)
        for mark in class_marks:
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
                if _is_fixture(stmt):
                    self.scan.fixtures.append(fixture_record(stmt, qualname, True))
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
        own, deco_dynamic = self._decorator_marks(func.decorator_list)
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
        if not unittest:
            self._fixture_requests(test, func, bool(classes), all_marks, param_calls)
            test.dynamic = (deco_dynamic or self.class_dynamic.get("::".join(classes)) or self.module_dynamic
                            or test.dynamic)
        test.mark_names = tuple(dict.fromkeys(m.name for m in all_marks))
        self.scan.functions.append(test)

    def _fixture_requests(self, test: TestFunction, func: FuncDef, method: bool, marks: list[Mark],
                          param_calls: list[ast.Call | None]) -> None:
        """Which fixtures the test requests: its arguments (minus direct parametrize names and
        what @given supplies), ``usefixtures`` marks, and plugin marks that add one (anyio)."""
        args = _positional_args(func, method)
        for deco in func.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", getattr(deco.func, "attr", None)) == "given":
                supplied = {kw.arg for kw in deco.keywords}
                args = [a for a in args if a not in supplied]
                if deco.args:
                    args = args[: max(len(args) - len(deco.args), 0)]
        direct: set[str] = set()
        indirect: set[str] = set()
        for call in param_calls:
            if call is None:
                continue
            names_node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "argnames"),
                                                             None)
            value = self.scope.resolve(names_node) if names_node is not None else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                names = [n.strip() for n in value.value.split(",") if n.strip()]
            elif isinstance(value, ast.List | ast.Tuple) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
                names = [e.value for e in value.elts]  # type: ignore[attr-defined]
            else:
                test.dynamic = "parametrize argnames are computed"
                continue
            ind = next((k.value for k in call.keywords if k.arg == "indirect"), None)
            if ind is None or (isinstance(ind, ast.Constant) and ind.value is False):
                direct.update(names)
            elif isinstance(ind, ast.Constant) and ind.value is True:
                indirect.update(names)
            elif isinstance(ind, ast.List | ast.Tuple) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in ind.elts):
                chosen = {e.value for e in ind.elts}  # type: ignore[attr-defined]
                indirect.update(n for n in names if n in chosen)
                direct.update(n for n in names if n not in chosen)
            else:
                test.dynamic = f"indirect=`{ast.unparse(ind)[:40]}` is computed"
        requested = [a for a in args if a not in direct]
        for mark in marks:
            if mark.name == "usefixtures":
                if mark.call is None:
                    continue
                for arg in mark.call.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        requested.append(arg.value)
                    else:
                        test.dynamic = "usefixtures names are computed"
            elif mark.name == "anyio":
                requested.append("anyio_backend")  # the anyio plugin requests it for marked tests
        test.requires = tuple(dict.fromkeys(requested))
        test.indirect = tuple(sorted(indirect))

    def run(self) -> FileScan:
        if any(isinstance(t, ast.Name) and t.id == "pytest_plugins"
               for stmt in self.tree.body if isinstance(stmt, ast.Assign | ast.AnnAssign)
               for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])):
            self.scan.hooks.append("pytest_plugins")
        for stmt in self.tree.body:  # tests defined only on some Python versions / platforms
            if isinstance(stmt, ast.If | ast.Try | ast.With) and any(
                    isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for n in ast.walk(stmt)):
                self.scan.hooks.append(CONDITIONAL_DEFS)
                break
        if _sets_test_false(self.tree.body):
            self.scan.not_collected["<module>"] = "the module sets __test__ = False"
            return self.scan
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ClassDef):
                self.visit_class(stmt, (), [], None)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if stmt.name in COLLECTION_HOOKS:
                    self.scan.hooks.append(stmt.name)
                if _is_fixture(stmt):
                    self.scan.fixtures.append(fixture_record(stmt, "", False))
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
