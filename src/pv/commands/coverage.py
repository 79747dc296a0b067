"""``pv coverage [PATH...]``: per-contract and total coverage of falsifiers and obligations.

Exit codes: 0 measured (and at or above ``--min-coverage`` when given); 1 below
``--min-coverage``; 2 nothing measured (no contract, a missing path, or no
falsifier at all while ``--min-coverage`` asks for a share of them).
"""

from __future__ import annotations

import argparse

HELP = "Coverage: falsifiers bound to a test or evidence, obligations covered by a falsifier; per contract and total."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs (default: [tool.pv] contracts)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--min-coverage", type=float, metavar="PCT",
                        help="exit 1 when total falsifier coverage is below PCT percent")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from pv import exitcodes
    from pv.analysis.coverage import coverage_report, to_json, totals
    from pv.commands.setup import contracts_for

    loaded = contracts_for("coverage", args.paths, "measure")
    if loaded is None:
        return exitcodes.NOTHING_CHECKED
    run_, config = loaded
    report = coverage_report(run_.contracts, config.root)
    total = totals(report)
    if args.format == "json":
        sys.stdout.write(json.dumps(to_json(report), indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="pv coverage", show_footer=True)
        cols = ("contract", "falsifiers", "test", "evidence", "pending", "scaffold", "unbound",
                "bound %", "obligations", "by falsifier", "by kani", "covered %")
        foot = ("total", total["falsifiers"], total["with_test"], total["with_evidence"], total["pending"],
                total["scaffold"], total["unbound"] + total["shell"], _fmt(total["falsifier_coverage"]),
                total["obligations"], total["obligations_with_falsifier"], total["obligations_with_kani"],
                _fmt(total["obligation_coverage"]))
        for i, (name, footer) in enumerate(zip(cols, foot, strict=True)):
            table.add_column(name, footer=str(footer), justify="left" if i == 0 else "right")
        for c in report:
            row = c.as_json()
            table.add_row(c.stem, str(row["falsifiers"]), str(row["with_test"]), str(row["with_evidence"]),
                          str(row["pending"]), str(row["scaffold"]), str(row["unbound"] + row["shell"]),
                          _fmt(row["falsifier_coverage"]), str(row["obligations"]),
                          str(row["obligations_with_falsifier"]), str(row["obligations_with_kani"]),
                          _fmt(row["obligation_coverage"]))
        Console(width=160).print(table)
    if total["falsifier_coverage"] is None and total["obligation_coverage"] is None:
        sys.stderr.write("pv coverage: no falsifier and no obligation found: nothing measured (exit 2)\n")
        return exitcodes.NOTHING_CHECKED
    if args.min_coverage is not None:
        share = total["falsifier_coverage"]
        if share is None:
            sys.stderr.write("pv coverage: no falsifier found, so there is no coverage to compare\n")
            return exitcodes.NOTHING_CHECKED
        if share < args.min_coverage:
            sys.stderr.write(f"pv coverage: falsifier coverage {share:.1f}% is below --min-coverage "
                             f"{args.min_coverage:g}%\n")
            return exitcodes.FINDINGS
    return exitcodes.OK
