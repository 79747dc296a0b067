"""Validate a whole real registry and count what pv says about it (docs/validate.md, "Real registries").

Usage: python bench/validate_registry.py PATH [--unknown-keys error|warn] [--json]

PATH is a registry's contracts directory (for example a checkout of paiml/provable-contracts'
``contracts/``). Prints the files checked, the files accepted (no error finding of their own),
the findings by code and severity, and the dialect pv chose for each file, so a change to the
validator can be judged by its effect on a registry nobody wrote for this project. The run
uses pv's defaults (no [tool.pv] of the registry's own), as a new user's first run would.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from pv.config import PvConfig  # noqa: E402
from pv.diagnostics import Severity  # noqa: E402
from pv.validate import validate_paths  # noqa: E402


def measure(path: Path, unknown_keys: str = "error") -> dict[str, object]:
    """Counts for one validation of ``path`` (a directory) with pv's defaults."""
    config = PvConfig(root=path, contracts=["."], unknown_keys=unknown_keys)
    started = time.perf_counter()
    run = validate_paths([path], config)
    seconds = time.perf_counter() - started
    failing = {d.path for d in run.diagnostics if d.severity >= Severity.ERROR}
    by_code: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for d in run.diagnostics:
        by_code[d.code][d.severity.label] += 1
    files_with: dict[str, set[str]] = collections.defaultdict(set)
    for d in run.diagnostics:
        files_with[d.code].add(d.path)
    dialects = collections.Counter(c.dialect for c in run.contracts)
    dialects["binding"] = len(run.bindings)
    return {
        "path": str(path), "unknown_keys": unknown_keys, "files_checked": run.files_checked,
        "accepted": sum(1 for f in run.files if f not in failing), "seconds": round(seconds, 3),
        "dialects": dict(sorted(dialects.items())),
        "findings": {code: {**dict(sev), "files": len(files_with[code])} for code, sev in sorted(by_code.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the registry's contracts directory")
    parser.add_argument("--unknown-keys", choices=("error", "warn"), default="error")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        sys.stderr.write(f"validate_registry: {args.path} is not a directory; give the registry's contracts/\n")
        return 2
    result = measure(args.path.resolve(), args.unknown_keys)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"registry: {result['path']}  (--unknown-keys={result['unknown_keys']})")
    print(f"files checked: {result['files_checked']}, accepted: {result['accepted']}, "
          f"in {result['seconds']} s")
    print("dialects: " + ", ".join(f"{k} {v}" for k, v in result["dialects"].items()))  # type: ignore[union-attr]
    print(f"{'code':<12} {'errors':>7} {'warnings':>9} {'files':>6}")
    for code, counts in result["findings"].items():  # type: ignore[union-attr]
        print(f"{code:<12} {counts.get('error', 0):>7} {counts.get('warning', 0):>9} {counts['files']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
