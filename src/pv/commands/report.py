"""``pv report --html OUT.html [PATH...]``: one self-contained HTML status report for auditors."""

from __future__ import annotations

import argparse

HELP = "write a self-contained HTML report: status badges, trace matrix, filters, why-not-higher"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs; default: [tool.pv] contracts")
    parser.add_argument("--html", required=True, metavar="OUT.html", help="where to write the report")
    parser.add_argument("--ledger", metavar="PATH", help="results ledger (default: .pv/results.json under the root)")
    parser.add_argument("--title", default="pv contract status", help="report title")


def run(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from pv import __version__, exitcodes
    from pv.commands.setup import project_for
    from pv.ledger import git_head
    from pv.report.html import render
    from pv.status.export import to_json

    result = project_for("report", args.paths, args.ledger)
    if result is None:
        return exitcodes.NOTHING_CHECKED
    commit, dirty = git_head(result.root)
    where = f"commit {commit[:12]}{' (dirty)' if dirty else ''}" if commit else "not a git checkout"
    generated = f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by pv {__version__}, {where}."
    out = Path(args.html)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(to_json(result.statuses), title=args.title, generated=generated), encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"pv report: cannot write {out}: {exc.strerror}\n")
        return exitcodes.NOTHING_CHECKED
    over = sum(cs.overclaims for cs in result.statuses)
    sys.stdout.write(f"pv report: wrote {out} ({len(result.statuses)} contract(s), {over} overclaiming)\n")
    return exitcodes.OK
