"""The static index agrees with pytest's own collection, and honors the project's pytest settings."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pv.testindex import cache
from pv.testindex.collect import compare, run_collection
from pv.testindex.index import build_index
from pv.testindex.pyconfig import load_pytest_config

# Every parametrize form whose IDs pytest derives from literals, plus collection rules.
TRICKY = textwrap.dedent('''
    import enum
    import unittest
    import pytest

    SIZES = (1, 2, 3)
    NAMES = ["a", "b"]

    def helper():
        return 1

    @pytest.mark.parametrize("x", [1, -2, 2.5, 1e-3, True, None, "s p", "", "é", b"\\xff", "t\\tab", 3j, helper,
                                   (1, 2), [3], {"k": 1}, lambda v: v])
    def test_values(x):
        assert x is x

    @pytest.mark.parametrize("a,b", [(1, 2), (1, 2), ("x", "y"), pytest.param(0, 0, id="zero")])
    def test_dupes(a, b):
        assert a == a

    @pytest.mark.parametrize(("p", "q"), [(1, 1), (2, 2)], ids=["one", None])
    @pytest.mark.parametrize("r", SIZES)
    @pytest.mark.parametrize("s", NAMES, ids=["first", "second"])
    def test_stack(p, q, r, s):
        assert p == q

    @pytest.mark.parametrize("d", ["1", "1", "10", "1"])
    def test_digit_dupes(d):
        assert d

    @pytest.mark.parametrize("n", range(3))
    def test_range(n):
        assert n >= 0

    @pytest.mark.parametrize("long", ["x", "LONGSTR"])
    def test_long(long):
        assert long

    @pytest.mark.parametrize("m", [7])
    @pytest.mark.parametrize("e", [])
    def test_empty_set(e, m):
        assert e

    class TestKlass:
        pytestmark = pytest.mark.parametrize("c", ["k1", "k2"])

        def test_method(self, c):
            assert c

        @staticmethod
        def test_static(c):
            assert c

        class TestInner:
            def test_deep(self, c):
                assert c

    class TestBase:
        def test_inherited(self):
            assert self

    class TestChild(TestBase):
        def test_own(self):
            assert self

    class TestCtor:
        def __init__(self):
            pass

        def test_hidden(self):
            assert self

    class NotATestClass:
        def test_ignored(self):
            assert False

    class Legacy(unittest.TestCase):
        def test_u(self):
            self.assertTrue(True)

        def helper_u(self):
            pass

    async def test_async():
        assert helper()
''').replace("LONGSTR", "y" * 150)


@pytest.fixture(scope="module")
def tricky_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tricky")
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n', encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_tricky.py").write_text(TRICKY, encoding="utf-8")
    return root


@pytest.mark.slow
def test_static_ids_equal_pytest_collection(tricky_project: Path) -> None:
    index = build_index(tricky_project, use_cache=False)
    collection = run_collection(index)
    assert collection.node_ids, collection.diagnostics
    static = index.item_ids()
    assert static == collection.node_ids, (sorted(static - collection.node_ids),
                                          sorted(collection.node_ids - static))
    assert compare(index, collection.node_ids) == []
    assert len(static) >= 50  # the module really exercises many forms


def test_collection_rules(tricky_project: Path) -> None:
    index = build_index(tricky_project, use_cache=False)
    scan = index.file("tests/test_tricky.py")
    assert scan is not None
    assert "TestCtor" in scan.not_collected and "__init__" in scan.not_collected["TestCtor"]
    assert "NotATestClass" in scan.not_collected
    assert scan.not_collected["Legacy::helper_u"] == "unittest collects only methods named test*"
    assert index.function("tests/test_tricky.py::TestChild::test_inherited") is not None
    assert index.function("tests/test_tricky.py::TestKlass::TestInner::test_deep") is not None
    assert index.function("tests/test_tricky.py::test_async").is_async  # type: ignore[union-attr]
    assert index.function("tests/test_tricky.py::Legacy::test_u").is_unittest  # type: ignore[union-attr]
    assert index.function("tests/test_tricky.py::test_empty_set").skipped  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("files", "expected_source", "expected_functions"),
    [
        ({"pytest.ini": "[pytest]\npython_functions = check_\n",
          "pyproject.toml": "[tool.pytest.ini_options]\npython_functions = ['test']\n"},
         "pytest.ini [pytest]", ("check_",)),
        ({"pyproject.toml": "[tool.pytest.ini_options]\npython_functions = ['spec_']\n",
          "setup.cfg": "[tool:pytest]\npython_functions = check_\n"},
         "pyproject.toml [tool.pytest.ini_options]", ("spec_",)),
        ({"tox.ini": "[pytest]\npython_functions = t_ check_\n", "setup.cfg": "[tool:pytest]\npython_functions = x\n"},
         "tox.ini [pytest]", ("t_", "check_")),
        ({"setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\npython_functions = should_\n"},
         "setup.cfg [tool:pytest]", ("should_",)),
        ({"pyproject.toml": "[tool.pytest]\npython_functions = ['native_']\n"},
         "pyproject.toml [tool.pytest]", ("native_",)),
        ({}, "pytest defaults", ("test",)),
    ],
)
def test_pytest_config_precedence(tmp_path: Path, files: dict[str, str], expected_source: str,
                                  expected_functions: tuple[str, ...]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    cfg = load_pytest_config(tmp_path)
    assert cfg.source == expected_source
    assert cfg.python_functions == expected_functions


def test_testpaths_norecursedirs_and_python_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npython_files = ["test_*.py", "spec_*.py"]\n'
        'norecursedirs = ["fixtures"]\n', encoding="utf-8")
    for rel in ("tests/test_a.py", "tests/spec_b.py", "tests/helper.py", "tests/fixtures/test_c.py",
                "other/test_d.py", "tests/venv/pyvenv.cfg", "tests/venv/test_e.py"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("def test_x():\n    assert 1 == 1\n" if rel.endswith(".py") else "home = /usr\n")
    index = build_index(tmp_path, use_cache=False)
    assert sorted(index.files) == ["tests/spec_b.py", "tests/test_a.py"]


def test_cache_is_content_keyed_and_safe_to_delete(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / "test_a.py"
    test_file.write_text("def test_one():\n    assert 1 == 1\n", encoding="utf-8")
    first = build_index(tmp_path)
    assert (first.stats.cache_misses, first.stats.cache_hits) == (1, 0)
    warm = build_index(tmp_path)
    assert (warm.stats.cache_misses, warm.stats.cache_hits) == (0, 1)
    test_file.write_text("def test_two():\n    assert 2 == 2\n", encoding="utf-8")  # same size, new content
    edited = build_index(tmp_path)
    assert edited.stats.cache_misses == 1
    assert edited.function("tests/test_a.py::test_two") is not None
    assert edited.function("tests/test_a.py::test_one") is None
    cache.cache_path(tmp_path).write_text("{not json", encoding="utf-8")  # corrupt: rebuilt, not trusted
    assert build_index(tmp_path).function("tests/test_a.py::test_two") is not None
    raw = json.loads(cache.cache_path(tmp_path).read_text(encoding="utf-8"))
    assert raw["version"] == cache.FORMAT_VERSION
    cache.cache_path(tmp_path).unlink()  # deleted: rebuilt
    assert build_index(tmp_path).stats.cache_misses == 1


@pytest.mark.parametrize(
    ("body", "cannot_fail"),
    [
        ("pass", True),
        ("...", True),
        ('"""doc"""', True),
        ("assert True", True),
        ("x = compute()", False),  # a call can raise: never "cannot fail"
        ("x = 1", True),
        ("assert compute() == 1", False),
        ("assert False", False),
        ("raise AssertionError('no')", False),
        ("with pytest.raises(ValueError):\n        compute()", False),
        ("check_close(compute(), 1)", False),
        ("np.testing.assert_allclose(compute(), 1)", False),
        ("local_helper()", False),
        ("local_noop()", False),  # calls something: it can fail
    ],
)
def test_cannot_fail_detection(tmp_path: Path, body: str, cannot_fail: bool) -> None:
    source = (f"import pytest\n\ndef local_helper():\n    assert compute()\n\ndef local_noop():\n    return 1\n\n"
              f"def test_it():\n    {body}\n")
    (tmp_path / "test_body.py").write_text(source, encoding="utf-8")
    func = build_index(tmp_path, use_cache=False).function("test_body.py::test_it")
    assert func is not None
    assert (func.cannot_fail is not None) is cannot_fail


@pytest.mark.parametrize(
    ("decorator", "skipped"),
    [
        ("@pytest.mark.skip", True),
        ("@pytest.mark.skip(reason='later')", True),
        ("@pytest.mark.skipif(True, reason='x')", True),
        ("@pytest.mark.skipif(sys.platform == 'win32', reason='x')", False),
        ("@pytest.mark.xfail(run=False)", True),
        ("@pytest.mark.xfail(reason='known')", False),
        ("@unittest.skip('x')", True),
        ("@pytest.mark.slow", False),
    ],
)
def test_unconditional_skip_detection(tmp_path: Path, decorator: str, skipped: bool) -> None:
    source = f"import sys\nimport unittest\nimport pytest\n\n{decorator}\ndef test_it():\n    assert 1 == 1\n"
    (tmp_path / "test_skip.py").write_text(source, encoding="utf-8")
    func = build_index(tmp_path, use_cache=False).function("test_skip.py::test_it")
    assert func is not None
    assert (func.skipped is not None) is skipped


def test_syntax_error_is_recorded_not_raised(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text("def test_x(:\n", encoding="utf-8")
    scan = build_index(tmp_path, use_cache=False).file("test_broken.py")
    assert scan is not None and scan.error is not None and scan.error.startswith("line 1")


@pytest.mark.slow
def test_k_selection_equals_pytest(binding_project: Path) -> None:
    import subprocess
    import sys

    from pv.testindex.index import item_keywords
    from pv.testindex.kexpr import compile_k, keyword_matcher

    index = build_index(binding_project, use_cache=False)
    expressions = ["loss", "TestTrainer", "test_core.py and not shared", "stacked and small", "falsifies",
                   "skip", "sub", "LEGACY or nested", "wide or 2-f32"]
    for expr in expressions:
        predicate = compile_k(expr)
        ours = {
            f.base_nodeid if p is None else f"{f.base_nodeid}[{p}]"
            for f in index.functions() if f.params_undecidable is None
            for p in (list(f.params) if f.params else [None])
            if predicate(keyword_matcher(item_keywords(f, p)))
        }
        proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                               "-k", expr], cwd=binding_project, capture_output=True, text=True, check=False)
        theirs = {line for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")}
        theirs = {n for n in theirs if "test_runtime_param" not in n}  # undecidable statically
        assert ours == theirs, (expr, sorted(ours ^ theirs))
