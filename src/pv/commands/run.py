"""``pv run [PATH...]``: run exactly the tests bound to the given contracts and record the ledger.

One pytest session (``python -m pytest <node IDs> --pv-record=<ledger>``) in
the project root, so ``pv status`` can compute FUNCTIONAL from what ran.
"""

from __future__ import annotations

import argparse

HELP = "run exactly the tests bound to the given contracts in one pytest session and record the results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs; default: [tool.pv] contracts")
    parser.add_argument("--ledger", metavar="PATH",
                        help="results ledger to record into (default: .pv/results.json under the root)")
    parser.add_argument("--dry-run", action="store_true", help="print the pytest command instead of running it")
    parser.add_argument("--pytest-args", default="", metavar="ARGS",
                        help='extra pytest arguments as one string: --pytest-args="-x -n 2"')


def run(args: argparse.Namespace) -> int:
    import os
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    import pv
    from pv import exitcodes
    from pv.commands.setup import project_for
    from pv.record_plugin import plugin_args
    from pv.status.run_select import bound_node_ids

    result = project_for("run", args.paths, args.ledger)
    if result is None:
        return exitcodes.NOTHING_CHECKED
    node_ids = bound_node_ids(result.collected.contracts)
    if not node_ids:
        sys.stderr.write(f"pv run: the {len(result.statuses)} contract(s) bind no existing test; nothing to run "
                         "(bind tests by node ID, see `pv lint --strict-test-binding`); exit 2\n")
        return exitcodes.NOTHING_CHECKED
    try:
        extra = shlex.split(args.pytest_args)
    except ValueError as exc:
        sys.stderr.write(f"pv run: --pytest-args cannot be split: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    argv = [sys.executable, "-m", "pytest", *node_ids, *plugin_args(), f"--pv-record={result.ledger_path}", *extra]
    if args.dry_run:
        sys.stdout.write(shlex.join(argv) + "\n")
        return exitcodes.OK
    sys.stderr.write(f"pv run: {len(node_ids)} bound test(s) from {len(result.statuses)} contract(s)\n")
    sys.stderr.flush()
    env = dict(os.environ)
    # The plugin must import in the child even when pv runs from a source checkout.
    src = str(Path(pv.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    code = subprocess.call(argv, cwd=result.root, env=env)
    if code in (0, 1):
        sys.stderr.write(f"pv run: outcomes recorded in {result.ledger_path}; see `pv status`\n")
        return exitcodes.OK if code == 0 else exitcodes.FINDINGS
    sys.stderr.write(f"pv run: pytest exited {code} (interrupted, usage error or no tests collected)\n")
    return exitcodes.NOTHING_CHECKED
