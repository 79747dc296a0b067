"""Fixtures for the data tests: tiny generated corpora and a small trained tokenizer.

Everything is generated in tmp from a fixed random.Random seed, so the tests
are deterministic and need nothing outside the repo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

WORDS = ["def", "return", "import", "class", "self", "lambda", "yield", "async", "await", "None", "True", "False", "for", "while", "if", "elif", "else", "try", "except", "finally", "with", "as", "pass", "break", "continue", "global", "nonlocal", "assert", "raise", "print", "len", "range", "value", "items", "key", "data", "path", "result", "token", "window", "shard", "reader", "corpus", "héllo", "naïve", "café", "数据", "模型", "ключ", "значение", "🙂"]


def make_document(rng: random.Random, lines: int) -> str:
    """A Python-ish document with identifiers, numbers, strings and some non-ASCII text."""
    out = []
    for _ in range(lines):
        indent = "    " * rng.randint(0, 2)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
        out.append(f"{indent}{words} = {rng.randint(0, 999)}  # {rng.choice(WORDS)}")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of 24 generated .py/.txt files (~60 KB), nested one level."""
    root = tmp_path_factory.mktemp("corpus")
    rng = random.Random(1234)
    for i in range(24):
        sub = root / ("pkg" if i % 3 == 0 else "")
        sub.mkdir(exist_ok=True)
        suffix = ".py" if i % 2 == 0 else ".txt"
        (sub / f"doc{i:02d}{suffix}").write_text(make_document(rng, 60), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A byte-level BPE with vocab 400 trained on ``corpus_dir``."""
    from trainer.data.tokenizer import train_bpe

    out = tmp_path_factory.mktemp("tok")
    train_bpe([corpus_dir], 400, out)
    return out


@pytest.fixture()
def write_shards(tmp_path: Path) -> Callable[..., Path]:
    """Write given token arrays as shard files directly (no tokenizer), return the dir."""

    def _write(*arrays: np.ndarray | list[int], name: str = "ds") -> Path:
        out = tmp_path / name
        out.mkdir()
        for i, arr in enumerate(arrays):
            np.asarray(arr, dtype="<u4").tofile(out / f"shard-{i:05d}.bin")
        return out

    return _write
