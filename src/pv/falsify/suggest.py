"""``pv falsify --suggest ID``: propose mutants where the falsifier's tests run, keep the survivors.

1. In an unmutated isolated copy, run the bound tests under the line recorder (pv.falsify.lines:
   coverage.py, or sys.settrace without it) to learn which lines of the code under test they
   execute (test files and conftest.py excluded).
2. Apply pv.falsify.operators there, at most ``--max-suggest`` candidates, spread over the files.
3. Run each candidate like a declared mutant (isolated copy, bound tests, judge).
4. Print survivors as ready-to-paste ``mutants:`` entries: each one is a break the tests cannot see.
   Killed candidates are counted (evidence the tests are strong where they look).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

from pv import exitcodes
from pv.checks.mutants import Mutant
from pv.falsify.operators import Candidate, candidates
from pv.falsify.runner import Job, child_env
from pv.falsify.session import run_all
from pv.falsify.workspace import Workspace, tree_files
from pv.status.facts import RefKind


def _is_test_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (rel.startswith(("tests/", "test/")) or "/tests/" in rel or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def executed_lines(root: Path, files: list[str], node_ids: tuple[str, ...], timeout: float,
                   ) -> tuple[dict[str, set[int]], dict[str, Any]]:
    """Relative source file -> executed lines, from one run of the bound tests in a clean copy."""
    with Workspace(root, files, prefix="pv-suggest-") as ws:
        out = ws.path / ".pv-falsify-lines.json"
        env = child_env(ws.path, [], ws.path / ".pv-falsify-probe.json")
        env["PV_FALSIFY_LINES"] = str(out)
        env["PV_FALSIFY_ROOT"] = str(ws.path.resolve())
        argv = [sys.executable, "-m", "pytest", *node_ids, "-p", "pv.falsify.lines", "-p", "no:cacheprovider",
                "-q", "--no-header", "-o", "addopts=", "-p", "no:randomly"]
        proc = subprocess.run(argv, cwd=ws.path, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if not out.is_file():
            raise RuntimeError(f"the bound tests did not run (pytest exit {proc.returncode}): "
                               f"{(proc.stdout + proc.stderr).strip().splitlines()[-1:]}")
        data = json.loads(out.read_text(encoding="utf-8"))
        base = ws.path.resolve()
        lines: dict[str, set[int]] = {}
        for f, hits in data["lines"].items():
            p = Path(f).resolve()
            if not p.is_relative_to(base) or p.suffix != ".py":
                continue
            rel = p.relative_to(base).as_posix()
            if not _is_test_file(rel) and hits:
                lines[rel] = set(hits)
    return lines, data


def _spread(per_file: dict[str, list[Candidate]], limit: int) -> list[Candidate]:
    """Round-robin over files so one big module does not take every slot."""
    out: list[Candidate] = []
    queues = {f: list(c) for f, c in sorted(per_file.items())}
    while len(out) < limit and any(queues.values()):
        for f in list(queues):
            if queues[f] and len(out) < limit:
                out.append(queues[f].pop(0))
    return sorted(out, key=lambda c: (c.file, c.line, c.operator))


def yaml_entry(c: Candidate) -> str:
    """One ``mutants:`` list item; JSON strings are valid YAML double-quoted scalars."""
    return (f"      - file: {c.file}\n        find: {json.dumps(c.find)}\n        replace: {json.dumps(c.replace)}\n"
            f"        why: {json.dumps(f'survived pv falsify --suggest ({c.operator}, line {c.line})')}\n")


def run_suggest(result: Any, falsifier: str, *, jobs: int, timeout: float, limit: int, out: TextIO,
                err: TextIO) -> int:
    fs = next((f for cs in result.statuses for f in cs.falsifiers if f.id == falsifier), None)
    if fs is None:
        err.write(f"pv falsify: no falsifier {falsifier} in the given contracts; exit 2\n")
        return exitcodes.NOTHING_CHECKED
    node_ids = tuple(dict.fromkeys(n for r in fs.facts.refs if r.kind is RefKind.TEST and r.resolves
                                   for n in r.node_ids))
    if not node_ids:
        err.write(f"pv falsify: {falsifier} binds no existing test, so nothing can be suggested "
                  "(bind it first: `pv lint --strict-test-binding`); exit 2\n")
        return exitcodes.NOTHING_CHECKED
    root: Path = result.root
    files = tree_files(root)
    try:
        lines, data = executed_lines(root, files, node_ids, timeout)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        err.write(f"pv falsify --suggest: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    if data.get("failed"):
        err.write(f"pv falsify --suggest: {data['failed']} bound test(s) of {falsifier} fail on the unmutated code; "
                  "mutants say nothing until they pass (`pv run`); exit 1\n")
        return exitcodes.FINDINGS
    per_file = {rel: candidates(rel, (root / rel).read_text(encoding="utf-8"), hit)
                for rel, hit in lines.items() if (root / rel).is_file()}
    chosen = _spread(per_file, limit)
    total = sum(len(v) for v in per_file.values())
    err.write(f"pv falsify --suggest {falsifier}: {len(lines)} file(s) executed by {len(node_ids)} bound test(s) "
              f"(measured with {data.get('tool')}); trying {len(chosen)} of {total} candidate mutant(s)\n")
    if not chosen:
        err.write("pv falsify --suggest: no operator applies on the executed lines; nothing to suggest\n")
        return exitcodes.NOTHING_CHECKED
    mutants = [Mutant(falsifier, i, c.file, c.find, c.replace, None, c.operator, "(suggested)", c.line, 1)
               for i, c in enumerate(chosen)]
    job_list = [Job(m, "", fs.facts.ship_blocking, node_ids) for m in mutants]
    try:
        outcomes = run_all(job_list, root, workers=jobs, timeout=timeout)
    except KeyboardInterrupt:
        err.write("pv falsify: interrupted; every isolated copy was removed\n")
        return 130
    by = {"killed": 0, "survived": 0, "invalid": 0, "timeout": 0}
    survivors: list[Candidate] = []
    for c, o in zip(chosen, outcomes, strict=True):
        by[o.verdict.outcome] += 1
        if o.verdict.outcome == "survived":
            survivors.append(c)
    err.write(f"pv falsify --suggest {falsifier}: {by['killed']} killed, {by['survived']} survived, "
              f"{by['invalid']} invalid, {by['timeout']} timed out\n")
    if survivors:
        out.write(f"# {len(survivors)} mutant(s) {falsifier}'s tests do not notice; paste under the falsifier "
                  "and strengthen the tests until `pv falsify` kills them\n    mutants:\n")
        for c in survivors:
            out.write(yaml_entry(c))
    else:
        out.write(f"# every suggested mutant was killed: {falsifier}'s tests see each break tried\n")
    return exitcodes.OK
