"""``pv validate PATH...``: strict schema, IDs and versions for contracts (docs/validate.md)."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "check contracts against the strict schema: keys, types, IDs, versions (exit 0/1/2)"
FORMATS = ("text", "json", "github", "sarif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories (recursive) or globs; default: [tool.pv] contracts")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--max-file-bytes", type=_positive_int, default=None, metavar="N",
                        help="refuse files larger than N bytes (default: [tool.pv] max_file_bytes, else 4 MiB)")
    add_unknown_keys_argument(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="text format: print only the summary line")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="color text output (default: auto, on a terminal)")


def add_unknown_keys_argument(parser: argparse.ArgumentParser) -> None:
    """``--unknown-keys=warn|error``, shared by every command that validates contracts."""
    parser.add_argument("--unknown-keys", choices=("error", "warn"), default=None,
                        help="report unknown keys (PV-SCH-001) as errors or as warnings, e.g. while a registry "
                             "migrates (default: [tool.pv] unknown-keys, else error)")


def apply_unknown_keys(args: argparse.Namespace, config: Any) -> None:
    """The flag, when given, overrides [tool.pv] unknown-keys."""
    if getattr(args, "unknown_keys", None) is not None:
        config.unknown_keys = args.unknown_keys


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of bytes")
    return value


def run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes
    from pv.commands.setup import config_for
    from pv.policy import apply_policy
    from pv.report import RunSummary, render
    from pv.validate import validate_paths

    config = config_for("validate")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    if args.max_file_bytes is not None:
        config.max_file_bytes = args.max_file_bytes
    apply_unknown_keys(args, config)
    paths = config.contract_paths(args.paths)
    result = validate_paths(paths, config)
    policy = apply_policy(result.diagnostics, config)
    code = result.exit_code(policy.kept)
    summary = RunSummary(command="validate", files_checked=result.files_checked,
                         contracts=len(result.contracts) + len(result.bindings),
                         suppressed=len(policy.suppressed), exit_code=code)
    color = {"auto": None, "always": True, "never": False}[args.color]
    render(policy.kept, args.format, sys.stdout, summary, color=color, quiet=args.quiet)
    if result.nothing_checked and args.format == "text":
        sys.stderr.write("pv validate: nothing was checked (no contract found); exit 2\n")
    return code
