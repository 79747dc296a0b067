"""Path discovery: directories, globs, missing paths, empty directories, symlink loops."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pv.parse import codes
from pv.parse.discover import discover


def touch(p: Path, text: str = "a: 1\n") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_directory_is_walked_recursively_sorted_skipping_hidden(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "sub/c.yaml", "sub/deeper/d.yaml", ".hidden/e.yaml", "notes.txt", "Z.yaml"]:
        touch(tmp_path / name)
    found = discover([tmp_path], tmp_path)
    assert found.diagnostics == []
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == [
        "Z.yaml", "a.yml", "b.yaml", "sub/c.yaml", "sub/deeper/d.yaml"]


def test_glob_and_duplicates(tmp_path: Path) -> None:
    touch(tmp_path / "x1.yaml")
    touch(tmp_path / "x2.yaml")
    found = discover([str(tmp_path / "x*.yaml"), tmp_path / "x1.yaml"], tmp_path)
    assert [p.name for p in found.files] == ["x1.yaml", "x2.yaml"]


def test_glob_matching_nothing(tmp_path: Path) -> None:
    found = discover([str(tmp_path / "nope*.yaml")], tmp_path)
    assert found.files == [] and [d.code for d in found.diagnostics] == [codes.PATH_MISSING]


def test_missing_path(tmp_path: Path) -> None:
    found = discover([tmp_path / "missing.yaml"], tmp_path)
    assert found.files == []
    d = found.diagnostics[0]
    assert d.code == codes.PATH_MISSING and "does not exist" in d.message and d.path.endswith("missing.yaml")


def test_directory_without_contracts(tmp_path: Path) -> None:
    touch(tmp_path / "empty" / "readme.md")
    found = discover([tmp_path / "empty"], tmp_path)
    assert found.files == [] and [d.code for d in found.diagnostics] == [codes.PATH_NO_CONTRACTS]


def test_explicit_file_with_other_suffix_is_checked(tmp_path: Path) -> None:
    f = touch(tmp_path / "contract.txt")
    assert discover([f], tmp_path).files == [f]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_in_a_directory_terminates_and_is_reported(tmp_path: Path) -> None:
    touch(tmp_path / "c" / "a.yaml")
    os.symlink(tmp_path / "c", tmp_path / "c" / "loop")  # c/loop -> c
    os.symlink(tmp_path / "c" / "self.yaml", tmp_path / "c" / "self.yaml.tmp")
    os.symlink("x.yaml", tmp_path / "c" / "x.yaml")  # x.yaml -> x.yaml: a one-link loop
    found = discover([tmp_path / "c"], tmp_path)
    assert [p.name for p in found.files] == ["a.yaml"]
    messages = sorted((d.code, d.message) for d in found.diagnostics)
    assert (codes.PATH_UNREADABLE, "symlink loop") in messages
    assert any("links back to an ancestor" in m for _, m in messages)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_given_directly(tmp_path: Path) -> None:
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    found = discover([tmp_path / "loop.yaml"], tmp_path)
    assert found.files == [] and [(d.code, d.message) for d in found.diagnostics] == [
        (codes.PATH_UNREADABLE, "symlink loop")]
