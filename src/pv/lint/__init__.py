"""``pv lint``: named gates run in a fixed order, each PASS / FAIL / SKIP with counts and time.

Adding a gate (the protocol)
----------------------------
A gate is a module in ``pv/lint/gates/``, listed in ``GATES`` in that package's
``__init__.py`` (one written-out list, in run order, as yamllint lists its rules). It defines::

    NAME: str = "my-gate"        # shown in the table, used by --format json/junit
    ORDER: int = 50              # position; built-ins use 10 schema, 20 references,
                                 # 30 test-binding, 40 markers; leave gaps
    DESCRIPTION: str = "..."     # one line for docs and --help

    def run(ctx: pv.lint.framework.LintContext) -> pv.lint.framework.GateOutcome: ...

``run`` returns ``GateOutcome(diagnostics, measured, summary, counts)``:

- ``diagnostics``: raw findings (pv.diagnostics.Diagnostic). The framework
  applies [tool.pv] severity overrides, suppressions, ``--strict`` and
  ``--baseline`` to them, then decides the verdict: FAIL when any finding is
  left at error level, else PASS.
- ``measured``: how many things the gate judged. Zero means the gate measured
  nothing, which is never a PASS: it shows as SKIP with ``summary`` as the
  reason, and when ``vacuous_is_error`` is set (e.g. ``--strict-test-binding``
  with no test reference) the whole run exits 2.
- ``skip_reason``: set it to skip on purpose (shown as SKIP, never counted as passed).

Shared, lazily computed inputs live on the context: ``ctx.validation`` (the
``pv.validate.ValidationRun`` of the contracts), ``ctx.index()`` (the static
test index), ``ctx.binding()`` (the test-binding report), ``ctx.status_facts()``
and ``ctx.evidence_book()`` (status and evidence). A gate must not
import other gates; it reads what it needs from ``ctx``. Gates register their
codes in ``pv.rules`` so SARIF, docs and severity overrides know them.
"""
