"""The falsifier IDs of the `--init` path and the one error type its readers raise.

Every refusal on the init path names the falsifier a user can grep in
contracts/apr-pretrain-from-init-v1.yaml or apr-pretrain-arch-polymorphic-v1.yaml,
so the message, the contract and the test that pins it share one ID. All of them
are raised before any model is allocated (exit 3, like every preflight refusal),
except population errors, which by definition need the built model.
"""

from __future__ import annotations

from trainer.errors import PreflightError


class InitError(PreflightError):
    """A refusal on the init path: one line naming the falsifier, the file and the fix."""


def show_bytes(data: bytes) -> str:
    """Render magic bytes as hex plus printable text, e.g. ``47 47 55 46 ('GGUF')``."""
    if not data:
        return "nothing (0 bytes)"
    hexed = " ".join(f"{b:02x}" for b in data)
    return f"{hexed} ({data!r})"
