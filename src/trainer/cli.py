"""The ``apr`` command line: a thin dispatcher over ``trainer.commands.<name>``.

Each command module exposes ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``, and imports torch only inside ``run`` so ``apr --help``
stays instant. Errors a user can fix are raised as ``trainer.errors.AprError``
and printed as one line naming the gate/falsifier ID and the fix.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from trainer import __version__

COMMANDS: tuple[str, ...] = ("pretrain", "tokenize", "demo", "generate", "convert", "inspect")

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"apr: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="apr", description="Pretrain and fine-tune Llama-family decoders.")
    parser.add_argument("--version", action="version", version=f"apr {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"trainer.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"trainer.commands.{name}":
                continue
            raise
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)  # what `apr pretrain --nproc N` relaunches per rank
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        sys.stderr.write("apr: interrupted\n")
        return 130
    except Exception as exc:
        from trainer.errors import AprError

        if isinstance(exc, AprError):
            sys.stderr.write(f"apr: error: {exc}\n")
            return exc.exit_code
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"apr: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)\n")
        return EXIT_USAGE
