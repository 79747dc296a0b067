"""``pv scaffold CONTRACT [-o FILE]``: failing pytest skeletons for falsifiers that have no test yet.

A falsifier needs a scaffold when none of its references is a test or live
evidence (LIVE-PENDING, no reference, only a ``shell:`` harness). Each test is
named after its falsifier, marked ``@pytest.mark.falsifies(ID)`` and fails
with ``pytest.fail("not written: ID")`` until written; pv never counts it as
a bound test. With ``-o`` an existing file keeps its content and gains only
the tests it lacks. Exit codes: 0 written (or nothing needed one); 2 wrong
usage or a contract that cannot be read.
"""

from __future__ import annotations

import argparse

HELP = "Write failing pytest skeletons for falsifiers that have no test yet (never counted as bound)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", metavar="CONTRACT", help="the contract file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write (or extend) this test file instead of printing to stdout")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.analysis.coverage import EVIDENCE, SCAFFOLD, TEST, coverage_report
    from pv.analysis.scaffold import (
        ScaffoldTarget,
        existing_test_names,
        node_id_for,
        render_scaffold,
        scaffold_test_name,
    )
    from pv.analysis.source import unreadable
    from pv.commands.setup import config_for
    from pv.validate import validate_paths

    config = config_for("scaffold")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    run_ = validate_paths([args.contract], config)
    problems = run_.usage_problems + unreadable(run_)
    for diag in problems:
        sys.stderr.write(diag.render() + "\n")
    if problems or len(run_.contracts) != 1:
        sys.stderr.write("pv scaffold: give exactly one readable contract file\n")
        return exitcodes.NOTHING_CHECKED
    contract = run_.contracts[0]
    cov = coverage_report([contract], config.root)[0]
    predictions = {v.id: v.prediction for v in contract.falsifiers()}
    targets = [ScaffoldTarget(f.id, predictions.get(f.id, ""), contract.path, f.line)
               for f in cov.falsifiers if f.kind not in (TEST, EVIDENCE, SCAFFOLD)]
    if not targets:
        sys.stderr.write(f"pv scaffold: nothing to scaffold: every falsifier of {contract.path} is bound to a "
                         "test, live evidence or an existing scaffold\n")
        return exitcodes.OK
    out_path = Path(args.output) if args.output else None
    if out_path is not None and not out_path.parent.is_dir():
        sys.stderr.write(f"pv scaffold: {out_path.parent} is not a directory (create it, or pick another -o)\n")
        return exitcodes.NOTHING_CHECKED
    if out_path is not None and out_path.is_file():
        existing = out_path.read_text(encoding="utf-8")
        try:
            names = existing_test_names(existing)
        except SyntaxError as exc:
            sys.stderr.write(f"pv scaffold: {out_path}:{exc.lineno}: does not parse ({exc.msg}); fix it before "
                             "appending skeletons to it\n")
            return exitcodes.NOTHING_CHECKED
        targets = [t for t in targets if scaffold_test_name(t.falsifier_id) not in names]
        if not targets:
            sys.stderr.write(f"pv scaffold: {out_path} already holds a skeleton for every unbound falsifier\n")
            return exitcodes.OK
        body = render_scaffold(targets, contract.path, names)
        # keep the existing module; append only the new test functions (after the header/import)
        new_tests = body.split("import pytest\n", 1)[1]
        if "import pytest" not in existing:
            new_tests = "\nimport pytest\n" + new_tests
        text = existing.rstrip("\n") + "\n" + new_tests
    else:
        text = render_scaffold(targets, contract.path)
    if out_path is None:
        sys.stdout.write(text)
        shown = "tests/test_<name>.py"
    else:
        out_path.write_text(text, encoding="utf-8")
        try:
            shown = out_path.resolve().relative_to(config.root.resolve()).as_posix()
        except ValueError:
            shown = str(out_path)
    sys.stderr.write(f"pv scaffold: {len(targets)} failing skeleton(s); once written, cite them as:\n")
    for t in targets:
        sys.stderr.write(f"  {t.falsifier_id}: {node_id_for(shown, t.falsifier_id)}\n")
    return exitcodes.OK
