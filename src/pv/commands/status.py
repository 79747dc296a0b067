"""``pv status [PATH...]``: each contract's status computed from recorded runs and evidence (docs/status.md)."""

from __future__ import annotations

import argparse

HELP = "compute each contract's status from recorded test runs and verified evidence packs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs; default: [tool.pv] contracts")
    parser.add_argument("-v", "--verbose", action="store_true", help="also show a row per falsifier")
    parser.add_argument("-f", "--format", choices=("text", "json", "markdown"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--ledger", metavar="PATH", help="results ledger (default: .pv/results.json under the root)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="color text output (default: auto, on a terminal)")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from pv import exitcodes
    from pv.commands.setup import project_for
    from pv.status.export import to_json
    from pv.status.render import render_markdown, render_text

    result = project_for("status", args.paths, args.ledger)
    if result is None:
        return exitcodes.NOTHING_CHECKED
    if args.format == "json":
        # json.dumps without indent runs the C encoder (json.dump never does): ~10x faster on a
        # thousand contracts. Pipe through `jq` to read it.
        sys.stdout.write(json.dumps(to_json(result.statuses), separators=(",", ":")))
        sys.stdout.write("\n")
    elif args.format == "markdown":
        render_markdown(result.statuses, sys.stdout, verbose=args.verbose)
    else:
        color = {"auto": None, "always": True, "never": False}[args.color]
        recorded = result.ledger.results
        last = max((r.recorded_at for r in recorded.values()), default="")
        note = (f"results ledger {result.ledger_path}: {len(recorded)} recorded outcome(s), last run {last}"
                if recorded else f"results ledger {result.ledger_path}: nothing recorded yet (run `pv run`)")
        render_text(result.statuses, sys.stdout, verbose=args.verbose, color=color, ledger_note=note)
    return exitcodes.FINDINGS if any(cs.overclaims for cs in result.statuses) else exitcodes.OK
