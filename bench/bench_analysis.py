"""Time the analysis passes over 1,000 synthetic contracts (bench/gen_contracts.py), side by side.

Usage: python bench/bench_analysis.py [-n 1000] [--repeat 5]

Runs in one process, after one warm-up, each pass ``--repeat`` times and reports the median:
``validate_paths`` (the load every command pays first, for scale), the graph (edges, cycles,
topological order), the consistency gate (constants + summaries), coverage, and the version-bump
gate against HEAD of a throw-away git repository, once with every file unchanged (byte-identical
fast path) and once with every file changed (each base version parsed and diffed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_contracts import generate

from pv.analysis.bump import check_version_bumps
from pv.analysis.consistency import compare_facts
from pv.analysis.coverage import coverage_report
from pv.analysis.graph import build_graph, find_cycles, topological_order
from pv.analysis.summary import check_summaries
from pv.config import PvConfig
from pv.validate import validate_paths


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "analysis.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = generate(root / "contracts", args.n)
        git = ["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.com"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
        config = PvConfig(root=root)
        contracts = validate_paths([str(root / "contracts")], config).contracts
        assert len(contracts) == args.n

        def graph() -> None:
            g = build_graph(contracts)
            find_cycles(g)
            topological_order(g)

        def consistency() -> None:
            compare_facts(contracts)
            for c in contracts:
                check_summaries(c)

        rows = [
            ("validate_paths (load + schema, for scale)",
             median_ms(lambda: validate_paths([str(root / "contracts")], config), args.repeat)),
            ("graph: edges + cycles + topological order", median_ms(graph, args.repeat)),
            ("consistency gate: constants + summaries", median_ms(consistency, args.repeat)),
            ("coverage report", median_ms(lambda: coverage_report(contracts, root), args.repeat)),
            ("version-bump gate, all unchanged vs HEAD",
             median_ms(lambda: check_version_bumps(contracts, root), args.repeat)),
        ]
        for p in paths:  # change every file: a reworded description (a patch change)
            p.write_text(p.read_text(encoding="utf-8").replace("Synthetic", "Generated"), encoding="utf-8")
        changed = validate_paths([str(root / "contracts")], config).contracts
        result = check_version_bumps(changed, root)
        assert result.changed == args.n, result.changed
        rows.append(("version-bump gate, all changed vs HEAD",
                     median_ms(lambda: check_version_bumps(changed, root), args.repeat)))
    command = f"python bench/bench_analysis.py -n {args.n} --repeat {args.repeat}"
    lines = ["# Analysis passes (diff/graph/coverage/consistency/version-bump)", "",
             f"{args.n} synthetic contracts (bench/gen_contracts.py), one process, median of {args.repeat} "
             "runs after a warm-up, on this shared 2-core machine.", "", f"Command: `{command}`", "",
             "| pass | median ms | ratio to validate |", "|---|---:|---:|"]
    base = rows[0][1]
    for name, ms in rows:
        lines.append(f"| {name} | {ms:.1f} | {ms / base:.2f} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
