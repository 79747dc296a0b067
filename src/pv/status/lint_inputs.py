"""Status facts and the evidence book for ``pv lint``'s status and evidence gates, computed once per run.

Both gates read the same facts and verify each cited pack once: the results
are memoized on the lint context (``ctx.shared``), which is how gates share
work without importing each other.
"""

from __future__ import annotations

from typing import Any

from pv.checks.policy import apply_policy
from pv.status.collect import build_facts
from pv.status.facts import ContractFacts
from pv.status.ladder import EvidenceBook, checks_of


def facts_for(ctx: Any) -> list[ContractFacts]:
    """``ctx``: pv.lint.framework.LintContext."""
    def make() -> list[ContractFacts]:
        kept = apply_policy(ctx.validation.diagnostics, ctx.config).kept
        return build_facts(ctx.validation, kept, ctx.config, ctx.resolver())

    return ctx._memo("pv.status.facts", make)


def book_for(ctx: Any) -> EvidenceBook:
    return ctx._memo("pv.status.book", lambda: EvidenceBook(ctx.root, checks_of(facts_for(ctx))))
