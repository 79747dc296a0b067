"""``pv graph [PATH...]``: the depends_on / parent / peer graph, cycles and topological order.

Exit codes: 0 no dependency cycle; 1 a cycle (each printed to stderr as a
PV-GRAPH-001 finding with its path); 2 nothing to graph (no contract found,
a missing path) or wrong usage.
"""

from __future__ import annotations

import argparse

HELP = "Show the contract dependency graph (text, dot, mermaid, json) with cycles and topological order."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs (default: [tool.pv] contracts)")
    parser.add_argument("--format", choices=("text", "dot", "mermaid", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes
    from pv.analysis.graph import build_graph, cycle_diagnostics, render
    from pv.commands.setup import contracts_for

    loaded = contracts_for("graph", args.paths, "graph")
    if loaded is None:
        return exitcodes.NOTHING_CHECKED
    run_, _ = loaded
    graph = build_graph(run_.contracts)
    sys.stdout.write(render(graph, args.format))
    cycles = cycle_diagnostics(graph)
    for diag in cycles:
        sys.stderr.write(diag.render() + "\n")
    return exitcodes.FINDINGS if cycles else exitcodes.OK
