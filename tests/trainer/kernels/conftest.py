"""Kernel tests run the Triton kernels on the GPU when there is one, else in Triton's CPU interpreter.

TRITON_INTERPRET must be set before a kernel is first decorated; trainer.kernels
decorates on first use, so setting it per test (autouse fixture) is enough, and
the rest of the suite's environment is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kernel_helpers import DEVICE


@pytest.fixture(autouse=True)
def _triton_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if DEVICE == "cpu":
        monkeypatch.setenv("TRITON_INTERPRET", "1")
    yield
