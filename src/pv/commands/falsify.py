"""``pv falsify [CONTRACTS...]``: apply each declared mutant in an isolated copy, run the bound tests, judge.

Killed / survived / invalid / timeout per mutant (pv.falsify.judge), recorded in the results ledger
so ``pv status`` shows each falsifier's "falsifiable" count; a survived mutant is PV-FALS-001 (error
for ship-blocking falsifiers). ``--suggest ID`` proposes mutants instead (pv.falsify.suggest).
Exit codes: 0 every mutant killed, 1 findings, 2 nothing to falsify / bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse

HELP = "break the code on purpose (declared mutants) and show that each falsifier's bound tests go red"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="CONTRACT",
                        help="contract files, directories or globs; default: [tool.pv] contracts")
    parser.add_argument("--falsifier", action="append", default=[], metavar="ID",
                        help="only this falsifier's mutants (repeatable)")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="mutants run in parallel (default 1)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S",
                        help="seconds per mutant before it is judged 'timeout' (default 120)")
    parser.add_argument("--format", default="text", choices=["text", "json", "junit", "sarif", "github"])
    parser.add_argument("--ledger", metavar="PATH",
                        help="results ledger to record into (default: .pv/results.json under the root)")
    parser.add_argument("--no-record", action="store_true", help="judge without writing the ledger")
    parser.add_argument("--suggest", metavar="ID",
                        help="propose mutants for falsifier ID on the lines its tests execute; print survivors")
    parser.add_argument("--max-suggest", type=int, default=40, metavar="N",
                        help="--suggest: at most N candidate mutants are tried (default 40)")


def run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes

    if args.jobs < 1 or args.timeout <= 0:
        sys.stderr.write("pv falsify: -j must be >= 1 and --timeout > 0 (seconds)\n")
        return exitcodes.NOTHING_CHECKED
    from pv.commands.setup import project_for

    result = project_for("falsify", args.paths, args.ledger)
    if result is None:
        return exitcodes.NOTHING_CHECKED
    if args.suggest:
        from pv.falsify.suggest import run_suggest

        return run_suggest(result, args.suggest, jobs=args.jobs, timeout=args.timeout,
                           limit=args.max_suggest, out=sys.stdout, err=sys.stderr)
    return _falsify(args, result)


def _falsify(args: argparse.Namespace, result: object) -> int:
    import sys

    from pv import exitcodes
    from pv.falsify.plan import plan
    from pv.falsify.record import to_diagnostics, to_results
    from pv.ledger import record_results
    from pv.report import RunSummary, render

    statuses = result.statuses  # type: ignore[attr-defined]
    root = result.root  # type: ignore[attr-defined]
    known = {fs.id for cs in statuses for fs in cs.falsifiers}
    missing = [f for f in args.falsifier if f not in known]
    if missing:
        sys.stderr.write(f"pv falsify: no falsifier {', '.join(missing)} in the given contracts; exit 2\n")
        return exitcodes.NOTHING_CHECKED
    jobs, unrunnable = plan(statuses, args.falsifier)
    if not jobs and not unrunnable:
        sys.stderr.write("pv falsify: no declared mutant in the selected falsifiers; nothing to falsify "
                         "(declare `mutants:` on a falsifier, or propose some with --suggest ID); exit 2\n")
        return exitcodes.NOTHING_CHECKED
    outcomes = _run_with_progress(jobs, root, args)
    if outcomes is None:
        sys.stderr.write("pv falsify: interrupted; every isolated copy was removed, nothing was recorded\n")
        return 130
    from pv.diagnostics import Diagnostic, Severity
    from pv.falsify import codes

    diags = to_diagnostics(outcomes)
    diags += [Diagnostic(codes.INVALID, Severity.ERROR if u.ship_blocking else Severity.WARNING,
                         f"{u.mutant.label} invalid: {u.reason}", u.mutant.contract, u.mutant.line, u.mutant.col,
                         hint="bind the falsifier to a test first (`pv lint --strict-test-binding`)",
                         data={"falsifier": u.mutant.falsifier, "outcome": "invalid", "reason": "unbound"})
              for u in unrunnable]
    if not args.no_record and outcomes:
        _path, warning = record_results(result.ledger_path, [], to_results(outcomes, root))  # type: ignore[attr-defined]
        if warning:
            sys.stderr.write(f"pv falsify: {warning}\n")
    code = exitcodes.FINDINGS if any(d.severity >= Severity.ERROR for d in diags) else exitcodes.OK
    tally = {k: sum(o.verdict.outcome == k for o in outcomes) for k in ("killed", "survived", "invalid", "timeout")}
    tally["invalid"] += len(unrunnable)
    summary = RunSummary(command="falsify", files_checked=len(outcomes) + len(unrunnable), unit="mutant",
                         contracts=len(statuses), exit_code=code,
                         extra={"mutants": tally, "results": [_outcome_json(o) for o in outcomes]})
    if args.format == "junit":  # one test case per mutant: killed passes, the rest fail
        _junit(outcomes, diags, sys.stdout)
        return code
    if args.format == "text":
        _text_table(outcomes, unrunnable, sys.stdout)
    render(diags, args.format, sys.stdout, summary)
    return code


def _junit(outcomes: list, diags: list, stream: object) -> None:
    import xml.etree.ElementTree as ET

    by_key = {d.data.get("mutant"): d for d in diags}
    failures = sum(o.verdict.outcome in ("survived", "timeout") for o in outcomes)
    errors = len(diags) - failures
    suites = ET.Element("testsuites", name="pv falsify", tests=str(len(outcomes) + errors - sum(
        o.verdict.outcome == "invalid" for o in outcomes)), failures=str(failures), errors=str(errors))
    suite = ET.SubElement(suites, "testsuite", name="falsify", tests=suites.get("tests", "0"),
                          failures=str(failures), errors=str(errors), skipped="0",
                          time=f"{sum(o.duration_s for o in outcomes):.3f}")
    for o in outcomes:
        m = o.job.mutant
        case = ET.SubElement(suite, "testcase", classname=m.falsifier, name=f"{m.label} ({m.contract}:{m.line})",
                             time=f"{o.duration_s:.3f}")
        d = by_key.get(m.key)
        if d is not None:
            tag = "error" if o.verdict.outcome == "invalid" else "failure"
            ET.SubElement(case, tag, message=d.message, type=d.code).text = d.render()
    for d in diags:
        if d.data.get("reason") == "unbound":
            case = ET.SubElement(suite, "testcase", classname=d.data.get("falsifier", ""), name=d.message)
            ET.SubElement(case, "error", message=d.message, type=d.code).text = d.render()
    ET.indent(suites)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n")  # type: ignore[attr-defined]


def _outcome_json(o: object) -> dict[str, object]:
    m = o.job.mutant  # type: ignore[attr-defined]
    v = o.verdict  # type: ignore[attr-defined]
    return {"falsifier": m.falsifier, "mutant": m.key, "contract": m.contract, "line": m.line, "col": m.col,
            "change": m.describe(), "outcome": v.outcome, "reason": v.reason, "detail": v.detail,
            "mutated_file": o.mutated_file, "mutated_line": o.mutated_line,  # type: ignore[attr-defined]
            "duration_s": round(o.duration_s, 3)}  # type: ignore[attr-defined]


def _run_with_progress(jobs: list, root: object, args: argparse.Namespace) -> list | None:
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pv.falsify.session import run_all

    console = Console(file=sys.stderr)
    show = sys.stderr.isatty() and args.format == "text"
    with Progress(TextColumn("pv falsify"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, disable=not show, transient=True) as bar:
        task = bar.add_task("", total=len(jobs))

        def done(o: object) -> None:
            bar.update(task, advance=1, description=f"{o.job.mutant.label}: {o.verdict.outcome}")  # type: ignore[attr-defined]
        try:
            return run_all(jobs, root, workers=args.jobs, timeout=args.timeout, on_done=done)  # type: ignore[arg-type]
        except KeyboardInterrupt:
            return None


def _text_table(outcomes: list, unrunnable: list, stream: object) -> None:
    from rich.console import Console
    from rich.table import Table

    style = {"killed": "green", "survived": "bold red", "invalid": "yellow", "timeout": "magenta"}
    console = Console(file=stream, highlight=False, width=None if stream.isatty() else 160)  # type: ignore[attr-defined]
    table = Table(title="pv falsify: declared mutants", title_justify="left")
    for col in ("Falsifier", "Mutant (contract line)", "Change", "Verdict", "Detail", "s"):
        table.add_column(col, justify="right" if col == "s" else "left")
    for o in outcomes:
        m = o.job.mutant
        table.add_row(m.falsifier, f"#{m.index + 1} ({m.contract}:{m.line})", m.describe(),
                      f"[{style[o.verdict.outcome]}]{o.verdict.outcome}[/]", o.verdict.detail[:160],
                      f"{o.duration_s:.1f}")
    for u in unrunnable:
        m = u.mutant
        table.add_row(m.falsifier, f"#{m.index + 1} ({m.contract}:{m.line})", m.describe(), "[yellow]invalid[/]",
                      u.reason, "-")
    console.print(table)
