"""Suite-wide pytest settings shared by tests/pv and tests/trainer.

Hypothesis runs derandomized by default: the same examples on every machine, so a red CI run
reproduces and a green one is not luck. ``HYPOTHESIS_PROFILE=explore`` draws fresh examples (and
keeps a database) to hunt for new failures on purpose; bench/fuzz_pv.py and bench/fuzz_trainer.py
are the long runs.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
