"""A rich progress bar over input bytes, shared by tokenizer training and corpus encoding.

Disabled, it costs nothing and prints nothing (tests, --quiet, --json). Rich is
imported only when a bar is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def byte_progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n_bytes)``; draws a bar on stderr when ``enabled``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
