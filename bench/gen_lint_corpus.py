"""Generate the `pv lint` benchmark tree: N contracts x F falsifiers citing T tests in M test files.

Default (the issue's figure): 1,000 contracts x 10 falsifiers = 10,000 references to 10,000 distinct
tests in 200 test files (50 per file: module functions, class methods and parametrized cases, so
the index does real work). Half the contracts use the provable dialect, half the gate dialect.
Every reference resolves, so a correct `pv lint --strict-test-binding` run exits 0.

    python bench/gen_lint_corpus.py OUT_DIR [--contracts 1000] [--falsifiers 10] [--files 200]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

TESTS_PER_FILE = 50


def _test_file(index: int) -> tuple[str, list[str]]:
    """Source of one test file and the node IDs of its 50 tests (one per falsifier to bind)."""
    name = f"tests/unit/test_mod_{index:03d}.py"
    lines = ['"""Generated benchmark tests."""', "import pytest", "", ""]
    ids: list[str] = []
    for j in range(20):
        lines += [f"def test_fn_{index}_{j}():", f"    assert {j} + 1 == {j + 1}", "", ""]
        ids.append(f"{name}::test_fn_{index}_{j}")
    lines += [f"class TestGroup{index}:"]
    for j in range(20):
        lines += [f"    def test_m_{j}(self):", f"        assert [{j}] == [{j}]", ""]
        ids.append(f"{name}::TestGroup{index}::test_m_{j}")
    lines += [""]
    for j in range(10):
        lines += [
            '@pytest.mark.parametrize("x,y", [(1, 2), (3, 4), pytest.param(5, 6, id="five")])',
            f"def test_p_{index}_{j}(x, y):",
            "    assert x < y",
            "",
            "",
        ]
        ids.append(f"{name}::test_p_{index}_{j}[{('1-2', '3-4', 'five')[j % 3]}]")
    return "\n".join(lines) + "\n", ids


def _provable(n: int, refs: list[str]) -> str:
    out = [
        "metadata:",
        '  version: "1.0.0"',
        f"  description: Generated benchmark contract {n}",
        '  references: ["bench/gen_lint_corpus.py"]',
        "equations:",
        "  identity:",
        '    formula: "y = x"',
        "falsification_tests:",
    ]
    for k, ref in enumerate(refs):
        out += [
            f"  - id: FALSIFY-BENCH-{n:04d}-{k:02d}",
            f"    rule: rule {k}",
            f"    prediction: test {k} of contract {n} passes",
            f'    test: "{ref}"',
            "    if_fails: the code regressed",
        ]
    return "\n".join(out) + "\n"


def _gate(n: int, refs: list[str]) -> str:
    out = [
        f"contract_id: C-BENCH-{n:04d}",
        'version: "1.0.0"',
        "status: DRAFT",
        "metadata:",
        '  version: "1.0.0"',
        f"  description: Generated benchmark gate contract {n}",
        "gates:",
    ]
    for k, ref in enumerate(refs):
        out += [
            f"  - id: GATE-BENCH-{n:04d}-{k:02d}",
            f"    rule: gate {k} of contract {n} holds",
            f'    evidence_discharged_by: "{ref}"',
        ]
    return "\n".join(out) + "\n"


def generate(out: Path, contracts: int, falsifiers: int, files: int) -> int:
    """Write the tree; returns the number of references written."""
    if out.exists():
        shutil.rmtree(out)
    (out / "tests" / "unit").mkdir(parents=True)
    (out / "contracts").mkdir()
    (out / "pyproject.toml").write_text(
        '[project]\nname = "pv-lint-bench"\nversion = "0"\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pv]\ncontracts = ["contracts"]\n',
        encoding="utf-8",
    )
    all_ids: list[str] = []
    for i in range(files):
        source, ids = _test_file(i)
        (out / "tests" / "unit" / f"test_mod_{i:03d}.py").write_text(source, encoding="utf-8")
        all_ids.extend(ids)
    written = 0
    for n in range(contracts):
        refs = [all_ids[(n * falsifiers + k) % len(all_ids)] for k in range(falsifiers)]
        text = _provable(n, refs) if n % 2 == 0 else _gate(n, refs)
        (out / "contracts" / f"bench-{n:04d}-v1.yaml").write_text(text, encoding="utf-8")
        written += len(refs)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--falsifiers", type=int, default=10)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    refs = generate(args.out, args.contracts, args.falsifiers, args.files)
    print(f"{args.out}: {args.contracts} contracts, {refs} references, {args.files * TESTS_PER_FILE} tests "
          f"in {args.files} files")


if __name__ == "__main__":
    main()
