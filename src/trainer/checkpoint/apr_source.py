"""APR files as a CheckpointReader, on top of the one APR parser in ``checkpoint.apr``.

No second parser: the header, metadata, index and CRC are validated by
``read_apr_index`` (every size and offset checked before allocation), tensors
come from ``load_apr``. This adapter only adds the init-path view: HF tensor
names (aprender's GGUF-named Llama files are renamed), the family stamp, the
architecture, and the tokenizer aprender embeds in the metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.checkpoint.gguf import hf_name
from trainer.checkpoint.source import TensorInfo
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_004

if TYPE_CHECKING:
    import torch

    from trainer.config import ModelConfig


class AprReader:
    """An APR v2 checkpoint (validated on open, CRC included); tensors loaded on first use."""

    format = "apr"

    def __init__(self, path: Path, *, verify_crc: bool = True):
        from trainer.checkpoint.apr import read_apr_index

        self.path = Path(path)
        index = read_apr_index(self.path, verify_crc=verify_crc)
        self.header = index.header
        self._meta: dict[str, Any] = dict(index.metadata)
        self._stored: dict[str, str] = {}
        self._tensors: dict[str, TensorInfo] = {}
        for e in index.entries:
            hf = hf_name(e.name)
            self._stored[hf] = e.name
            self._tensors[hf] = TensorInfo(hf, e.shape, e.dtype.name, e.name, e.size)
        self._loaded: dict[str, torch.Tensor] | None = None

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._meta

    @property
    def tensors(self) -> Mapping[str, TensorInfo]:
        return self._tensors

    def declared_family(self) -> tuple[str | None, list[str], str]:
        for key in ("architecture", "hf_model_type", "model_type"):
            value = self._meta.get(key)
            if isinstance(value, str) and value and value != "custom":
                archs = [self._meta["hf_architecture"]] if isinstance(self._meta.get("hf_architecture"), str) else []
                return value, archs, f"{self.path} metadata {key!r}"
        return None, [], f"{self.path} metadata (no 'architecture' key)"

    def model_config(self, name: str) -> ModelConfig:
        """Canonical keys (alias fallback) via checkpoint.arch.from_apr_metadata.

        apr-format.md §1.7: aprender drops ``lm_head.weight`` for tied models and
        readers fall back to the embedding, so a file without ``lm_head.weight``
        and without a ``tied_embeddings`` key is read as tied.
        """
        from trainer.checkpoint.arch import config_from_apr_metadata

        meta = dict(self._meta)
        meta.setdefault("name", name)
        if "tied_embeddings" not in meta and "lm_head.weight" not in self._tensors:
            meta["tied_embeddings"] = True
        if "attention_bias" not in meta:
            meta["attention_bias"] = "model.layers.0.self_attn.q_proj.bias" in self._tensors
        return config_from_apr_metadata(meta, path=self.path)

    def load_tensor(self, name: str) -> torch.Tensor:
        import torch

        if self._loaded is None:
            from trainer.checkpoint.apr import load_apr

            # The CRC was verified on open; don't read the whole file twice.
            self._loaded = load_apr(self.path, verify_crc=False).tensors
        t = self._loaded[self._stored[name]]
        return t if t.dtype == torch.float32 else t.to(torch.float32)

    def release(self) -> None:
        """Drop the loaded tensors once the model holds its own copy."""
        self._loaded = None

    def tokenizer_json(self) -> str | None:
        from trainer.checkpoint.bounded_json import show_value, type_name
        from trainer.checkpoint.bpe_json import build_bpe_tokenizer_json, check_tokenizer_json
        from trainer.checkpoint.init_errors import InitError

        embedded = self._meta.get("tokenizer.json")
        if embedded is not None:
            check_tokenizer_json(embedded, f"{self.path} metadata 'tokenizer.json'")
            return embedded
        vocab = self._meta.get("tokenizer.vocabulary")
        if vocab is None:
            return None
        if not isinstance(vocab, list):
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: metadata field 'tokenizer.vocabulary' is {type_name(vocab)} ({show_value(vocab)}); "
                "expected an array of token strings",
                fix="the embedded tokenizer is corrupt; pass --tokenizer DIR with the model's original tokenizer.json",
            )
        return build_bpe_tokenizer_json(
            vocab,
            self._meta.get("tokenizer.merges", []),
            self._meta.get("tokenizer.token_type"),
            str(self._meta.get("tokenizer.pre_type", "default")),
            source=str(self.path),
        )
