"""The bundled stdlib demo corpus: real files, deterministic order, fixed disjoint split."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.data import corpus
from trainer.data.corpus import EXCLUDED_DIRS, split_of, stdlib_root, stdlib_sources


@pytest.mark.falsifies("GATE-DATA-006")
def test_stdlib_split_is_disjoint_sorted_and_covers_the_corpus() -> None:
    train, val = stdlib_sources("train"), stdlib_sources("val")
    root = stdlib_root()
    assert len(train) > 200 and len(val) > 5 and set(train).isdisjoint(val)
    for files in (train, val):
        rel = [p.relative_to(root).as_posix() for p in files]
        assert rel == sorted(rel)
        assert all(p.suffix == ".py" and p.is_file() for p in files)
        assert not any(set(Path(r).parts) & EXCLUDED_DIRS for r in rel)
    assert all(split_of(p.relative_to(root).as_posix()) == "val" for p in val)
    assert (root / "os.py") in train + val


@pytest.mark.falsifies("GATE-DATA-006")
def test_split_depends_only_on_the_relative_path(tmp_path: Path) -> None:
    names = [f"mod{i:03d}.py" for i in range(200)]
    for root in (tmp_path / "a", tmp_path / "b"):
        for name in names:
            (root / "pkg").mkdir(parents=True, exist_ok=True)
            (root / "pkg" / name).write_text("x = 1\n", encoding="utf-8")
    corpus._all_sources.cache_clear()
    splits = [
        ([p.relative_to(tmp_path / r).as_posix() for p in stdlib_sources("val", tmp_path / r)]) for r in ("a", "b")
    ]
    assert splits[0] == splits[1] and 0 < len(splits[0]) < 40  # ~5% of 200, same on both "machines"


def test_excluded_dirs_are_pruned(tmp_path: Path) -> None:
    for rel in ("keep.py", "pkg/keep2.py", "site-packages/x.py", "test/t.py", "pkg/tests/t.py",
                "idlelib/idle_test/t.py", "pkg/__pycache__/c.py", "data.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n", encoding="utf-8")
    corpus._all_sources.cache_clear()
    every = stdlib_sources("train", tmp_path) + stdlib_sources("val", tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in every) == ["keep.py", "pkg/keep2.py"]


def test_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="'train' or 'val'"):
        stdlib_sources("test")  # type: ignore[arg-type]


def test_cli_stdlib_alias_names_the_bundled_corpus() -> None:
    from trainer.commands.tokenize import resolve_inputs

    val = [str(p) for p in stdlib_sources("val")]
    assert resolve_inputs(["stdlib:val"]) == val
    assert resolve_inputs(["stdlib"]) == [str(p) for p in stdlib_sources("train")] + val
    assert resolve_inputs(["x.txt", "stdlib:val"]) == ["x.txt", *val]
