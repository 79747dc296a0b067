"""Run one mutant: isolated copy, apply, one pytest session over the bound tests, judge, clean up.

The child runs with ``cwd`` = the copy and ``PYTHONPATH`` = the copy's ``src`` (when it has one),
the copy's root, then the directory pv itself is imported from (so the probe plugin loads in any
project). PYTHONPATH precedes site-packages, so an editable install of the same project does not
win; the probe checks that anyway (judge: "shadowed"). The child gets its own process group so a
timeout or Ctrl-C kills pytest and everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pv
from pv.checks.mutants import Mutant, MutantError, reader
from pv.falsify.judge import INVALID, TIMEOUT, Verdict, judge
from pv.falsify.workspace import Workspace

_PROCS: set[subprocess.Popen[bytes]] = set()
_PROCS_LOCK = threading.Lock()
_STOP = threading.Event()


class Stopped(Exception):
    """The session is stopping (Ctrl-C): no new pytest run starts."""


def stop_all() -> None:
    """Stop starting runs and kill every running one (the interrupt path)."""
    _STOP.set()
    with _PROCS_LOCK:
        procs = list(_PROCS)
    for proc in procs:
        _kill(proc)


def reset() -> None:
    _STOP.clear()


@dataclass(frozen=True, slots=True)
class Job:
    """One mutant with what it takes to run and record it."""

    mutant: Mutant
    contract_id: str
    ship_blocking: bool
    node_ids: tuple[str, ...]

    @property
    def test_files(self) -> list[str]:
        return sorted({n.split("::", 1)[0] for n in self.node_ids})


@dataclass(slots=True)
class Outcome:
    job: Job
    verdict: Verdict
    duration_s: float
    mutated_line: int = 0  # first changed line in the mutated file (0: unknown)
    mutated_file: str = ""
    output: str = field(default="", repr=False)


def module_name(rel: str) -> str | None:
    """Import name of a Python file relative to the project root (``src/`` layout or flat)."""
    if not rel.endswith(".py"):
        return None
    parts = rel[:-3].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts) or parts[0] in ("tests", "test"):
        return None
    return ".".join(parts)


def child_env(copy: Path, modules: Sequence[str], probe: Path) -> dict[str, str]:
    env = dict(os.environ)
    pv_src = str(Path(pv.__file__).resolve().parent.parent)
    paths = [str(copy / "src")] if (copy / "src").is_dir() else []
    paths += [str(copy), pv_src]
    # The caller's PYTHONPATH comes last: it may hold what the tests need, and it cannot shadow the copy.
    paths += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PV_FALSIFY_PROBE"] = str(probe)
    env["PV_FALSIFY_MODULES"] = ",".join(modules)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTEST_ADDOPTS", None)  # the user's addopts (say -n 8) must not change what is judged
    return env


def run_job(job: Job, root: Path, files: list[str], timeout: float, python: str = sys.executable) -> Outcome:
    """Judge one mutant; the user's tree at ``root`` is only read."""
    start = time.monotonic()
    m = job.mutant
    try:
        mutated = m.apply(reader(root))
    except MutantError as exc:
        return Outcome(job, Verdict(INVALID, f"the mutant does not apply: {exc}", "does-not-apply"),
                       time.monotonic() - start, mutated_file=exc.file)
    first_file = next(iter(mutated))
    first_line = mutated[first_file][1]
    with Workspace(root, files) as ws:
        for rel, (text, _line) in mutated.items():
            ws.write(rel, text)
        modules = [n for rel in mutated if (n := module_name(rel))]
        probe = ws.path / ".pv-falsify-probe.json"
        log = ws.path / ".pv-falsify.log"
        argv = [python, "-m", "pytest", *job.node_ids, "-p", "pv.falsify.probe", "-p", "no:cacheprovider",
                "-x", "-q", "--no-header", "-o", "addopts=", "-W", "ignore::DeprecationWarning"]
        with log.open("wb") as out:
            with _PROCS_LOCK:
                if _STOP.is_set():
                    raise Stopped
                proc = subprocess.Popen(argv, cwd=ws.path, env=child_env(ws.path, modules, probe), stdout=out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
                _PROCS.add(proc)
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(proc)
                return Outcome(job, Verdict(TIMEOUT, f"the bound tests did not finish within {timeout:g} s"),
                               time.monotonic() - start, first_line, first_file)
            except BaseException:
                _kill(proc)
                raise
            finally:
                with _PROCS_LOCK:
                    _PROCS.discard(proc)
        tail = _tail(log)
        data = None
        if probe.is_file():
            try:
                data = json.loads(probe.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
        verdict = judge(data, code, ws.path, tail)
    return Outcome(job, verdict, time.monotonic() - start, first_line, first_file, tail)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(log: Path, lines: int = 3) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-400:]
