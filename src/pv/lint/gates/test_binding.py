"""Gate 3, test-binding: every cited test exists as pytest would collect it (the heart of pv lint)."""

from __future__ import annotations

import contextlib
import sys

from pv.binding import codes
from pv.diagnostics import Diagnostic, Severity
from pv.lint.framework import GateOutcome, LintContext

NAME = "test-binding"
ORDER = 30
DESCRIPTION = "every cited test exists as pytest would collect it; bound tests can fail and are not skipped"


def _spinner(text: str) -> contextlib.AbstractContextManager[object]:
    """A rich spinner on a terminal while pytest collects (it can take a while); nothing otherwise."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(text)


def run(ctx: LintContext) -> GateOutcome:
    if not ctx.validation.contracts:
        return GateOutcome(summary="no contract loaded", vacuous_is_error=ctx.options.strict_test_binding)
    index = ctx.index()
    diags: list[Diagnostic] = []
    if ctx.options.collect:
        from pv.testindex.collect import compare, run_collection

        with _spinner(f"pytest --collect-only in {index.root} (--collect) ..."):
            collection = run_collection(index)
        diags.extend(collection.diagnostics)
        if collection.node_ids is not None:
            ctx.resolver().attach_collection(collection.node_ids)
            diags.extend(compare(index, collection.node_ids))
    report = ctx.binding()
    resolver = ctx.resolver()
    fallback = None
    if ctx.options.strict_test_binding and not ctx.options.collect and resolver.undecided:
        # The exact fallback: pytest's real collection of just the files static analysis cannot decide.
        from pv.testindex.collect import collect_files

        with _spinner(f"pytest --collect-only on {len(resolver.undecided)} files static analysis cannot decide"):
            fallback = collect_files(index, resolver.undecided, use_cache=ctx.options.use_cache)
        diags.extend(fallback.diagnostics)
        resolver.attach_files(fallback.node_ids, fallback.errors)
        report = ctx.rebind()
    diags.extend(report.diagnostics)
    measured = report.test_references if ctx.options.strict_test_binding else report.references
    if ctx.options.strict_test_binding and report.test_references == 0:
        first = ctx.validation.contracts[0].path
        diags.append(Diagnostic(codes.NOTHING_TO_CHECK, Severity.ERROR,
                                f"--strict-test-binding: {report.references} references, none of them cites a test",
                                first, 1, 1, hint="bind at least one falsifier to a pytest node ID"))
    index_note = (f"index: {index.stats.files} test files, {index.stats.functions} tests"
                  f"{', cached' if index.stats.cache_misses == 0 and index.stats.files else ''}")
    counts = report.counts()
    by_code: dict[str, int] = {}
    for diag in report.diagnostics:
        by_code[diag.code] = by_code.get(diag.code, 0) + 1
    counts["deselected"] = by_code.get(codes.DESELECTED, 0)
    counts["cannot_fail"] = by_code.get(codes.CANNOT_FAIL, 0)
    counts["undecidable"] = sum(by_code.get(c, 0) for c in (codes.PARAM_UNDECIDABLE, codes.CLASS_UNDECIDABLE,
                                                             codes.UNDECIDABLE))
    counts["collected_files"] = len(fallback.reasons) if fallback else 0
    if fallback:
        counts["collected_ran"] = fallback.ran
        reasons: dict[str, int] = {}
        for why in fallback.reasons.values():
            kind = why.split(":")[0][:80]
            reasons[kind] = reasons.get(kind, 0) + 1
        counts["collected_reasons"] = reasons
        index_note += (f"; {len(fallback.reasons)} files decided by pytest --collect-only"
                       f" ({fallback.ran} run now, the rest cached)")
    extra = [f"{counts[k]} {label}" for k, label in (("undecidable", "undecidable"), ("deselected", "deselected"),
                                                      ("cannot_fail", "cannot fail")) if counts[k]]
    if extra:
        index_note += "; " + ", ".join(extra)
    counts["index"] = {"files": index.stats.files, "tests": index.stats.functions, "items": index.stats.items,
                       "cache_hits": index.stats.cache_hits, "cache_misses": index.stats.cache_misses}
    return GateOutcome(
        diagnostics=diags,
        measured=measured,
        summary=f"{report.summary()}; {index_note}" if measured else f"no test reference ({report.summary()})",
        counts=counts,
        vacuous_is_error=ctx.options.strict_test_binding,
    )
