"""One measuring worker subprocess for the whole directory (torch imported once), and the hostile-case helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # hostile_cases for the worker too

from fuzz_worker import WorkerPool


@pytest.fixture(scope="session")
def pool() -> Iterator[WorkerPool]:
    with WorkerPool(timeout_s=20.0) as p:  # generous for a loaded CI box; check_reply enforces 5 s per case
        yield p
