"""Resolve classified reference parts against the test index: exact matching only.

A node ID must name a file pytest collects, then exactly the class path and
function (and parametrize ID) the static index (or, with ``--collect``,
pytest itself) knows. A bare name must name exactly one collected test. Near
misses get the reason pytest would not run them and a suggestion, never a
silent fuzzy match: substring matching exists only inside ``-k``, because that
is what pytest itself does with ``-k``.
"""

from __future__ import annotations

import difflib
import heapq
import os
from dataclasses import dataclass, field
from pathlib import Path

from pv.binding import codes
from pv.binding.grammar import Kind, Part
from pv.testindex import codes as index_codes
from pv.testindex.discover import why_not_collected
from pv.testindex.index import TestIndex, item_keywords
from pv.testindex.kexpr import KExprError, compile_k, keyword_matcher
from pv.testindex.model import FileScan, TestFunction


@dataclass(slots=True)
class Finding:
    """A problem with one part; ``offset`` is relative to the reference text."""

    code: str
    message: str
    offset: int
    hint: str | None = None
    fragment: str | None = None  # the text the finding is about (to locate its column)


@dataclass(slots=True)
class Resolution:
    tests: list[TestFunction] = field(default_factory=list)  # tests this part binds
    findings: list[Finding] = field(default_factory=list)
    specific: bool = False  # bound to named functions (not a module, class or -k selection)


# "Did you mean" over a huge option list (a function with thousands of parametrize IDs) would cost
# difflib a second per miss; past this many options only those sharing the longest prefix with the
# word are compared (a hint, not a verdict: the finding is the same either way).
CLOSE_SCAN_MAX = 128


def _close(word: str, options: list[str], n: int = 3) -> list[str]:
    if len(options) > CLOSE_SCAN_MAX:
        low = word.lower()

        def shared(option: str) -> int:
            option = option.lower()
            k = 0
            for a, b in zip(low, option, strict=False):
                if a != b:
                    break
                k += 1
            return k

        options = heapq.nlargest(CLOSE_SCAN_MAX, options, key=shared)
    return difflib.get_close_matches(word, options, n=n, cutoff=0.8)


def _node_file(text: str) -> str:
    """The file part of a node ID as the index keys it (canonicalised like ``node_id`` does)."""
    file_part = text.partition("::")[0]
    if file_part.startswith(".") or "/." in file_part or "//" in file_part or "\\" in file_part:
        file_part = os.path.normpath(file_part.replace("\\", "/")).replace(os.sep, "/")
    return file_part


def _split_param(text: str) -> tuple[str, str | None]:
    """``name[param]`` -> (name, param); the param is everything between the first '[' and the final ']'."""
    if text.endswith("]") and "[" in text:
        head, _, tail = text.partition("[")
        return head, tail[:-1]
    return text, None


