"""The code the test index emits itself (pytest's own collection failing), beside the index.

Binding's other PV-BIND codes judge citations against the index and live in pv.binding.codes;
this one is raised while building the index, so it lives here and binding imports it.
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E = Severity.ERROR

COLLECT_FAILED = register("PV-BIND-026", E, "pytest collection failed",
    "`--collect` ran `pytest --collect-only` and it reported errors; fix them (the message quotes "
    "pytest).").code
