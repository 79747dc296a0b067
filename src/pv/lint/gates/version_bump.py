"""Gate ``version-bump``: a contract whose content changed against the base revision has a bump and changelog.

The base is ``--base REF`` (``ctx.options.base``), else ``[tool.pv] diff_base``, else the
merge-base of HEAD and origin/main if that branch exists, else HEAD (pv.analysis.gitrev). No git repository, an
unknown revision, or only new files: SKIP with the reason, never PASS.
"""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "version-bump"
ORDER = 70
DESCRIPTION = "content changed against the base revision needs a semver bump and a changelog entry"


def run(ctx: LintContext) -> GateOutcome:
    from pv.analysis.bump import check_version_bumps

    base = ctx.options.base or ctx.config.extra.get("diff_base")
    result = check_version_bumps(ctx.validation.contracts, ctx.root, base)
    counts = {"compared": result.compared, "changed": result.changed, "not_compared": len(result.not_compared),
              "base": result.base or ""}
    if result.skip_reason is not None:
        return GateOutcome(measured=0, summary=result.skip_reason, counts=counts, skip_reason=result.skip_reason)
    new = f", {len(result.not_compared)} not in the base (new)" if result.not_compared else ""
    return GateOutcome(
        diagnostics=result.diagnostics,
        measured=result.compared,
        summary=f"{result.compared} compared with {result.base_how} ({result.base[:12] if result.base else '?'}), "
                f"{result.changed} changed{new}",
        counts=counts,
    )