class Resolver:
    """Answers 'what does this reference part bind to?' for one project."""

    def __init__(self, index: TestIndex, root: Path, ambiguous_severity_is_error: bool = True) -> None:
        self.index = index
        self.root = root.resolve()
        self.ambiguous_error = ambiguous_severity_is_error
        # What ``ambiguous_bare_names = "warning"`` lowers (pv.policy.severity_of reads it).
        self.lowered_codes: frozenset[str] = frozenset() if ambiguous_severity_is_error else frozenset(
            {codes.BARE_AMBIGUOUS})
        self.collected: set[str] | None = None  # pytest's real node IDs (--collect)
        self._collected_prefixes: set[str] = set()
        # Paths outside the test index whose existence decided a result (the run cache re-checks them).
        self.probes: dict[str, bool] = {}
        self._inside: dict[str, Path | None] = {}
        self._memo: dict[tuple[str, str, int], Resolution] = {}
        # Files whose citations static analysis cannot decide: rel -> reason (strict mode collects them).
        self.undecided: dict[str, str] = {}
        # pytest's collection of just those files (the exact fallback): rel -> node IDs, and errors.
        self.exact: dict[str, set[str]] = {}
        self.exact_errors: dict[str, str] = {}
        self._exact_prefixes: set[str] = set()

    def attach_files(self, node_ids: dict[str, list[str]], errors: dict[str, str]) -> None:
        """pytest's real collection decides existence for these files only (the strict-mode fallback)."""
        self.exact = {rel: set(ids) for rel, ids in node_ids.items()}
        self.exact_errors = dict(errors)
        decided = set(self.exact) | set(self.exact_errors)
        # Only answers about the files pytest just decided can change (and bare names or pytest
        # commands, which may land anywhere); every other memoized answer stands.
        self._memo = {key: res for key, res in self._memo.items()
                      if key[0] == Kind.NODE_ID.value and _node_file(key[1]) not in decided}
        for ids in self.exact.values():
            for nid in ids:
                base, _ = _split_param(nid)
                pieces = base.split("::")
                for k in range(1, len(pieces) + 1):
                    self._exact_prefixes.add("::".join(pieces[:k]))

    def _undecided(self, rel: str, why: str) -> None:
        self.undecided.setdefault(rel, why)

    def _exact_node(self, text: str, file_part: str, offset: int, res: Resolution) -> Resolution:
        """Existence by pytest's own collection of this file (the strict-mode fallback)."""
        if file_part in self.exact_errors:
            res.findings.append(Finding(index_codes.COLLECT_FAILED,
                f"pytest cannot collect {file_part}: {self.exact_errors[file_part]}", offset, fragment=text))
            return res
        ids = self.exact.get(file_part, set())
        if text in ids or text in self._exact_prefixes:
            base, _ = _split_param(text)
            func = self.index.function(base)
            if func is not None:
                res.tests, res.specific = [func], True
            else:
                res.tests = self.index.under(base)
            return self._deselected(res, offset, text)
        base, param = _split_param(text)
        if param is not None and base in self._exact_prefixes:
            known = sorted(n[len(base) + 1:-1] for n in ids if n.startswith(base + "["))
            shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            options = _close(param, known, n=1)
            res.findings.append(Finding(codes.PARAM_MISSING,
                f"pytest collects no {text!r}" + (f"; its IDs are: {shown}" if known else " (it is not parametrized)"),
                offset, hint=f"did you mean [{options[0]}]?" if options else None, fragment=text))
            return res
        options = _close(text, sorted(ids), n=1)
        res.findings.append(Finding(codes.TEST_MISSING,
            f"pytest's collection of {file_part} has no {text!r}", offset,
            hint=f"did you mean {options[0]!r}?" if options else None, fragment=text))
        return res

    def _deselected(self, res: Resolution, offset: int, text: str) -> Resolution:
        """A warning when addopts' -m/-k deselect the bound test (it exists; the default run skips it)."""
        from pv.testindex.pyconfig import option_values

        addopts = self.index.config.addopts
        if not addopts or not res.specific:
            return res
        m_exprs, k_exprs = option_values(addopts, "-m"), option_values(addopts, "-k")
        if not m_exprs and not k_exprs:
            return res
        _, param = _split_param(text)
        for func in res.tests:
            try:
                if m_exprs and m_exprs[-1]:
                    marks = {m.lower() for m in func.mark_names}
                    if not compile_k(m_exprs[-1])(lambda needle, marks=marks: needle in marks):
                        res.findings.append(Finding(codes.DESELECTED,
                            f"{text!r} exists but addopts `-m {m_exprs[-1]}` deselects it ({self.index.config.source})",
                            offset, fragment=text))
                        continue
                if k_exprs and k_exprs[-1] and not compile_k(k_exprs[-1])(
                        keyword_matcher(item_keywords(func, param))):
                    res.findings.append(Finding(codes.DESELECTED,
                        f"{text!r} exists but addopts `-k {k_exprs[-1]}` deselects it ({self.index.config.source})",
                        offset, fragment=text))
            except KExprError:
                return res
        return res

    def _exists(self, path: Path, *, directory: bool = False) -> bool:
        found = path.is_dir() if directory else path.exists()
        self.probes[str(path)] = path.exists()
        return found

    def attach_collection(self, node_ids: set[str]) -> None:
        """Use pytest's own collection as the authority for existence (``--collect``)."""
        self.collected = node_ids
        self._memo.clear()
        prefixes: set[str] = set()
        for nid in node_ids:
            base, _ = _split_param(nid) if "::" in nid else (nid, None)
            pieces = base.split("::")
            for k in range(1, len(pieces) + 1):
                prefixes.add("::".join(pieces[:k]))
        self._collected_prefixes = prefixes

    # ---- paths ---------------------------------------------------------------------------
    def inside_root(self, rel: str) -> Path | None:
        """The absolute path when ``rel`` stays inside the root (symlinks resolved), else None."""
        if rel in self._inside:
            return self._inside[rel]
        result: Path | None = None
        if not (os.path.isabs(rel) or rel.startswith("~")):
            candidate = (self.root / rel).resolve()
            try:
                candidate.relative_to(self.root)
                result = candidate
            except ValueError:
                result = None
        self._inside[rel] = result
        return result

    # ---- node IDs ------------------------------------------------------------------------
    def node_id(self, text: str, offset: int) -> Resolution:
        res = Resolution()
        file_part, sep, rest = text.partition("::")
        canonical = _node_file(file_part)
        if self.inside_root(file_part) is None:
            res.findings.append(Finding(codes.OUTSIDE_ROOT,
                f"test file {file_part!r} is outside the project root {self.root}", offset, fragment=file_part))
            return res
        if canonical != file_part:
            fixed = canonical + (sep + rest if sep else "")
            res.findings.append(Finding(codes.NOT_CANONICAL, f"node ID {text!r} is not canonical",
                offset, hint=f"write {fixed!r}", fragment=file_part))
            file_part = canonical
        if file_part in self.exact or file_part in self.exact_errors:
            return self._exact_node(text, file_part, offset, res)
        scan = self.index.file(file_part)
        if scan is not None and file_part in self.index.file_dynamic and sep:
            why = self.index.file_dynamic[file_part]
            self._undecided(file_part, why)
            res.findings.append(Finding(codes.UNDECIDABLE,
                f"cannot tell statically whether {text!r} exists: {why}", offset, fragment=text))
            return res
        base_rest, param = _split_param(rest) if rest else ("", None)
        segments = base_rest.split("::") if base_rest else []
        name = segments[-1] if segments else None
        if scan is None:
            return self._unindexed_file(text, file_part, sep, name, offset, res)
        if scan.error:
            res.findings.append(Finding(codes.FILE_UNPARSABLE, f"test file {file_part!r} does not parse: {scan.error}",
                offset, fragment=file_part))
            return res
        if not segments:
            res.tests = list(scan.functions)
            if param is not None or not res.tests:
                res.findings.append(Finding(codes.TEST_MISSING, f"{file_part!r} collects no test", offset,
                    fragment=text))
            return self._check_collected(text, res, offset)
        qual = "::".join(segments)
        func = self.index.function(f"{file_part}::{qual}")
        if func is not None:
            res.tests = [func]
            res.specific = True
            if param is not None:
                self._check_param(func, param, text, offset, res)
            if not res.findings:
                self._deselected(res, offset, text)
            return self._check_collected(text, res, offset)
        if qual in scan.classes:
            res.tests = self.index.under(f"{file_part}::{qual}")
            if param is not None:
                res.findings.append(Finding(codes.NOT_PARAMETRIZED,
                    f"{qual!r} is a class; a [param] suffix belongs to a test function", offset, fragment=text))
            elif not res.tests:
                res.findings.append(Finding(codes.TEST_MISSING, f"class {qual!r} collects no test", offset,
                    fragment=text))
            return self._check_collected(text, res, offset)
        if self._collected_has(text):
            return self._from_collection(text, res)
        return self._explain_missing(text, file_part, scan, segments, name, offset, res)

    def _unindexed_file(self, text: str, file_part: str, sep: str, name: str | None, offset: int,
                        res: Resolution) -> Resolution:
        """A cited file the static index has no scan of: missing, ignored, a doctest, or not collected."""
        path = self.root / file_part
        if not self._exists(path):
            hint = self._elsewhere(name) if name else None
            res.findings.append(Finding(codes.FILE_MISSING, f"test file {file_part!r} does not exist",
                offset, hint=hint, fragment=file_part))
            return res
        if file_part in self.index.ignored:
            res.findings.append(Finding(codes.FILE_NOT_COLLECTED,
                f"test file {file_part!r} exists but pytest does not collect it: {self.index.ignored[file_part]}",
                offset, fragment=file_part))
            return res
        doctest = self._doctest_file(file_part)
        if doctest is not None and sep and not self._collected_has(text):
            self._undecided(file_part, doctest)
            res.findings.append(Finding(codes.UNDECIDABLE,
                f"cannot tell statically whether {text!r} exists: {doctest}", offset, fragment=text))
            return res
        why = why_not_collected(file_part, self.index.config) or "pytest's configuration does not select it"
        if self._collected_has(text):
            return self._from_collection(text, res)
        res.findings.append(Finding(codes.FILE_NOT_COLLECTED,
            f"test file {file_part!r} exists but pytest does not collect it: {why}", offset,
            fragment=file_part))
        return res

    def _explain_missing(self, text: str, file_part: str, scan: FileScan, segments: list[str], name: str | None,
                         offset: int, res: Resolution) -> Resolution:
        """The cited test is not in the file's scan: say exactly why (the nearest real cause first)."""
        qual = "::".join(segments)
        for k in range(len(segments), 0, -1):
            prefix = "::".join(segments[:k])
            reason = scan.not_collected.get(prefix)
            if reason is not None:
                res.findings.append(Finding(codes.NOT_COLLECTED,
                    f"{prefix!r} in {file_part} exists but pytest does not collect it: {reason}",
                    offset, fragment=text))
                return res
        owner = "::".join(segments[:-1])
        if "." in (name or "") and self._doctest_modules():
            why = "--doctest-modules in addopts: pytest collects this file's doctests"
            self._undecided(file_part, why)
            res.findings.append(Finding(codes.UNDECIDABLE, f"cannot tell statically whether {text!r} exists: {why}",
                offset, fragment=text))
            return res
        if owner and owner in scan.open_classes:
            self._undecided(file_part, f"class {owner!r} {scan.open_classes[owner]}")
            res.findings.append(Finding(codes.CLASS_UNDECIDABLE,
                f"cannot tell statically whether {text!r} exists: class {owner!r} {scan.open_classes[owner]}",
                offset, hint="run `pv lint --collect`", fragment=text))
            return res
        assert name is not None
        same_name = [f for f in scan.functions if f.name == name]
        if same_name:
            where = ", ".join(repr(f.base_nodeid) for f in same_name[:5])
            res.findings.append(Finding(codes.WRONG_CLASS,
                f"{file_part} has no test {qual!r}; a test named {name!r} is at {where}", offset,
                hint=f"cite {same_name[0].base_nodeid!r}", fragment=text))
            return res
        if owner and owner not in scan.classes:
            options = _close(owner, scan.classes)
            res.findings.append(Finding(codes.WRONG_CLASS,
                f"{file_part} has no test class {owner!r}", offset,
                hint=f"did you mean {options[0]!r}?" if options else None, fragment=text))
            return res
        local_names = [f.name for f in scan.functions if "::".join(f.classes) == owner]
        options = _close(name, local_names)
        hint = f"did you mean {file_part + '::' + (owner + '::' if owner else '') + options[0]!r}?" if options else (
            self._elsewhere(name))
        res.findings.append(Finding(codes.TEST_MISSING, f"{file_part} has no test {qual!r}", offset, hint=hint,
            fragment=text))
        return res

    def _doctest_modules(self) -> bool:
        return "--doctest-modules" in self.index.config.addopts

    def _doctest_file(self, rel: str) -> str | None:
        """Why pytest may collect doctests from a file the static index does not list, or None."""
        import fnmatch

        from pv.testindex.discover import why_not_collected
        from pv.testindex.pyconfig import option_values

        if rel.endswith(".py"):
            if not self._doctest_modules():
                return None
            why = why_not_collected(rel, self.index.config)
            if why is not None and "python_files" not in why:
                return None
            return "--doctest-modules in addopts: pytest collects this module's doctests"
        globs = option_values(self.index.config.addopts, "--doctest-glob") or ["test*.txt"]
        name = rel.rsplit("/", 1)[-1]
        if not any(fnmatch.fnmatch(name, g) for g in globs):
            return None
        starts = why_not_collected(rel[: -len(name)] + "test_x.py", self.index.config)
        if starts is not None and "python_files" not in starts:
            return None  # outside testpaths or under norecursedirs
        return f"doctest text file matching {globs}"

    def _elsewhere(self, name: str | None) -> str | None:
        if not name:
            return None
        found = self.index.named(name)
        if found:
            return f"a test named {name!r} exists at {found[0].base_nodeid!r}"
        return None

    def _check_param(self, func: TestFunction, param: str, text: str, offset: int, res: Resolution) -> None:
        if self.collected is not None:  # --collect: pytest's own IDs decide (hooks may parametrize too)
            if f"{func.base_nodeid}[{param}]" not in self.collected:
                prefix = func.base_nodeid + "["
                ids = sorted(n[len(prefix):-1] for n in self.collected if n.startswith(prefix))
                if not ids:
                    res.findings.append(Finding(codes.NOT_PARAMETRIZED,
                        f"pytest collects {func.base_nodeid!r} unparametrized, so [{param}] selects nothing", offset,
                        hint=f"cite {func.base_nodeid!r}", fragment=text))
                    return
                known = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "")
                res.findings.append(Finding(codes.PARAM_MISSING,
                    f"pytest collects no {func.base_nodeid}[{param}]; its IDs are: {known}", offset, fragment=text))
            return
        if func.base_nodeid in self.index.undecidable and (func.file not in self.exact):
            why = self.index.undecidable[func.base_nodeid]
            self._undecided(func.file, why)
            res.findings.append(Finding(codes.PARAM_UNDECIDABLE,
                f"cannot decide statically whether [{param}] is a parametrize ID of {func.base_nodeid!r}: {why}",
                offset, hint="run with --strict-test-binding (pytest's collection of this file decides) or --collect",
                fragment=text))
            return
        if func.file in self.exact:
            ids = self.exact[func.file]
            if f"{func.base_nodeid}[{param}]" not in ids:
                known = sorted(n[len(func.base_nodeid) + 1:-1] for n in ids if n.startswith(func.base_nodeid + "["))
                res.findings.append(Finding(codes.PARAM_MISSING,
                    f"pytest collects no {func.base_nodeid}[{param}]; its IDs are: {', '.join(known[:8]) or '(none)'}",
                    offset, fragment=text))
            return
        if func.params is None:
            res.findings.append(Finding(codes.NOT_PARAMETRIZED,
                f"{func.base_nodeid!r} is not parametrized, so [{param}] selects nothing", offset,
                hint=f"cite {func.base_nodeid!r}", fragment=text))
            return
        if func.params_undecidable is not None:
            res.findings.append(Finding(codes.PARAM_UNDECIDABLE,
                f"cannot decide statically whether [{param}] is a parametrize ID of {func.base_nodeid!r}: "
                f"{func.params_undecidable}", offset,
                hint="run `pv lint --collect`, or give the case an explicit id with pytest.param(..., id=...)",
                fragment=text))
            return
        if param not in func.params:
            known = ", ".join(func.params[:8]) + (", ..." if len(func.params) > 8 else "")
            options = _close(param, list(func.params), n=1)
            res.findings.append(Finding(codes.PARAM_MISSING,
                f"{func.base_nodeid!r} has no parametrize ID [{param}]; its IDs are: {known}", offset,
                hint=f"did you mean [{options[0]}]?" if options else None, fragment=text))

    def _collected_has(self, nid: str) -> bool:
        if self.collected is None:
            return False
        return nid in self.collected or nid in self._collected_prefixes

    def _from_collection(self, text: str, res: Resolution) -> Resolution:
        """pytest collects it although the static index does not: trust pytest (--collect)."""
        base, _ = _split_param(text)
        func = self.index.function(base)
        if func is not None:
            res.tests = [func]
            res.specific = True
        return res

    def _check_collected(self, text: str, res: Resolution, offset: int) -> Resolution:
        if self.collected is not None and not res.findings and not self._collected_has(text):
            res.findings.append(Finding(codes.FILE_NOT_COLLECTED,
                f"pytest's own collection (--collect) does not include {text!r}", offset, fragment=text))
        return res

    # ---- bare names ------------------------------------------------------------------------
    def bare(self, text: str, offset: int) -> Resolution:
        res = Resolution()
        name_part, param = _split_param(text)
        segments = name_part.split("::")
        name = segments[-1]
        owners = tuple(segments[:-1])
        candidates = [f for f in self.index.named(name) if not owners or f.classes[-len(owners):] == owners]
        if not candidates:
            hint = None
            options = _close(name, list(self.index.by_name))
            if options:
                hint = f"did you mean {options[0]!r}?"
            for scan in self.index.files.values():
                for qual, reason in scan.not_collected.items():
                    if qual == name_part or qual.endswith("::" + name_part):
                        hint = f"{scan.path}::{qual} exists but pytest does not collect it: {reason}"
                        break
            res.findings.append(Finding(codes.BARE_MISSING, f"no collected test is named {name_part!r}", offset,
                hint=hint, fragment=text))
            return res
        if len(candidates) > 1:
            listed = ", ".join(f.base_nodeid for f in candidates[:6])
            res.findings.append(Finding(codes.BARE_AMBIGUOUS,
                f"bare name {name_part!r} matches {len(candidates)} tests: {listed}", offset,
                hint="cite the full node ID", fragment=text))
            if not self.ambiguous_error:
                res.tests = candidates
                res.specific = True
            return res
        func = candidates[0]
        res.tests = [func]
        res.specific = True
        if param is not None:
            self._check_param(func, param, text, offset, res)
        return res

    # ---- pytest command lines -------------------------------------------------------------
    def pytest_command(self, part: Part) -> Resolution:
        res = Resolution()
        if part.problem:
            res.findings.append(Finding(codes.BAD_COMMAND, f"cannot read pytest command: {part.problem}",
                part.offset, fragment=part.text))
            return res
        selected: list[tuple[TestFunction, str | None]] = []
        if not part.args and part.k_expr is None and part.m_expr is None:
            res.findings.append(Finding(codes.WHOLE_SUITE,
                "this pytest command runs the whole suite; it binds no particular test", part.offset,
                hint="add the node ID of the test that falsifies the prediction", fragment=part.text))
            return res
        if not part.args:
            pool = [f for f in self.index.functions()]
        else:
            pool = []
            for arg, off in part.args:
                if "::" in arg or arg.endswith(".py"):
                    sub = self.node_id(arg, off)
                    res.findings.extend(sub.findings)
                    pool.extend(sub.tests)
                    if sub.specific and part.k_expr is None and part.m_expr is None:
                        res.tests.extend(sub.tests)
                        res.specific = True
                    continue
                folder = self.inside_root(arg)
                if folder is None:
                    res.findings.append(Finding(codes.OUTSIDE_ROOT, f"pytest argument {arg!r} is outside the project root",
                        off, fragment=arg))
                    continue
                rel = folder.relative_to(self.root).as_posix()
                if not self._exists(folder, directory=True):
                    res.findings.append(Finding(codes.FILE_MISSING, f"pytest argument {arg!r} does not exist",
                        off, fragment=arg))
                    continue
                prefix = "" if rel == "." else rel.rstrip("/") + "/"
                found = [f for f in self.index.functions() if f.file.startswith(prefix)]
                if not found:
                    res.findings.append(Finding(codes.TEST_MISSING, f"pytest collects no test under {arg!r}",
                        off, fragment=arg))
                pool.extend(found)
        if part.k_expr is None and part.m_expr is None:
            if not res.specific:
                res.tests = pool
            return res
        try:
            k_pred = compile_k(part.k_expr) if part.k_expr is not None else None
            m_pred = compile_k(part.m_expr) if part.m_expr is not None else None
        except KExprError as exc:
            res.findings.append(Finding(codes.BAD_COMMAND, f"invalid -k/-m expression: {exc}", part.offset,
                fragment=part.k_expr or part.m_expr))
            return res
        for func in pool:
            params: list[str | None] = list(func.params) if func.params else [None]
            for param in params:
                if k_pred is not None and not k_pred(keyword_matcher(item_keywords(func, param))):
                    continue
                if m_pred is not None:
                    marks = set(func.mark_names)
                    if not m_pred(lambda needle, marks=marks: needle in {m.lower() for m in marks}):
                        continue
                selected.append((func, param))
        if not selected and not res.findings:
            expr = " ".join(x for x in (f"-k {part.k_expr!r}" if part.k_expr else "",
                                        f"-m {part.m_expr!r}" if part.m_expr else "") if x)
            res.findings.append(Finding(codes.K_SELECTS_NOTHING, f"`{expr}` selects no collected test",
                part.offset, fragment=part.k_expr or part.m_expr))
        unique: dict[str, TestFunction] = {}
        for func, _ in selected:
            unique.setdefault(func.base_nodeid, func)
        res.tests = list(unique.values())
        return res

    # ---- dispatch -----------------------------------------------------------------------
    def resolve(self, part: Part) -> Resolution:
        """What ``part`` binds. Memoized (the same text resolves once per run); treat the result as read-only."""
        key = (part.kind.value, part.text, part.offset)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._memo[key] = self._resolve(part)
        return cached

    def _resolve(self, part: Part) -> Resolution:
        if part.kind is Kind.NODE_ID:
            return self.node_id(part.text, part.offset)
        if part.kind is Kind.BARE:
            return self.bare(part.text, part.offset)
        if part.kind is Kind.PYTEST:
            return self.pytest_command(part)
        return self._non_test(part)

    def _non_test(self, part: Part) -> Resolution:
        res = Resolution()
        if part.kind is Kind.UNCLASSIFIED:
            why = part.reason or "it is not a node ID, bare test name, pytest command, LIVE-PENDING, LIVE, pv or shell:"
            res.findings.append(Finding(codes.UNCLASSIFIED, f"cannot classify this test reference: {why}",
                part.offset, fragment=part.text))
        elif part.kind is Kind.LIVE_PENDING:
            if not part.reason:
                res.findings.append(Finding(codes.PENDING_NO_REASON, "LIVE-PENDING needs a reason", part.offset,
                    hint="write `LIVE-PENDING: <what run is missing and why>`", fragment=part.text))
        elif part.kind is Kind.LIVE:
            from pv.binding.live import split_target

            target = split_target(part.target or "").pack  # the seal (@sha256:...) is the evidence gate's
            if not target.startswith("evidence/") or len(target.split()) != 1 or target.rstrip("/") == "evidence":
                res.findings.append(Finding(codes.PACK_MISSING,
                    f"LIVE reference must be `LIVE: evidence/<pack>`, got {target!r}", part.offset,
                    fragment=part.text))
            else:
                folder = self.inside_root(target)
                if folder is None:
                    res.findings.append(Finding(codes.OUTSIDE_ROOT,
                        f"evidence pack {target!r} is outside the project root", part.offset, fragment=target))
                elif not self._exists(folder, directory=True):
                    res.findings.append(Finding(codes.PACK_MISSING, f"evidence pack {target!r} does not exist",
                        part.offset, hint="record it with `pv evidence record --name ...`", fragment=target))
        elif part.kind is Kind.PV:
            words = [w for w, _ in part.args]
            if not words or words[0] not in {"validate", "lint"}:
                res.findings.append(Finding(codes.PV_COMMAND,
                    f"`{part.text}` is not `pv validate ...` or `pv lint ...`", part.offset, fragment=part.text))
            else:
                for word, off in part.args[1:]:
                    if word.startswith("-"):
                        continue
                    target = self.inside_root(word)
                    if target is None:
                        res.findings.append(Finding(codes.OUTSIDE_ROOT,
                            f"pv argument {word!r} is outside the project root", off, fragment=word))
                    elif not any(ch in word for ch in "*?[") and not self._exists(target):
                        res.findings.append(Finding(codes.PV_COMMAND, f"pv argument {word!r} does not exist",
                            off, fragment=word))
        elif part.kind is Kind.SHELL and part.problem:
            res.findings.append(Finding(codes.SHELL_EMPTY, part.problem, part.offset, fragment=part.text))
        return res
