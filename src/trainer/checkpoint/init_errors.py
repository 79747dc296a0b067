"""The falsifier IDs of the `--init` path and the one error type its readers raise.

Every refusal on the init path names the falsifier a user can grep in
contracts/apr-pretrain-from-init-v1.yaml or apr-pretrain-arch-polymorphic-v1.yaml,
so the message, the contract and the test that pins it share one ID. All of them
are raised before any model is allocated (exit 3, like every preflight refusal),
except population errors, which by definition need the built model.
"""

from __future__ import annotations

from trainer.errors import PreflightError

INIT_MISSING = "FALSIFY-APR-PRETRAIN-INIT-003"
"""Step 1: the path does not exist."""
INIT_FORMAT = "FALSIFY-APR-PRETRAIN-INIT-004"
"""Step 2: bad magic, empty, truncated, or a size/offset pointing outside the file."""
INIT_ARCH = "FALSIFY-APR-PRETRAIN-INIT-005"
"""Steps 3-4: the metadata does not describe a supported decoder architecture."""
INIT_POPULATION = "FALSIFY-APR-PRETRAIN-INIT-011"
"""Step 8: a parameter without exactly one tensor of the right shape, or an unexpected tensor."""
INIT_PICKLE = "FALSIFY-APR-PRETRAIN-INIT-012"
"""Pickle-based checkpoints (.bin/.pt/.pth/.ckpt) are refused, never unpickled."""
ARCH_ENCODER = "FALSIFY-APR-PRETRAIN-ARCH-007"
"""Step 5: encoder families (BERT & co.) cannot initialise a causal decoder."""
ARCH_FAMILY = "FALSIFY-INIT-ARCH-MATCH-001"
"""Step 6: the metadata family disagrees with the family the tensor names show."""


class InitError(PreflightError):
    """A refusal on the init path: one line naming the falsifier, the file and the fix."""


def show_bytes(data: bytes) -> str:
    """Render magic bytes as hex plus printable text, e.g. ``47 47 55 46 ('GGUF')``."""
    if not data:
        return "nothing (0 bytes)"
    hexed = " ".join(f"{b:02x}" for b in data)
    return f"{hexed} ({data!r})"
