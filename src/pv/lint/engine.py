"""Run every gate over a set of contracts and apply policy, strictness and the baseline.

Order of application for each gate's raw findings: [tool.pv] per-rule
severity, then suppressions (a suppression that matched nothing across all
gates becomes a PV-LINT-001 warning), then ``--strict`` (warnings become
errors), then the baseline (known fingerprints stop counting). The verdict is
decided last, from what is left.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pv.baseline import Baseline, apply_baseline
from pv.config import PvConfig, Suppression
from pv.diagnostics import Diagnostic, Severity
from pv.lint import codes as lint_codes
from pv.lint.framework import (
    GateOutcome,
    GateResult,
    LintContext,
    LintOptions,
    LintRun,
    decide,
    discover_gates,
    timed,
)


def _suppression_position(config: PvConfig, s: Suppression) -> tuple[str, int, int]:
    source = config.source
    if source is None:
        return "pyproject.toml", 1, 1
    shown = source.name
    with contextlib.suppress(ValueError):
        shown = source.relative_to(config.root).as_posix()
    needle = s.fingerprint or s.rule or s.file or ""
    try:
        for number, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            at = text.find(f'"{needle}"')
            if at < 0:
                at = text.find(f"'{needle}'")
            if at >= 0:
                return shown, number, at + 1
    except (OSError, UnicodeDecodeError):
        pass
    return shown, 1, 1


def is_full_set(paths: Sequence[str], config: PvConfig) -> bool:
    """True when the paths given are exactly the configured contract directories."""
    given = {Path(p).resolve() for p in paths}
    configured = {(config.root / c).resolve() for c in config.contracts}
    return given == configured


def lint(
    paths: Sequence[str],
    config: PvConfig,
    options: LintOptions,
    baseline: Baseline | None = None,
    prefetch: int | None = None,
) -> tuple[LintRun, LintContext]:
    """Run every gate. ``prefetch``: a child already building the index (pv.testindex.prefetch.start)."""
    from pv.policy import apply_policy, escalate
    from pv.testindex.prefetch import start
    from pv.validate import validate_paths

    if prefetch is None and options.use_cache:
        prefetch = start(config.root)  # the index is built on the other core meanwhile
    started = time.perf_counter()
    validation = validate_paths(list(paths), config)
    ctx = LintContext(paths=list(paths), config=config, options=options, validation=validation,
                      validate_ms=(time.perf_counter() - started) * 1000, full_set=is_full_set(paths, config),
                      index_prefetch=prefetch)
    raw: list[tuple[str, int, GateOutcome, float]] = []
    try:
        for gate in discover_gates():
            outcome, ms = timed(gate, ctx)
            raw.append((gate.name, gate.order, outcome, ms))
    finally:
        ctx.join_prefetch()  # never leave the prefetch child behind

    used: set[int] = set()  # id() of every suppression that matched something, in any gate
    suppressed = 0
    baselined = 0
    results: list[GateResult] = []
    prepared: list[tuple[str, int, GateOutcome, float, list[Diagnostic]]] = []
    for name, order, outcome, ms in raw:
        policy = apply_policy(outcome.diagnostics, config)  # the same severity/suppression rules as pv validate
        used.update(id(s) for _, s in policy.suppressed)
        suppressed += len(policy.suppressed)
        kept = [replace(d, data={**d.data, "gate": name}) for d in policy.kept]
        prepared.append((name, order, outcome, ms, kept))
    first_gate = prepared[0][0] if prepared else "schema"
    stale = []
    for s in config.suppress:
        if id(s) not in used:
            path, line, col = _suppression_position(config, s)
            stale.append(Diagnostic(lint_codes.STALE_SUPPRESSION, Severity.WARNING,
                                    f"{s.describe()} matches no finding", path, line, col,
                                    hint="delete this suppression", data={"gate": first_gate}))
    if stale and prepared:
        prepared[0][4].extend(stale)
    for name, order, outcome, ms, kept in prepared:
        if options.strict:
            kept = escalate(kept)
        if baseline is not None:
            kept, absorbed = apply_baseline(kept, baseline)
            baselined += len(absorbed)
        verdict, vacuous = decide(outcome, kept)
        summary = outcome.skip_reason if outcome.skip_reason else outcome.summary
        results.append(GateResult(name, order, verdict, summary, ms, sorted(kept, key=Diagnostic.sort_key),
                                  counts=outcome.counts, vacuous=vacuous))
    return LintRun(results, suppressed=suppressed, baselined=baselined, stale_suppressions=stale), ctx
