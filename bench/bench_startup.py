"""Time `pv --version` and `pv --help` (target: under 150 ms each), next to a bare interpreter.

Usage: python bench/bench_startup.py [--runs 20] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    pv = str(Path(sys.executable).with_name("pv"))
    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "pv --version": [pv, "--version"],
        "pv --help": [pv, "--help"],
        "pv validate --help": [pv, "validate", "--help"],
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.runs):  # interleaved so every case sees the same load
        for k, cmd in cases.items():
            times[k].append(wall(cmd))
    load = os.getloadavg()
    lines = ["# pv start-up", "",
             f"{args.runs} runs each, interleaved; median and best wall time. "
             f"Load average {load[0]:.2f}; {os.cpu_count()} CPUs. Target: under 150 ms.", "",
             "| command | median (ms) | best (ms) |", "|---|---|---|"]
    for k, v in times.items():
        lines.append(f"| `{k}` | {statistics.median(v) * 1000:.0f} | {min(v) * 1000:.0f} |")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
