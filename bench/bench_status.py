"""Benchmark pv status, pv report --html and the --pv-record plugin overhead.

1. `pv status` and `pv report --html` over the `pv lint` benchmark tree (bench/gen_lint_corpus.py:
   N contracts x 10 falsifiers citing tests in M files) with a complete results ledger (every bound
   test recorded as passed with its real file hash), cold processes, median of --repeat runs.
2. The plugin's overhead: `pytest -q` vs `pytest -q --pv-record` over the same test files, side by
   side in one run, median of --repeat runs each.

    python bench/bench_status.py [--contracts 1000] [--files 200] [--pytest-files 40] [--repeat 3]

Writes bench/results/status.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_lint_corpus import generate  # noqa: E402


def _timed(argv: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return statistics.median(times) * 1000


def _ledger(root: Path) -> int:
    """A ledger recording every collected test as passed, with real file hashes (what CI would write)."""
    results = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for test_file in sorted((root / "tests").rglob("test_*.py")):
        rel = test_file.relative_to(root).as_posix()
        sha = hashlib.sha256(test_file.read_bytes()).hexdigest()
        for line in test_file.read_text().splitlines():
            if line.startswith("def test_fn_"):
                name = line[4:].split("(")[0]
                results[f"{rel}::{name}"] = name
            elif line.startswith("class TestGroup"):
                cls = line[6:].rstrip(":")
            elif line.startswith("    def test_m_"):
                results[f"{rel}::{cls}::{line[8:].split('(')[0]}"] = ""
            elif line.startswith("def test_p_"):
                base = f"{rel}::{line[4:].split('(')[0]}"
                for pid in ("1-2", "3-4", "five"):
                    results[f"{base}[{pid}]"] = ""
        for nid in [n for n in results if n.startswith(rel + "::")]:
            results[nid] = {"outcome": "passed", "duration_s": 0.001, "file": rel, "file_sha256": sha,
                            "git_commit": None, "git_dirty": None, "recorded_at": now}
    (root / ".pv").mkdir(exist_ok=True)
    (root / ".pv" / "results.json").write_text(json.dumps({"schema_version": 1, "results": results}))
    return len(results)


def _breakdown(root: Path, repeat: int) -> list[tuple[str, float]]:
    """Where one status computation spends its time, stage by stage, in this process."""
    from pv.binding.resolve import Resolver
    from pv.checks.policy import apply_policy
    from pv.config import load_config
    from pv.ledger import Ledger
    from pv.status.collect import build_facts
    from pv.status.export import to_json
    from pv.status.ladder import compute_all
    from pv.testindex.index import build_index
    from pv.validate import validate_paths

    stages: dict[str, list[float]] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        out = fn()
        stages.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return out

    config = load_config(root)
    for _ in range(repeat):
        run = timed("validate_paths (pv validate pipeline)", lambda: validate_paths([str(root / "contracts")], config))
        index = timed("build_index (static test index, cached)", lambda: build_index(root))
        kept = apply_policy(run.diagnostics, config).kept
        resolver = Resolver(index, root)
        facts = timed("build_facts (classify + resolve refs)", lambda: build_facts(run, kept, config, resolver))  # noqa: B023 (called at once)
        ledger = timed("load ledger", lambda: Ledger.load(root / ".pv" / "results.json"))
        statuses = timed("ladder (compute_all)", lambda: compute_all(facts, ledger, root))  # noqa: B023 (called at once)
        timed("to_json + json.dumps", lambda: json.dumps(to_json(statuses), separators=(",", ":")))  # noqa: B023 (called at once)
    return [(name, statistics.median(ms)) for name, ms in stages.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--pytest-files", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="pv-status-bench-") as tmp:
        root = Path(tmp) / "tree"
        refs = generate(root, args.contracts, 10, args.files)
        recorded = _ledger(root)
        subprocess.run([py, "-m", "pv", "status", "--format", "json"], cwd=root, capture_output=True, check=False)
        rows.append((f"pv status --format json ({args.contracts} contracts, {refs} refs, {recorded} recorded)",
                     _timed([py, "-m", "pv", "status", "--format", "json"], root, args.repeat)))
        rows.append(("pv status (rich table)", _timed([py, "-m", "pv", "status", "--color", "never"], root,
                                                      args.repeat)))
        rows.append(("pv report --html", _timed([py, "-m", "pv", "report", "--html", "out.html"], root,
                                                args.repeat)))
        breakdown = _breakdown(root, args.repeat)
        small = Path(tmp) / "small"
        generate(small, 10, 10, args.pytest_files)
        plain = _timed([py, "-m", "pytest", "-q", "-p", "no:cacheprovider"], small, args.repeat)
        record = _timed([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pv-record"], small, args.repeat)
        items = args.pytest_files * 50
    lines = [
        "# pv status / report / --pv-record",
        "",
        f"Shared 2-core machine (load average {os.getloadavg()[0]:.1f} at the end: other engineers' jobs "
        f"were running, so absolute times are inflated), cold processes, median of {args.repeat} runs.",
        "",
        f"Command: `python bench/bench_status.py --contracts {args.contracts} --files {args.files} "
        f"--pytest-files {args.pytest_files} --repeat {args.repeat}`",
        "",
        "| what | median ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.0f} |" for name, ms in rows],
        f"| pytest -q, {items} tests | {plain:.0f} |",
        f"| pytest -q --pv-record, same tests | {record:.0f} |",
        "",
        f"--pv-record overhead: {record / plain:.2f}x the plain run (measured side by side in this run).",
        "",
        "In-process breakdown of one `pv status` (warm test-index cache, median ms):",
        "",
        "| stage | median ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.0f} |" for name, ms in breakdown],
        "",
    ]
    out = HERE / "results" / "status.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
