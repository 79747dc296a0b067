"""Benchmark pv falsify on this repository: the isolated copy, and mutants per minute.

1. The isolated copy (pv.falsify.workspace): list the files (`git ls-files`), copy them to a fresh
   temp dir, remove it; side by side with `git worktree add --detach` + `git worktree remove` of the
   same tree (the other way to isolate), median of --repeat runs each.
2. Mutants per minute: `pv falsify contracts/ --no-record` at -j 1 and -j 2 (every declared mutant
   of this repository), wall time of one run each, cold processes.

    python bench/bench_falsify.py [--repeat 9] [--skip-run]

Writes bench/results/falsify.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from pv.falsify.workspace import Workspace, base_dir, tree_files  # noqa: E402


def copy_ms(repeat: int) -> tuple[float, int, int]:
    times = []
    files: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        files = tree_files(ROOT)
        with Workspace(ROOT, files):
            pass
        times.append(time.perf_counter() - start)
    size = sum((ROOT / f).stat().st_size for f in files if (ROOT / f).is_file())
    return statistics.median(times) * 1000, len(files), size


def worktree_ms(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        target = Path(tempfile.mkdtemp(prefix="pv-bench-wt-", dir=base_dir()))  # same file system
        shutil.rmtree(target)
        start = time.perf_counter()
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(target), "HEAD"], cwd=ROOT, check=True,
                       capture_output=True)
        subprocess.run(["git", "worktree", "remove", "--force", str(target)], cwd=ROOT, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def falsify_run(jobs: int) -> tuple[float, int, dict[str, int]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("PYTEST_ADDOPTS", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pv", "falsify", "contracts/", "--no-record", "--format", "json",
                           "-j", str(jobs), "--timeout", "300"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pv falsify exited {proc.returncode}: {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout)["summary"]
    return wall, sum(summary["mutants"].values()), summary["mutants"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--skip-run", action="store_true", help="only the copy benchmark")
    args = ap.parse_args()
    lines = ["# pv falsify benchmark", "", f"load average at start: {os.getloadavg()[0]:.1f}", ""]
    ms, nfiles, size = copy_ms(args.repeat)
    wt = worktree_ms(args.repeat)
    lines += ["| isolated copy of this repository | median ms |", "|---|---:|",
              f"| pv falsify workspace ({nfiles} files, {size / 1e6:.1f} MB: list + copy + remove) | {ms:.0f} |",
              f"| git worktree add --detach + remove (same tree at HEAD) | {wt:.0f} |",
              f"| ratio worktree / copy | {wt / ms:.1f}x |", ""]
    if not args.skip_run:
        lines += ["| `pv falsify contracts/` | mutants | wall s | mutants/min | verdicts |", "|---|---:|---:|---:|---|"]
        for jobs in (1, 2):
            wall, n, tally = falsify_run(jobs)
            lines.append(f"| -j {jobs} | {n} | {wall:.1f} | {60 * n / wall:.1f} | {tally} |")
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "falsify.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
