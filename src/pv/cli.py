"""The ``pv`` command line: a thin dispatcher over ``pv.commands.<name>``.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Command modules import only argparse-level things at
module scope and pull in pydantic/rich/jsonschema inside ``run``, which keeps
``pv --help`` and ``pv --version`` under 150 ms (bench/bench_startup.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pv import __version__, exitcodes

# The one list of commands, written out; its order is the order shown in --help.
COMMANDS: tuple[str, ...] = (
    "validate",
    "lint",
    "schema",
    "run",
    "falsify",
    "status",
    "report",
    "evidence",
    "diff",
    "graph",
    "audit",
    "coverage",
    "scaffold",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors, which is already pv's 'used wrongly' code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"pv: error: {message}\n")
        raise SystemExit(exitcodes.NOTHING_CHECKED)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pv",
        description="Prove that YAML contracts are honest: schema, test bindings, status from evidence.",
    )
    parser.add_argument("--version", action="version", version=f"pv {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"pv.commands.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show tracebacks for unexpected errors")
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arg_list = list(sys.argv[1:] if argv is None else argv)
    if arg_list == ["--version"]:  # answer before importing any command module
        sys.stdout.write(f"pv {__version__}\n")
        return exitcodes.OK
    parser = build_parser()
    args = parser.parse_args(arg_list)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return exitcodes.NOTHING_CHECKED
    if getattr(args, "debug", False):
        import os

        os.environ["PV_DEBUG"] = "1"  # per-file error nets (pv.validate) re-raise instead of reporting
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        sys.stderr.write("pv: interrupted\n")
        return 130
    except BrokenPipeError:
        return exitcodes.OK
    except Exception as exc:  # the one place a crash becomes a one-line error
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"pv: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)\n")
        return exitcodes.NOTHING_CHECKED
