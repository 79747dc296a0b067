"""``apr pretrain --nproc N``: one machine, N ranks, through torchrun's own launcher API.

Why not a fork of our own: ``torch.distributed.launcher.api.elastic_launch`` is what
``torchrun`` runs. It does the c10d rendezvous, sets RANK/WORLD_SIZE/LOCAL_RANK/
MASTER_ADDR/MASTER_PORT, watches the workers and, when one dies, stops the others
and reports which rank failed first. This module only builds its ``LaunchConfig``
(``torchrun --standalone --nproc-per-node N`` semantics) and turns its failure
report into one line and an exit code.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from trainer.errors import GATE_DIST_RANK

EXIT_RANK_DIED = 4  # RunAborted.exit_code: the run stopped; --resume continues from the last checkpoint


def strip_nproc(argv: Sequence[str]) -> list[str]:
    """The command line each rank runs: ``argv`` without ``--nproc N`` / ``--nproc=N``."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if arg.startswith("--nproc="):
            continue
        out.append(arg)
    return out


def launch(nproc: int, argv: Sequence[str]) -> int:
    """Run ``python -m trainer <argv>`` on ``nproc`` local ranks; the workers' exit status, summarised.

    Exit codes: 0 when every rank succeeded; the exit code of the rank that failed first
    when it exited on its own (3 for a preflight refusal on any rank: every rank stops
    with 3; 4 for a gate); 4 when it died from a signal (SIGKILL, a crash), with a line
    naming that rank.
    """
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # we print the summary ourselves
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()), rdzv_backend="c10d",
        rdzv_endpoint="localhost:0", max_restarts=0, monitor_interval=0.1,
    )
    args = ["-m", "trainer", *strip_nproc(argv)]
    try:
        elastic_launch(config, sys.executable)(*args)
    except ChildFailedError as exc:
        first_rank, first = _first_failure(exc.failures)
        statuses = ", ".join(f"rank {r}: {_status(f.exitcode)}" for r, f in sorted(exc.failures.items()))
        if first.exitcode > 0:  # the rank that failed first said why (its own line above) and chose the code
            sys.stderr.write(f"apr: {nproc}-rank run stopped: rank {first_rank} failed first ({statuses})\n")
            return first.exitcode
        sys.stderr.write(
            f"apr: error: {GATE_DIST_RANK}: rank {first_rank} (pid {first.pid}) failed first with "
            f"{_status(first.exitcode)}; the launcher stopped the other rank(s) ({statuses}) "
            "(fix: see that rank's message above; --resume continues from the last committed checkpoint)\n")
        return EXIT_RANK_DIED
    return 0


def _first_failure(failures: Mapping[int, Any]) -> tuple[int, Any]:
    """The rank that failed first: the earliest timestamp, and within one (torchelastic stamps a rank
    that died without an error file, e.g. SIGKILL, in whole seconds when it notices) the likeliest
    cause: a rank that exited on its own, then one killed by a signal from outside, then one that
    aborted (gloo aborts a rank whose peer vanished), then one the launcher stopped (SIGTERM)."""
    import signal

    def reaction(exitcode: int) -> int:
        if exitcode > 0:
            return 0
        if -exitcode == signal.SIGABRT:
            return 2
        if -exitcode == signal.SIGTERM:
            return 3
        return 1

    rank = min(failures, key=lambda r: (failures[r].timestamp, reaction(failures[r].exitcode), r))
    return rank, failures[rank]


def _status(exitcode: int) -> str:
    """``exit 3`` or ``signal SIGKILL`` (torchelastic reports a signal as a negative exit code)."""
    if exitcode < 0:
        import signal

        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit {exitcode}"
