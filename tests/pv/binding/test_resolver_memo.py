"""The resolver's shortcuts must not change a verdict: the memo after pytest decides some files, and
"did you mean" over a huge list of parametrize IDs."""

from __future__ import annotations

from pathlib import Path

from pv.binding import codes
from pv.binding import resolve as resolve_mod
from pv.binding.grammar import classify
from pv.binding.resolve import Resolver, _close
from pv.testindex.index import build_index


def _project(root: Path) -> Path:
    tests = root / "tests"
    tests.mkdir(parents=True)
    (tests / "test_a.py").write_text("def test_a():\n    assert 1\n", encoding="utf-8")
    (tests / "test_b.py").write_text("def test_b():\n    assert 1\n", encoding="utf-8")
    return root


def _codes(resolver: Resolver, text: str) -> list[str]:
    (part,) = classify(text)
    return [f.code for f in resolver.resolve(part).findings]


def test_attaching_pytest_collection_re_decides_only_its_files(tmp_path: Path) -> None:
    root = _project(tmp_path)
    resolver = Resolver(build_index(root, use_cache=False), root)
    assert _codes(resolver, "tests/test_a.py::test_a") == []
    assert _codes(resolver, "tests/test_b.py::test_b") == []
    # pytest's real collection of test_a.py says test_a is not there (a hook removed it): the memo of
    # test_a.py's answers must go, test_b.py's may stay.
    resolver.attach_files({"tests/test_a.py": ["tests/test_a.py::test_other"]}, {})
    assert _codes(resolver, "tests/test_a.py::test_a") == [codes.TEST_MISSING]
    assert _codes(resolver, "./tests/test_a.py::test_a")[-1] == codes.TEST_MISSING  # canonicalised the same way
    assert _codes(resolver, "tests/test_b.py::test_b") == []
    resolver.attach_files({}, {"tests/test_b.py": "ImportError: boom"})
    assert codes.TEST_MISSING not in _codes(resolver, "tests/test_b.py::test_b")
    assert _codes(resolver, "tests/test_b.py::test_b") != []


def test_close_match_survives_the_prefilter_over_a_huge_option_list() -> None:
    options = [f"case-{i:05d}-{'x' * (i % 7)}" for i in range(5000)] + ["linux-x86_64-glibc-2.17"]
    assert len(options) > resolve_mod.CLOSE_SCAN_MAX
    assert _close("linux-x86_64-glibc-2.71", options, n=1) == ["linux-x86_64-glibc-2.17"]
    assert _close("nothing-like-it", options, n=1) == []
