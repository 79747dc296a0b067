"""``pv lint [PATH...]``: run the gates (schema, references, test-binding, markers, ...) (docs/lint.md)."""

from __future__ import annotations

import argparse

HELP = ("run the lint gates: schema, references, test-binding, markers, consistency, version-bump, "
        "evidence, status (exit 0/1/2)")
FORMATS = ("text", "json", "github", "sarif", "junit")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="contract files, directories or globs; default: [tool.pv] contracts, else contracts/")
    parser.add_argument("--strict-test-binding", action="store_true",
                        help="every falsifier must cite something; undecidable references are errors; "
                             "zero test references exits 2")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    from pv.commands.validate import add_unknown_keys_argument

    add_unknown_keys_argument(parser)
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--baseline", metavar="FILE", help="only findings not recorded in FILE fail the run")
    parser.add_argument("--update-baseline", action="store_true",
                        help="rewrite --baseline FILE from the current findings (it may only shrink)")
    parser.add_argument("--force", action="store_true", help="with --update-baseline: allow the baseline to grow")
    parser.add_argument("--collect", action="store_true",
                        help="also run pytest's real collection (subprocess) and report disagreements")
    parser.add_argument("--base", metavar="REF",
                        help="git revision the version-bump gate compares against "
                             "(default: [tool.pv] diff_base, else merge-base with origin/main, else HEAD)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the .pv/cache/ index")
    parser.add_argument("-q", "--quiet", action="store_true", help="text format: gate table and result only")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="color text output (default: auto, on a terminal)")


def run(args: argparse.Namespace) -> int:
    import gc

    # A lint run allocates many small objects that all live until it ends; the cyclic collector
    # would rescan them over and over (a third of a cold run on 1,000 contracts). Off for the run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if was_enabled:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes
    from pv.commands.setup import config_for

    err = sys.stderr.write
    if args.update_baseline and not args.baseline:
        err("pv lint: --update-baseline needs --baseline FILE\n")
        return exitcodes.NOTHING_CHECKED
    if args.force and not args.update_baseline:
        err("pv lint: --force only applies to --update-baseline\n")
        return exitcodes.NOTHING_CHECKED
    config = config_for("lint")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    from pv.commands.validate import apply_unknown_keys

    apply_unknown_keys(args, config)
    paths = config.contract_paths(args.paths)

    from pv.lint.runcache import RunCache

    cache = RunCache.for_args(args, config, paths)
    if cache is not None:
        replayed = cache.replay(sys.stdout)
        if replayed is not None:
            return replayed
    return _run_fresh(args, config, paths, cache)


def _run_fresh(args: argparse.Namespace, config, paths: list[str], cache) -> int:  # type: ignore[no-untyped-def]
    import io
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.baseline import BaselineError, load_baseline, update_baseline
    from pv.lint.engine import lint
    from pv.lint.framework import LintOptions
    from pv.report import RunSummary, render
    from pv.report.lint_table import write_text
    from pv.testindex.pyconfig import PytestConfigError

    err = sys.stderr.write
    baseline = None
    if args.baseline and not args.update_baseline:
        try:
            baseline = load_baseline(Path(args.baseline))
        except BaselineError as exc:
            err(f"pv lint: {exc}\n")
            return exitcodes.NOTHING_CHECKED
    from pv.testindex.prefetch import join, start

    # The index is built on the second core while this process imports the schema and validates.
    prefetch = start(config.root) if not args.no_cache else None
    options = LintOptions(strict=args.strict, strict_test_binding=args.strict_test_binding, collect=args.collect,
                          use_cache=not args.no_cache, explicit_paths=bool(args.paths), base=args.base)
    try:
        result, ctx = lint(paths, config, options, baseline, prefetch)
    except PytestConfigError as exc:
        err(f"pv lint: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    finally:
        join(prefetch)
    if args.update_baseline:
        written, message = update_baseline(Path(args.baseline), result.diagnostics, force=args.force)
        err(f"pv lint: {message}\n")
        if not written:
            return exitcodes.NOTHING_CHECKED
        # Report the run as CI will see it from now on: against the baseline just written.
        result, ctx = lint(paths, config, options, load_baseline(Path(args.baseline)))
    validation = ctx.validation
    diags = result.diagnostics
    if validation.nothing_checked or validation.usage_problems or result.vacuous:
        code = exitcodes.NOTHING_CHECKED
    elif result.failed:
        code = exitcodes.FINDINGS
    else:
        code = exitcodes.OK
    extra_lines = []
    if result.suppressed:
        extra_lines.append(f"{result.suppressed} finding(s) suppressed by [tool.pv] suppress")
    if result.baselined:
        extra_lines.append(f"{result.baselined} finding(s) in baseline {args.baseline}")
    buffer = io.StringIO()
    if args.format == "text":
        color = {"auto": sys.stdout.isatty(), "always": True, "never": False}[args.color]
        write_text(result, buffer if not color else sys.stdout, color=color, quiet=args.quiet, extra=extra_lines)
    else:
        summary = RunSummary(command="lint", files_checked=validation.files_checked,
                             contracts=len(validation.contracts), suppressed=result.suppressed, exit_code=code,
                             extra={"gates": [g.to_json() for g in result.gates], "result": result.result_line(),
                                    "baselined": result.baselined})
        render(diags, args.format, buffer, summary)
    output = buffer.getvalue()
    sys.stdout.write(output)
    if code == exitcodes.NOTHING_CHECKED and args.format == "text":
        err("pv lint: nothing was measured (no contract, or no test reference under --strict-test-binding); exit 2\n")
    if cache is not None and not args.update_baseline:
        cache.store(ctx, output, code)
    return code
