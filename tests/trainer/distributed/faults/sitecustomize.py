"""Test-only fault injection for distributed runs (never shipped: only these tests put this dir on PYTHONPATH).

Python's ``site`` module imports ``sitecustomize`` at start-up, so a rank started by
torchrun's launcher picks this up without any hook in the trainer. ``APR_TEST_FAULT``:

* ``kill:R:S``      rank R sends itself SIGKILL right after its optimizer step S (1-based):
                    a rank dying mid-run, as the OOM killer or a lost node does.
* ``preflight:R``   on rank R the dataset is unreadable: ``ShardSet.open`` refuses with
                    GATE-DATA-001 as for a shard that this rank cannot read.

Processes without RANK (the launcher, torchrun's agent) are left alone.
"""

from __future__ import annotations

import os


def _install(spec: str, rank: int) -> None:
    kind, target, *rest = spec.split(":")
    if int(target) != rank:
        return
    if kind == "kill":
        import signal

        from trainer.train import loop

        original = loop.train_step
        kill_after = int(rest[0])
        done = [0]

        def train_step(*args, **kwargs):  # type: ignore[no-untyped-def]
            out = original(*args, **kwargs)
            done[0] += 1
            if done[0] == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            return out

        loop.train_step = train_step
    elif kind == "preflight":
        from trainer.data.shards import ShardSet
        from trainer.errors import PreflightError

        def refuse(cls, path, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise PreflightError("GATE-DATA-001", f"cannot read {path}/shard-00000.bin on this rank "
                                 "(Permission denied)", fix="make the shards readable on every node")

        ShardSet.open = classmethod(refuse)  # type: ignore[method-assign, assignment]


_spec = os.environ.get("APR_TEST_FAULT")
if _spec and os.environ.get("RANK") is not None:
    _install(_spec, int(os.environ["RANK"]))
