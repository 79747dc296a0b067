"""Long fuzz of pv against hostile contracts, directories and evidence packs, one process per case.

Usage: python bench/fuzz_pv.py [--cases 400] [--seed 15] [--out bench/results/fuzz_pv.md]

Every case runs the real CLI (``python -m pv ...``) in a fresh subprocess; its wall time and peak
RSS are read from ``os.wait4`` (the child's own rusage, not this process's). A case passes when:
the exit code is one pv documents (0, 1, 2: docs/cli.md), neither "internal error" nor
"Traceback" nor PV-YAML-017 (the per-file net for pv's own bugs) appears in the output, it ends
within 5 s and its peak RSS stays under 500 MB; a tampered evidence pack must also never verify.
Exit 0 when every case passes, 1 otherwise. Cases (stdlib ``random``, reproducible by seed):

- yaml-tag: an explicit core tag with a bad or odd value (``!!int 0x``, ``!!bool maybe``, ...)
- yaml-huge-int: integers of 4,301..50,000 digits, tagged or not, signed or not
- yaml-control: ESC sequences, CR/LF, C0/C1 controls, bidi overrides in keys and values
- yaml-deep / yaml-alias: nesting up to 50,000 levels; alias chains ("billion laughs")
- yaml-mutant: a valid contract with random bytes spliced in
- dir-one-bad: ``pv validate|lint|status DIR`` with one hostile file among good contracts
- evidence: a recorded, sealed pack with its manifest or files tampered (``pv evidence verify``)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WALL_LIMIT_S = 5.0
RSS_LIMIT_MB = 500.0
KILL_AFTER_S = 60.0
DOCUMENTED_EXIT = {0, 1, 2}

GOOD = """metadata:
  version: 1.0.0
  status: DRAFT
  description: {name}
equations:
  e:
    formula: y = x
falsification_tests:
  - id: FALSIFY-{up}-001
    rule: r
    prediction: p
    test: "LIVE-PENDING: needs a run"
