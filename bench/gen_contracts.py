"""Generate N synthetic, valid pv contracts (both dialects) for benchmarks.

Usage: python bench/gen_contracts.py OUT_DIR [-n 1000] [--falsifiers 10]

Every contract validates cleanly, so a benchmark measures the full pipeline (parse, keys, schema,
IDs, versions, cross-contract references) rather than an early refusal. Deterministic: the same
arguments always write the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def provable(i: int, falsifiers: int) -> str:
    lines = [
        "metadata:",
        '  version: "1.2.0"',
        f"  description: Synthetic kernel contract {i}",
        '  references: ["Synthetic (2026)"]',
        "  kind: kernel",
        f"  id: C-SYN-P-{i:05d}",
        "  status: PARTIAL_ALGORITHM_LEVEL",
        f"  depends_on: [{f'C-SYN-P-{i - 1:05d}' if i else 'C-SYN-G-00000'}]",
        "  changelog:",
        '    - {version: 1.2.0, date: "2026-03-01", change: "adds falsifiers"}',
        '    - {version: 1.1.0, date: "2026-02-01", change: "adds harnesses"}',
        '    - {version: 1.0.0, date: "2026-01-01", change: "first version"}',
        "equations:",
    ]
    for e in range(3):
        lines += [f"  eq_{e}:", f'    formula: "y_{e} = f(x) + {e}"', '    domain: "x in R^n"',
                  "    invariants: [finite, bounded]"]
    lines.append("proof_obligations:")
    for o in range(3):
        lines.append(f'  - {{id: OB-{i:05d}-{o}, type: invariant, property: "property {o} of contract {i}"}}')
    lines.append("falsification_tests:")
    for f in range(falsifiers):
        lines += [f"  - id: FALSIFY-SYN-{i:05d}-{f:03d}", f"    rule: rule {f}",
                  f"    prediction: metric {f} stays below its bar",
                  f"    test: tests/synthetic/test_c{i % 200:03d}.py::test_case_{(i * falsifiers + f) % 50}",
                  "    if_fails: the kernel regressed"]
        if f % 3 == 0:
            lines.append(f'    check: {{metric: m{f}, op: "<", value: {f + 0.5}}}')
    lines.append("kani_harnesses:")
    for h in range(2):
        lines.append(f"  - {{id: KANI-{i:05d}-{h}, obligation: OB-{i:05d}-{h}, bound: 8, strategy: bounded_int}}")
    lines += [f"qa_gate: {{id: QA-{i:05d}, name: gate, checks: [all], pass_criteria: all pass}}",
              "verification_summary: {total_obligations: 3, l2_property_tested: 3}",
              "constants:", "  vocab_size: 50257", ""]
    return "\n".join(lines)


def gate(i: int, falsifiers: int) -> str:
    lines = [
        f"contract_id: C-SYN-G-{i:05d}", "version: 2.0.0", "status: ACTIVE", "metadata:", "  version: 2.0.0",
        f"  description: Synthetic gate contract {i}", "  kind: training-loop", "  changelog:",
        '    - "2.0.0 (2026-03-01): gates added"', '    - "1.0.0 (2026-01-01): first"', "invariants:",
    ]
    for f in range(falsifiers // 2):
        lines += [f"  - id: INV-SYN-{i:05d}-{f:03d}", f"    description: invariant {f}",
                  f"    falsifier: metric {f} diverges", "    harness:",
                  f"      - {{name: tests/synthetic/test_g{i % 200:03d}.py::test_inv_{f}, kind: pytest}}"]
    lines.append("gates:")
    for f in range(falsifiers - falsifiers // 2):
        lines += [f"  - id: GATE-SYN-{i:05d}-{f:03d}", f"    rule: abort when metric {f} is bad",
                  "    ship_blocking: true", "    evidence_discharged_by:",
                  f"      - tests/synthetic/test_g{i % 200:03d}.py::test_gate_{f}",
                  f"      - \"LIVE-PENDING: needs a long run {f}\""]
    lines += ["failure_modes:", f"  - {{id: FM-SYN-{i:05d}, description: divergence}}",
              "per_step_metrics: {required: [{name: loss, type: f32}]}", ""]
    return "\n".join(lines)


def generate(out: Path, n: int, falsifiers: int = 10) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        if i % 2:
            path, text = out / f"syn-p-{i:05d}.yaml", provable(i // 2, falsifiers)
        else:
            path, text = out / f"syn-g-{i:05d}.yaml", gate(i // 2, falsifiers)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--falsifiers", type=int, default=10)
    args = ap.parse_args()
    paths = generate(args.out, args.n, args.falsifiers)
    print(f"wrote {len(paths)} contracts to {args.out}")


if __name__ == "__main__":
    main()
