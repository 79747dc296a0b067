"""A long-lived subprocess that runs `apr` commands one at a time and reports exit code, wall and peak RSS.

Why a subprocess: peak memory must be measured in a process of its own (the
test runner's RSS says nothing about one case), and a case that hangs or
aborts natively (the tokenizers panic was exit 134) must not take the runner
with it. Why long-lived: importing torch costs seconds; paying it once lets a
fuzz run afford hundreds of cases.

Protocol: one JSON array (an apr argv) per stdin line; one JSON object per
stdout line: ``rc``, ``out`` and ``err`` (tails), ``wall_s``, ``peak_rss_mb``
(the process's high-water mark after the case: monotonic, so an upper bound
for this case's own peak).

``WorkerPool`` is the client: it restarts a worker that died or overran its
per-case timeout and reports that case as a hang or a crash.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TAIL = 2000


def _serve() -> None:
    import torch  # noqa: F401  (paid once, before the first case)

    from trainer.cli import main

    # Warm the lazy imports of every command so the first case's wall is the case's.
    for name in ("inspect", "convert", "generate", "tokenize", "pretrain"):
        __import__(f"trainer.commands.{name}")
    # One valid inspect first: the first model built (even on the meta device) pays torch's one-off
    # lazy initialisation (~2 s, ~145 MB); that belongs to the process, not to the first case.
    import tempfile

    from hostile_cases import apr_bytes

    import trainer.checkpoint.gguf
    import trainer.checkpoint.hf
    import trainer.model  # noqa: F401

    with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()):
        main(["inspect", str(apr_bytes(Path(d) / "warm.apr")), "--json", "--no-tensors"])
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps({"ready": True, "baseline_rss_mb": baseline}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        argv = json.loads(line)
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(argv)
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:
            rc = -1
            err.write(f"Traceback (worker caught): {type(exc).__name__}: {exc}\n")
        wall = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        reply = {"rc": rc, "out": out.getvalue()[-TAIL:], "err": err.getvalue()[-TAIL:], "wall_s": wall,
                 "peak_rss_mb": rss}
        sys.__stdout__.write(json.dumps(reply) + "\n")
        sys.__stdout__.flush()


class WorkerPool:
    """One worker process; ``run(argv)`` returns its reply, or a synthetic one for a hang/crash."""

    def __init__(self, timeout_s: float = 5.0, rss_limit_mb: int = 2048) -> None:
        self.timeout_s = timeout_s
        self.rss_limit_mb = rss_limit_mb
        self.proc: subprocess.Popen[str] | None = None
        self.restarts = 0
        self.baseline_rss_mb = float("nan")

    def _start(self) -> subprocess.Popen[str]:
        src = str(Path(__file__).resolve().parents[3] / "src")
        env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.setdefault("OMP_NUM_THREADS", "1")
        limit = self.rss_limit_mb * 1024 * 1024

        def cap() -> None:  # a runaway case dies at the cap instead of swapping the machine
            resource.setrlimit(resource.RLIMIT_AS, (limit * 4, limit * 4))

        proc = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env, preexec_fn=cap,
        )
        ready = self._readline(proc, 120.0)
        if ready is None or not json.loads(ready).get("ready"):
            proc.kill()
            raise RuntimeError("fuzz worker did not start")
        self.baseline_rss_mb = float(json.loads(ready)["baseline_rss_mb"])
        return proc

    @staticmethod
    def _readline(proc: subprocess.Popen[str], timeout: float) -> str | None:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = proc.stdout.readline()
        return line or None

    def run(self, argv: list[str]) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None
        start = time.perf_counter()
        self.proc.stdin.write(json.dumps(argv) + "\n")
        self.proc.stdin.flush()
        line = self._readline(self.proc, self.timeout_s)
        if line is None:
            code = self.proc.poll()
            self.close()
            self.restarts += 1
            what = "hang" if code is None else f"worker died with {code}"
            return {"rc": -2 if code is None else code, "out": "", "err": what, "hang": code is None,
                    "wall_s": time.perf_counter() - start, "peak_rss_mb": float("nan")}
        reply = json.loads(line)
        # A fresh worker per case keeps the RSS high-water mark per case once it grew past baseline.
        if reply["peak_rss_mb"] > 0.8 * self.rss_limit_mb:
            self.close()
        return reply

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _serve()