"""
TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!str", "!!binary", "!!set", "!!omap",
        "!<tag:yaml.org,2002:int>", "!<tag:yaml.org,2002:float>", "!!python/object", "!custom"]
ODD = ["0x", "''", "maybe", "x", "1e5", "0b", "0o9", "1_", "-", ".", "..inf", "1:2:3", "~", "2026-13-45",
       "9" * 400, "1" + "0" * 400, "+", "0x" + "f" * 5000, "[]", "{}", '"\\x00"', "!!int"]
CONTROLS = ["\x1b[2K\r", "\x1b]8;;x\x07", "\n", "\r", "\x00", "\x7f", "\x85", "\x9b", "\u2028", "\u202e", "\x08",
            "\x1bc", "\t"]


@dataclass
class Case:
    kind: str
    argv: list[str]
    cwd: Path
    must_fail: bool = False  # a tampered pack: exit 0 would be a forged verification


@dataclass
class Result:
    kind: str
    ok: bool
    why: str
    wall_s: float
    rss_mb: float


def run_case(case: Case) -> Result:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    env.pop("PV_DEBUG", None)
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "pv", *case.argv], cwd=case.cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        status = rusage = None
        while status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage = st, ru
            elif time.monotonic() - start > KILL_AFTER_S:
                proc.kill()
                _, status, rusage = os.wait4(proc.pid, 0)
                proc.returncode = -9
            else:
                time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status) if proc.returncode is None else proc.returncode
        wall = time.monotonic() - start
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    rss_mb = rusage.ru_maxrss / 1024  # Linux: kilobytes
    problems = []
    if proc.returncode not in DOCUMENTED_EXIT:
        problems.append(f"exit {proc.returncode}")
    for marker in ("internal error", "Traceback", "PV-YAML-017"):
        if marker in text:
            problems.append(marker)
    if wall > WALL_LIMIT_S:
        problems.append(f"wall {wall:.1f} s")
    if rss_mb > RSS_LIMIT_MB:
        problems.append(f"RSS {rss_mb:.0f} MB")
    if case.must_fail and proc.returncode == 0:
        problems.append("a tampered pack verified")
    return Result(case.kind, not problems, "; ".join(problems) + (f": {text[-300:]!r}" if problems else ""),
                  wall, rss_mb)


def project(base: Path) -> Path:
    root = base / "proj"
    (root / "contracts").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pv]\ncontracts = ["contracts"]\n')
    for name in ("alpha", "beta"):
        (root / "contracts" / f"{name}-v1.yaml").write_text(GOOD.format(name=name, up=name.upper()))
    return root


def hostile_yaml(rng: random.Random, kind: str) -> str:
    if kind == "yaml-tag":
        return f"metadata:\n  version: 1.0.0\n  x-v: {rng.choice(TAGS)} {rng.choice(ODD)}\n"
    if kind == "yaml-huge-int":
        digits = rng.randint(4301, 50_000)
        return f"metadata:\n  version: {rng.choice(['', '!!int ', '!!float '])}{rng.choice(['', '-', '+'])}" \
               f"{'7' * digits}\n"
    if kind == "yaml-control":
        def hostile() -> str:
            return "".join(rng.choice([*CONTROLS, "ok", "pv validate: OK", "x.yaml:1:1: PV-X"])
                           for _ in range(rng.randint(1, 6)))
        return (f"metadata:\n  version: {json.dumps(hostile())}\n  {json.dumps(hostile())}: {json.dumps(hostile())}\n"
                f"falsification_tests:\n  - id: {json.dumps('F-' + hostile())}\n    test: {json.dumps(hostile())}\n")
    if kind == "yaml-deep":
        depth = rng.choice([150, 199, 201, 1000, 10_000, 50_000])
        return "a: " + "[" * depth + "]" * depth + "\n" if rng.random() < 0.5 else \
            "".join("  " * i + "k:\n" for i in range(min(depth, 5000))) + "  " * min(depth, 5000) + "v\n"
    if kind == "yaml-alias":
        levels = rng.randint(5, 12)
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
        return "\n".join(lines) + "\n"
    text = GOOD.format(name="m", up="M")
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(["\x00", ":", "- ", "&x", "*x", "!!int ", "\n  ", "{", "'", "\x1b", *ODD]) \
            + text[at + rng.randint(0, 3):]
    return text


def evidence_project(base: Path) -> tuple[Path, str]:
    """A project with one recorded pack, cited with its seal; returns (root, seal)."""
    root = project(base)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    git = ["git", "-c", "user.name=f", "-c", "user.email=f@f", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "c"], cwd=root, check=True)
    subprocess.run([sys.executable, "-m", "pv", "evidence", "record", "--name", "run-1", "--falsifier",
                    "FALSIFY-ALPHA-001", "-q", "--", sys.executable, "-c", "print('{\"val_loss\": 7.0}')"],
                   cwd=root, env=env, check=True, capture_output=True)
    seal = hashlib.sha256((root / "evidence/run-1/manifest.json").read_bytes())
    contract = root / "contracts/alpha-v1.yaml"
    contract.write_text(contract.read_text().replace(
        '"LIVE-PENDING: needs a run"', f'"LIVE: evidence/run-1@sha256:{seal.hexdigest()}"\n    check: '
        '{metric: val_loss, op: "<", value: 9.0}'))
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "e"], cwd=root, check=True)
    return root, seal.hexdigest()


def tamper(rng: random.Random, pack: Path, outside: Path) -> None:
    manifest = pack / "manifest.json"
    data = json.loads(manifest.read_text())
    choice = rng.randrange(9)
    if choice == 0:
        field = rng.choice(sorted(data))
        data[field] = rng.choice([0, 3, None, [], {}, "x", ["FALSIFY-BETA-001"], True, 10 ** 30, -1.5])
        manifest.write_text(json.dumps(data))
    elif choice == 1:
        manifest.write_text(manifest.read_text().replace('"exit_code": 0', '"exit_code": 3, "exit_code": 0'))
    elif choice == 2:
        manifest.write_text(manifest.read_text().replace('"exit_code": 0', '"exit_code": ' + "9" * 5000))
    elif choice == 3:
        depth = rng.choice([65, 1000, 100_000])
        manifest.write_text(manifest.read_text().replace('"metrics": {', '"metrics": {"deep": ' + "[" * depth
                                                         + "]" * depth + ",", 1))
    elif choice == 4:
        os.mkfifo(pack / rng.choice(["pipe", "stdout.txt.fifo"]))
    elif choice == 5:
        target = pack / rng.choice(["stdout.txt", "stderr.txt", "manifest.json"])
        (outside / target.name).write_bytes(target.read_bytes())
        target.unlink()
        target.symlink_to(outside / target.name)
    elif choice == 6:
        target = pack / rng.choice(["stdout.txt", "stderr.txt"])
        target.unlink()
        os.mkfifo(target)
    elif choice == 7:
        raw = manifest.read_bytes()
        at = rng.randrange(len(raw))
        manifest.write_bytes(raw[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + raw[at + 1:])
    else:
        data["falsifiers"].append("FALSIFY-BETA-001")
        manifest.write_text(json.dumps(data, indent=2) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=400, help="number of cases in all (default 400)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kinds = ["yaml-tag", "yaml-huge-int", "yaml-control", "yaml-deep", "yaml-alias", "yaml-mutant", "dir-one-bad",
             "evidence"]
    results: dict[str, list[Result]] = defaultdict(list)
    failures: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ev_root, _ = evidence_project(base / "ev")
        pristine = base / "pristine-pack"
        shutil.copytree(ev_root / "evidence/run-1", pristine)
        for i in range(args.cases):
            kind = kinds[i % len(kinds)]
            work = base / f"c{i}"
            work.mkdir()
            if kind == "evidence":
                pack = ev_root / "evidence/run-1"
                shutil.rmtree(pack) if not pack.is_symlink() else pack.unlink()
                shutil.copytree(pristine, pack)
                tamper(rng, pack, work)
                case = Case(kind, ["evidence", "verify", "evidence/run-1"], ev_root, must_fail=True)
            elif kind == "dir-one-bad":
                root = project(work)
                (root / "contracts/odd-v1.yaml").write_text(hostile_yaml(rng, rng.choice(kinds[:6])))
                case = Case(kind, [rng.choice(["validate", "lint", "status"]), "contracts"], root)
            else:
                (work / "f.yaml").write_text(hostile_yaml(rng, kind), encoding="utf-8")
                case = Case(kind, ["validate", "f.yaml", "--format", rng.choice(["text", "github", "json"])], work)
            result = run_case(case)
            results[kind].append(result)
            if not result.ok:
                failures.append(result)
            shutil.rmtree(work, ignore_errors=True)
    lines = ["| kind | cases | failed | internal errors | hangs (> 5 s) | worst wall (s) | worst peak RSS (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind in kinds:
        rs = results[kind]
        lines.append(f"| {kind} | {len(rs)} | {sum(not r.ok for r in rs)} | "
                     f"{sum('internal error' in r.why or 'Traceback' in r.why for r in rs)} | "
                     f"{sum(r.wall_s > WALL_LIMIT_S for r in rs)} | {max(r.wall_s for r in rs):.2f} | "
                     f"{max(r.rss_mb for r in rs):.0f} |")
    everything = [r for rs in results.values() for r in rs]
    lines.append(f"| **all** | {len(everything)} | {len(failures)} | "
                 f"{sum('internal error' in r.why or 'Traceback' in r.why for r in everything)} | "
                 f"{sum(r.wall_s > WALL_LIMIT_S for r in everything)} | {max(r.wall_s for r in everything):.2f} | "
                 f"{max(r.rss_mb for r in everything):.0f} |")
    table = "\n".join(lines)
    print(table)
    for r in failures[:20]:
        print(f"FAIL {r.kind}: {r.why}", file=sys.stderr)
    if args.out:
        args.out.write_text(f"# pv fuzz (`python bench/fuzz_pv.py --cases {args.cases} --seed {args.seed}`)\n\n"
                            f"{table}\n")
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
