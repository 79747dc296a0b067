"""pv lint's gates: one module each (protocol in pv.lint's docstring).

``GATES`` is the one list of them, written out in run order (each module's ORDER agrees; a test
holds every module of this folder to being listed): a gate file that is not listed never runs, and
a listed one that is missing fails loudly instead of being skipped.
"""

GATES: tuple[str, ...] = (
    "schema",
    "references",
    "test_binding",
    "markers",
    "consistency",
    "version_bump",
    "evidence",
    "status",
)
