"""``pv schema``: print the JSON Schema generated from the contract models (docs/schema.md)."""

from __future__ import annotations

import argparse

HELP = "print the JSON Schema of contracts (the same file is committed at src/pv/schema/contract.schema.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of stdout")
    parser.add_argument("--check", metavar="FILE", nargs="?", const="", default=None,
                        help="exit 1 if FILE (default: the packaged copy) differs from the generated schema")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.model.jsonschema import schema_text

    text = schema_text()
    if args.check is not None:
        target = Path(args.check) if args.check else Path(__file__).resolve().parent.parent / "schema" / \
            "contract.schema.json"
        try:
            current = target.read_text(encoding="utf-8")
        except OSError as exc:
            sys.stderr.write(f"pv schema: cannot read {target}: {exc.strerror or exc}\n")
            return exitcodes.NOTHING_CHECKED
        if current != text:
            sys.stderr.write(f"pv schema: {target} is out of date; regenerate it with `pv schema -o {target}`\n")
            return exitcodes.FINDINGS
        sys.stdout.write(f"pv schema: {target} is up to date\n")
        return exitcodes.OK
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        return exitcodes.OK
    sys.stdout.write(text)
    return exitcodes.OK
