"""Real-world test binding: does `pv lint --strict-test-binding` agree with pytest on real projects?

For each project (a PyPI sdist that ships its tests, unpacked, with its own venv):
  1. `pytest --collect-only -q` in the project (the project's venv) lists the real node IDs;
  2. a contract cites every one of them, plus generated wrong IDs (renamed, wrong class, wrong
     param ID, wrong file, case change, helper name) that pytest does not have;
  3. `pv lint --strict-test-binding` runs cold (no .pv cache) and warm, PV_PYTHON = the venv.
Target: 0 real IDs rejected and 0 wrong IDs accepted. Timings are medians of --repeat runs, side by side.

Setup (once; nothing here downloads at run time):
  pip download --no-binary :all: --no-deps NAME==VERSION -d SDISTS; tar xzf each into PROJECTS;
  uv venv VENVS/NAME && uv pip install PROJECTS/NAME-VERSION pytest <its test deps>
Run:
  python bench/realworld_binding.py --projects /tmp/rwb/proj --venvs /tmp/rwb/venv [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

# (venv name, unpacked sdist directory name) — see docs/performance.md for the test deps installed.
PROJECTS = [
    ("pluggy", "pluggy-1.6.0"),
    ("more-itertools", "more_itertools-10.7.0"),
    ("packaging", "packaging-25.0"),
    ("asgiref", "asgiref-3.9.1"),
    ("anyio", "anyio-4.9.0"),
]
CONTRACT_DIR = "pvbench"


def collect(python: str, root: Path) -> tuple[list[str], float]:
    started = time.perf_counter()
    proc = subprocess.run([python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=root,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    ids = [line.rstrip() for line in proc.stdout.splitlines() if "::" in line and not line.startswith(" ")]
    return ids, seconds


def wrong_ids(real: list[str], root: Path) -> list[str]:
    """Plausible citations pytest does not have (checked against the real set and its prefixes)."""
    real_set = set(real)
    prefixes = {nid.split("[", 1)[0] for nid in real}
    for nid in real:
        parts = nid.split("[", 1)[0].split("::")
        prefixes.update("::".join(parts[:k]) for k in range(1, len(parts) + 1))
    out: list[str] = []
    step = max(len(real) // 40, 1)
    for nid in real[::step]:
        base, _, param = nid.partition("[")
        parts = base.split("::")
        name = parts[-1]
        cands = [
            "::".join([*parts[:-1], name + "_renamed"]),
            "::".join([parts[0], "TestNoSuchClass", name]),
            "::".join([*parts[:-1], name.swapcase()]),
            "::".join([parts[0].rsplit("/", 1)[0] + "/test_no_such_file.py" if "/" in parts[0]
                       else "test_no_such_file.py", *parts[1:]]),
            "::".join([*parts[:-1], "helper_" + name.removeprefix("test_")]),
        ]
        if param:
            cands.append(f"{base}[{param[:-1]}-no-such-id]")
            cands.append(f"{base}[{param.swapcase()}" if param.swapcase() != param else f"{base}[zz{param}")
        elif len(parts) > 2:
            cands.append("::".join([parts[0], *parts[2:]]))  # class dropped
        out.extend(c for c in cands if c not in real_set)
    seen: set[str] = set()
    return [c for c in out if not (c in seen or seen.add(c)) and c not in real_set and c not in prefixes]


def write_contract(root: Path, cited: list[str], per_file: int = 2000) -> Path:
    """Contracts under <root>/pvbench/, ``per_file`` citations each (pv caps one YAML file at 4 MiB)."""
    folder = root / CONTRACT_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for chunk in range(0, max(len(cited), 1), per_file):
        lines = [f"contract_id: C-RWB-{chunk}", 'version: "1.0.0"', "status: DRAFT", "metadata:",
                 '  version: "1.0.0"', "  description: every collected node ID plus wrong ones", "gates:"]
        for k, nid in enumerate(cited[chunk:chunk + per_file], start=chunk):
            lines += [f"  - id: GATE-RWB-{k:05d}", "    rule: exists", f"    evidence_discharged_by: {json.dumps(nid)}"]
        (folder / f"rwb{chunk:06d}-v1.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def pv_lint(root: Path, contract: Path, python: str) -> tuple[dict, float]:
    env = dict(os.environ, PV_PYTHON=python)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pv", "lint", "--strict-test-binding", "--format", "json",
                           str(contract.relative_to(root))], cwd=root, capture_output=True, text=True, env=env,
                          check=False)
    seconds = time.perf_counter() - started
    try:
        return json.loads(proc.stdout), seconds
    except ValueError:
        raise SystemExit(f"pv lint gave no JSON in {root}: {proc.stderr.strip()[-400:]}") from None


def rejected(doc: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in doc.get("diagnostics", []):
        ref = (d.get("data") or {}).get("reference")
        if ref and d["severity"] == "error" and d["code"].startswith("PV-BIND-"):
            out.setdefault(ref, f"{d['code']} {d['message']}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=Path, default=Path("/tmp/rwb/proj"))
    ap.add_argument("--venvs", type=Path, default=Path("/tmp/rwb/venv"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    print("| project | node IDs | wrong IDs | real rejected | wrong accepted | files collected by pytest "
          "| pytest --collect-only s | pv cold s | pv warm s |")
    print("|---|---|---|---|---|---|---|---|---|")
    bad = 0
    for venv, dirname in PROJECTS:
        if args.only and venv not in args.only:
            continue
        root = args.projects / dirname
        python = str(args.venvs / venv / "bin" / "python")
        real, _ = collect(python, root)
        wrong = wrong_ids(real, root)
        contract = write_contract(root, real + wrong)
        pytest_s, cold_s, warm_s = [], [], []
        doc: dict = {}
        for _ in range(args.repeat):
            pytest_s.append(collect(python, root)[1])
            shutil.rmtree(root / ".pv", ignore_errors=True)
            doc, secs = pv_lint(root, contract, python)
            cold_s.append(secs)
            warm_s.append(pv_lint(root, contract, python)[1])
        errs = rejected(doc)
        real_rej = [r for r in real if r in errs]
        wrong_acc = [w for w in wrong if w not in errs]
        gate = next((g for g in doc.get("summary", {}).get("gates", []) if g.get("name") == "test-binding"), {})
        collected = (gate.get("counts") or {}).get("collected_files", "?")
        bad += len(real_rej) + len(wrong_acc)
        print(f"| {dirname} | {len(real)} | {len(wrong)} | {len(real_rej)} | {len(wrong_acc)} | {collected} "
              f"| {statistics.median(pytest_s):.2f} | {statistics.median(cold_s):.2f} "
              f"| {statistics.median(warm_s):.2f} |", flush=True)
        for r in real_rej[:5]:
            print(f"    REAL REJECTED {r}: {errs[r][:200]}", file=sys.stderr)
        for w in wrong_acc[:5]:
            print(f"    WRONG ACCEPTED {w}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
