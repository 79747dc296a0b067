"""Mutant application (find/replace, unified diffs), the judge's invalid reasons, the ladder setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from pv.checks.mutants import Mutant, MutantError
from pv.config import ConfigError, parse_table
from pv.falsify.judge import judge
from pv.falsify.runner import module_name

CODE = "def f(x):\n    if x > 0:\n        return 1\n    return 0\n"


def _mutant(**kw: str) -> Mutant:
    base = {"file": None, "find": None, "replace": None, "patch": None}
    base.update(kw)
    return Mutant("F-1", 0, base["file"], base["find"], base["replace"], base["patch"], "", "c.yaml", 3, 9)


def test_find_replace_applies_once_and_reports_the_changed_line() -> None:
    m = _mutant(file="m.py", find="return 1", replace="return 2")
    assert m.apply({"m.py": CODE}.get) == {"m.py": (CODE.replace("return 1", "return 2"), 3)}


def test_find_that_occurs_twice_names_both_lines() -> None:
    m = _mutant(file="m.py", find="return", replace="yield")
    with pytest.raises(MutantError, match=r"occurs 2 times in m.py \(lines 3, 4\)"):
        m.apply({"m.py": CODE}.get)


def test_unified_diff_applies_and_a_stale_one_is_refused() -> None:
    patch = "--- a/m.py\n+++ b/m.py\n@@ -2,2 +2,2 @@\n-    if x > 0:\n+    if x >= 0:\n         return 1\n"
    m = _mutant(patch=patch)
    assert m.files() == ["m.py"]
    assert m.apply({"m.py": CODE}.get) == {"m.py": (CODE.replace("x > 0", "x >= 0"), 2)}
    with pytest.raises(MutantError, match=r"does not apply to m\.py"):
        m.apply({"m.py": CODE.replace("x > 0", "x < 0")}.get)
    with pytest.raises(MutantError, match="not a unified diff"):
        _mutant(patch="just prose").apply({"m.py": CODE}.get)


def test_key_changes_when_the_mutant_changes() -> None:
    a = _mutant(file="m.py", find="return 1", replace="return 2")
    b = _mutant(file="m.py", find="return 1", replace="return 3")
    assert a.key != b.key and a.key.startswith("F-1#")


def test_module_names_follow_src_layout() -> None:
    assert module_name("src/calc/core.py") == "calc.core"
    assert module_name("src/calc/__init__.py") == "calc"
    assert module_name("pkg/mod.py") == "pkg.mod"
    assert module_name("tests/test_x.py") is None
    assert module_name("data/x.yaml") is None


def test_judge_names_a_shadowed_import_and_a_collection_error(tmp_path: Path) -> None:
    base = {"collect_errors": [], "failed": [], "passed": 1, "selected": 1}
    shadow = judge({**base, "imports": {"calc": {"file": "/elsewhere/calc/__init__.py", "error": ""}}}, 0,
                   tmp_path, "")
    assert (shadow.outcome, shadow.reason) == ("invalid", "shadowed")
    coll = judge({**base, "imports": {}, "collect_errors": [{"nodeid": "tests/t.py", "error": "ImportError"}]},
                 2, tmp_path, "")
    assert (coll.outcome, coll.reason) == ("invalid", "collection")
    inside = judge({**base, "imports": {"calc": {"file": str(tmp_path / "src/calc/__init__.py"), "error": ""}}},
                   0, tmp_path, "")
    assert inside.outcome == "survived"
    assert judge(None, 4, tmp_path, "usage").reason == "pytest"


def test_falsify_required_is_validated(tmp_path: Path) -> None:
    cfg = parse_table({"falsify_required": "FUNCTIONAL"}, tmp_path / "pyproject.toml")
    assert cfg.extra["falsify_required"] == "FUNCTIONAL"
    with pytest.raises(ConfigError, match="falsify_required must be one of FUNCTIONAL, DISCHARGED, off"):
        parse_table({"falsify_required": "functional-ish"}, tmp_path / "pyproject.toml")
