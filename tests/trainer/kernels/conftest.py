"""Kernel tests run the Triton kernels on the GPU when there is one, else in Triton's CPU interpreter.

TRITON_INTERPRET must be set before triton is imported (Triton decorates its
own ``tl`` helpers at import, and torch imports triton as soon as an optimizer
is built). Collection imports no triton, so setting it here, when pytest loads
this conftest during collection, is early enough; if something imported triton
earlier the session stops with the fix instead of failing every kernel test.
"""

from __future__ import annotations

import os
import sys

import pytest
from kernel_helpers import DEVICE

if DEVICE == "cpu" and os.environ.get("TRITON_INTERPRET") != "1":
    if "triton" in sys.modules:
        raise pytest.UsageError("triton was imported before the kernel tests could set TRITON_INTERPRET=1: "
                                "run them with TRITON_INTERPRET=1 in the environment")
    os.environ["TRITON_INTERPRET"] = "1"
