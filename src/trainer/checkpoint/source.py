"""What every checkpoint reader (APR, Hugging Face dir, GGUF) hands to the init path.

A reader parses and bounds-checks the whole file layout up front, then exposes
the tensor table (Hugging Face names, shapes, stored dtype) and the raw
architecture fields *without loading any tensor data*. Tensors are
materialised one at a time, as fp32, only when the model is populated, so every
refusal (bad magic, truncated file, bogus metadata, encoder, family mismatch)
happens before a byte of weights or a model is allocated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch

    from trainer.config import ModelConfig


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the file declares it; ``name`` is the Hugging Face name."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    stored_name: str
    nbytes: int


class CheckpointReader(Protocol):
    """The read side shared by `--init`, `apr generate`, `apr convert` and `apr inspect`."""

    format: str
    path: Path

    @property
    def metadata(self) -> Mapping[str, Any]: ...

    @property
    def tensors(self) -> Mapping[str, TensorInfo]: ...

    def declared_family(self) -> tuple[str | None, list[str], str]:
        """(family as stamped in the metadata, HF architectures list, where it was read)."""
        ...

    def model_config(self, name: str) -> ModelConfig:
        """The architecture the file describes; InitError(FALSIFY-APR-PRETRAIN-INIT-005) if it cannot."""
        ...

    def load_tensor(self, name: str) -> torch.Tensor: ...

    def tokenizer_json(self) -> str | None: ...
