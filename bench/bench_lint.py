"""Time `pv lint --strict-test-binding` against the issue's targets, side by side with pytest's collection.

Generates the corpus (bench/gen_lint_corpus.py: 1,000 contracts x 10 falsifiers citing 10,000 tests
in 200 test files) under bench/out/lint-corpus, then measures, as real subprocesses from the corpus
root (each figure is the median of --repeat runs):

- cold:        `rm -rf .pv` then `pv lint --strict-test-binding`                 (target < 1.5 s)
- warm:        the same command again, nothing changed (replayed from .pv/cache) (target < 0.5 s)
- one changed contract, whole set: edit one contract, `pv lint --strict-test-binding`
               (what the pv-lint pre-commit hook runs; test index warm)
- one changed contract, that file: edit one contract, `pv lint --strict-test-binding contracts/<it>.yaml`
               (what the pv-lint-changed pre-commit hook runs)                  (target < 300 ms)
- pytest:      `pytest --collect-only -q` on the same tree                       (pv cold must be >= 10x faster)

    python bench/bench_lint.py [--repeat 5] [--out bench/results/lint.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_lint_corpus import generate  # noqa: E402

PY = sys.executable


CPU: dict[str, list[float]] = {}


def _run(cmd: list[str], cwd: Path, expect: int | tuple[int, ...] = 0, label: str | None = None) -> float:
    """Wall seconds of one subprocess; its CPU seconds (user+sys, children included) go to CPU[label]."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if label is not None:
        CPU.setdefault(label, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    codes = (expect,) if isinstance(expect, int) else expect
    if proc.returncode not in codes:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def _edit(contract: Path, n: int) -> None:
    text = contract.read_text(encoding="utf-8")
    marker = "# bench edit "
    lines = [line for line in text.splitlines() if not line.startswith(marker)]
    contract.write_text("\n".join([f"{marker}{n}", *lines]) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=HERE / "out" / "lint-corpus")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "lint.md")
    args = parser.parse_args()

    corpus = args.corpus
    refs = generate(corpus, 1000, 10, 200)
    pv = [PY, "-m", "pv", "lint", "--strict-test-binding"]
    changed = corpus / "contracts" / "bench-0001-v1.yaml"
    results: dict[str, list[float]] = {k: [] for k in ("cold", "warm", "changed_all", "changed_one", "pytest")}

    _run(pv, corpus)  # compile .pyc files once so "cold" measures pv, not the interpreter's first import
    for i in range(args.repeat):
        shutil.rmtree(corpus / ".pv", ignore_errors=True)
        results["cold"].append(_run(pv, corpus, label="cold"))
        results["warm"].append(_run(pv, corpus, label="warm"))
        _edit(changed, i)
        results["changed_all"].append(_run(pv, corpus, label="changed_all"))
        _edit(changed, i + 1000)
        results["changed_one"].append(_run([*pv, "contracts/bench-0001-v1.yaml"], corpus, label="changed_one"))
        results["pytest"].append(_run([PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                                      corpus, label="pytest"))
    # Where a cold run spends its time: the per-gate figures pv itself reports (schema includes validation).
    shutil.rmtree(corpus / ".pv", ignore_errors=True)
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    doc = json.loads(subprocess.run([*pv, "--format", "json"], cwd=corpus, capture_output=True, text=True,
                                    env=env, check=False).stdout)
    gate_ms = [(g["name"], g["ms"], g["verdict"]) for g in doc["summary"]["gates"]]
    med = {k: statistics.median(v) for k, v in results.items()}
    cpu = {k: statistics.median(v) for k, v in CPU.items()}
    ratio = med["pytest"] / med["cold"]
    cpu_ratio = cpu["pytest"] / cpu["cold"]
    load = os.getloadavg()

    def ok(flag: bool) -> str:
        return "met" if flag else "**missed**"

    rows = [
        ("cold: `pv lint --strict-test-binding` (no .pv/)", "cold", 1.5),
        ("warm: same command, nothing changed", "warm", 0.5),
        ("one contract changed, whole configured set (hook `pv-lint`)", "changed_all", None),
        ("one contract changed, only that file (hook `pv-lint-changed`)", "changed_one", 0.3),
        ("`pytest --collect-only -q` on the same tree", "pytest", None),
    ]

    def row(name: str, key: str, target: float | None) -> str:
        goal = f"< {target:g} s" if target else "-"
        verdict = "-" if target is None else f"wall {ok(med[key] < target)}, CPU {ok(cpu[key] < target)}"
        return f"| {name} | {med[key] * 1000:.0f} ms | {cpu[key] * 1000:.0f} ms | {goal} | {verdict} |"

    lines = [
        "# pv lint benchmark",
        "",
        f"Corpus: `python bench/gen_lint_corpus.py {corpus.relative_to(HERE.parent) if corpus.is_relative_to(HERE.parent) else corpus}`"
        f" -> 1,000 contracts x 10 falsifiers = {refs:,} references to 10,000 tests in 200 test files "
        "(module functions, class methods, parametrized cases; half provable, half gate dialect).",
        "",
        f"Command: `python bench/bench_lint.py --repeat {args.repeat}` (each figure: median of {args.repeat} "
        "runs, wall time of a real subprocess, run from the corpus root, measured in the same run).",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (the machine is shared).",
        "",
        "| what | wall (median) | CPU user+sys (median) | target | |",
        "|---|---|---|---|---|",
        *[row(*r) for r in rows],
        f"| pytest collect / pv cold | {ratio:.1f}x | {cpu_ratio:.1f}x | >= 10x | wall {ok(ratio >= 10)}, "
        f"CPU {ok(cpu_ratio >= 10)} |",
        "",
        "CPU time is what the process itself consumed; on a loaded shared machine it is the better estimate of "
        "the idle wall time of the single-threaded parts (cold runs also use a second core for the index).",
        "",
        "Per-gate time of one more cold run (`pv lint --strict-test-binding --format json`, "
        "`summary.gates[].ms`; the schema gate includes loading and validating every contract; the test index "
        "is built on the second core meanwhile):",
        "",
        "| gate | ms | verdict |",
        "|---|---|---|",
        *[f"| {name} | {ms:.0f} | {verdict} |" for name, ms, verdict in gate_ms],
        "",
        "All runs (wall): " + "; ".join(f"{k}: " + ", ".join(f"{v * 1000:.0f}" for v in vals) + " ms"
                                        for k, vals in results.items()),
        "",
        "All runs (CPU): " + "; ".join(f"{k}: " + ", ".join(f"{v * 1000:.0f}" for v in vals) + " ms"
                                       for k, vals in CPU.items()),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
