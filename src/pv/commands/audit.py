"""``pv audit [PATH...]``: traceability findings - obligations no falsifier covers, falsifiers with no test.

Findings are warnings (PV-COV-001..004, docs/analysis.md); ``--strict``
makes them errors. Exit codes: 0 no error-level finding; 1 error-level
findings; 2 nothing audited (no contract, a missing path) or wrong usage.
"""

from __future__ import annotations

import argparse

HELP = "Audit traceability: obligations with no falsifier, falsifiers with no test, contracts with neither."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs (default: [tool.pv] contracts)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from pv import exitcodes
    from pv.analysis.coverage import audit_diagnostics, coverage_report, to_json, totals
    from pv.commands.setup import contracts_for
    from pv.diagnostics import Severity
    from pv.policy import escalate

    loaded = contracts_for("audit", args.paths, "audit")
    if loaded is None:
        return exitcodes.NOTHING_CHECKED
    run_, config = loaded
    report = coverage_report(run_.contracts, config.root)
    findings = audit_diagnostics(report)
    if args.strict:
        findings = escalate(findings)
    errors = sum(1 for d in findings if d.severity >= Severity.ERROR)
    total = totals(report)
    if args.format == "json":
        payload = {
            "schema": "pv-audit/1",
            "findings": [{"code": d.code, "severity": d.severity.label, "message": d.message, "path": d.path,
                          "line": d.line, "col": d.col, "hint": d.hint, "data": d.data} for d in findings],
            "coverage": to_json(report),
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        for d in findings:
            sys.stdout.write(f"{d.render()}\n")
        sys.stdout.write(
            f"audited {total['contracts']} contract(s): {total['falsifiers']} falsifiers "
            f"({total['with_test']} with a test, {total['with_evidence']} with evidence), "
            f"{total['obligations']} obligations ({total['obligations_with_falsifier']} covered by a falsifier); "
            f"{len(findings)} finding(s), {errors} error(s)\n")
    return exitcodes.FINDINGS if errors else exitcodes.OK
