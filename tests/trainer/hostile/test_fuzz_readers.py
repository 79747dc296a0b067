"""Bounded hypothesis fuzz of every checkpoint reader through `apr inspect` (issue #15).

Formats: config.json, model.safetensors.index.json, APR (metadata, header
fields, byte damage), GGUF (key/values of any declared type, tensor-info lies,
count lies, byte damage), safetensors headers. Every drawn case runs in the
measuring worker subprocess and must pass ``check_reply``: a documented exit
code, no "internal error", no traceback, < 5 s, < 500 MB peak RSS. CI draws a
few dozen per format (derandomized, so a CI failure reproduces); the long run
is bench/fuzz_trainer.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from fuzz_strategies import KINDS, build, check_reply, inspect_argv
from hypothesis import HealthCheck, given, settings

EXAMPLES = {"config.json": 40, "index.json": 20, "apr": 50, "gguf": 50, "safetensors": 30}


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fuzzed_checkpoints_are_refused_or_read_never_crash(kind: str, pool) -> None:
    seen: list[int] = []

    @settings(max_examples=EXAMPLES[kind], deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(KINDS[kind])
    def one(spec) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = build(kind, spec, Path(d))
            reply = pool.run(inspect_argv(path))
            check_reply(reply, f"{kind} {spec!r}"[:300])
            seen.append(reply["rc"])

    one()
    assert len(seen) >= EXAMPLES[kind] // 2  # the strategy really ran cases
    assert 3 in seen  # and some of them were hostile enough to be refused
