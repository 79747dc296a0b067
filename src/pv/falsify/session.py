"""Run many jobs: ``-j`` in parallel, a progress bar, and a clean stop on Ctrl-C / SIGTERM.

Each worker thread drives one pytest subprocess at a time. On an interrupt the main thread sets
the stop flag, kills every live child process group, lets the workers unwind (their ``finally``
removes their copies), and removes any copy left; then re-raises, so the command exits 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from types import FrameType
from typing import Any

from pv.falsify import runner, workspace
from pv.falsify.runner import Job, Outcome


def run_all(jobs: Sequence[Job], root: Path, *, workers: int, timeout: float,
            on_done: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    files = workspace.tree_files(root)
    outcomes: list[Outcome] = []
    old_term = _term_as_interrupt()
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pv-falsify")
    try:
        pending: set[Future[Outcome]] = {pool.submit(runner.run_job, j, root, files, timeout) for j in jobs}
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                outcome = fut.result()
                outcomes.append(outcome)
                on_done(outcome)
    except BaseException:
        runner.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        workspace.remove_all()
        raise
    finally:
        pool.shutdown(wait=True)
        signal.signal(signal.SIGTERM, old_term)
        runner.reset()
    order = {id(j): i for i, j in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[id(o.job)])
    return outcomes


def _term_as_interrupt() -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt
    if threading.current_thread() is not threading.main_thread():
        return signal.getsignal(signal.SIGTERM)
    return signal.signal(signal.SIGTERM, handler)
