"""Hugging Face model directories: config.json + model.safetensors (or a sharded index).

Only safetensors are read. Pickle-based weights (pytorch_model.bin, *.pt,
*.pth, *.ckpt) are refused with a message saying how to convert them, never
unpickled: unpickling runs arbitrary code from the file.

The sharded layout is ``model.safetensors.index.json`` whose ``weight_map``
names, for every tensor, the shard file holding it. Every shard name must be a
plain file name inside the directory, every mapped tensor must be in its shard,
and every tensor in a shard must be in the map, so a stale or hostile index is
an error rather than a partial load.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.checkpoint.arch import config_from_hf_dict
from trainer.checkpoint.bounded_json import BoundedJsonError, load_bounded
from trainer.checkpoint.bpe_json import MAX_TOKENIZER_JSON, check_tokenizer_json
from trainer.checkpoint.init_errors import InitError
from trainer.checkpoint.safetensors_io import SafetensorsFile
from trainer.checkpoint.source import TensorInfo
from trainer.errors import (
    FALSIFY_APR_PRETRAIN_INIT_004,
    FALSIFY_APR_PRETRAIN_INIT_005,
    FALSIFY_APR_PRETRAIN_INIT_012,
)

if TYPE_CHECKING:
    import torch

    from trainer.config import ModelConfig

CONFIG = "config.json"
SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def refuse_pickle(path: Path) -> InitError:
    """The one message for pickle checkpoints (used for files and for directories holding only them)."""
    return InitError(
        FALSIFY_APR_PRETRAIN_INIT_012,
        f"{path}: pickle-based checkpoint refused (unpickling executes code from the file; apr never loads pickle)",
        fix="convert it to safetensors with the tool that wrote it (e.g. transformers' "
        "save_pretrained(..., safe_serialization=True)) and pass that directory",
    )


MAX_JSON_FILE = 16 * 1024 * 1024  # a config.json or index is a few KiB; 16 MiB leaves room for huge weight maps


def _read_json(path: Path, gate: str, what: str) -> Any:
    """Through the trainer's bounded reader (depth, integer length, size), as a named refusal."""
    try:
        if not path.is_file():
            raise InitError(gate, f"{path}: {what} is not a regular file", fix=f"replace {path.name} with a JSON file")
        size = path.stat().st_size
        if size > MAX_JSON_FILE:
            raise InitError(
                gate, f"{path}: {what} is {size} bytes (limit {MAX_JSON_FILE})", fix=f"repair or re-download {path.name}"
            )
        return load_bounded(path.read_bytes())
    except (OSError, BoundedJsonError) as exc:
        raise InitError(gate, f"{path}: {what} is not readable JSON: {exc}", fix=f"repair or re-download {path.name}") from None


class HFDirReader:
    """A Hugging Face checkpoint directory, validated on open."""

    format = "hf"

    def __init__(self, path: Path):
        self.path = Path(path)
        cfg_path = self.path / CONFIG
        if not cfg_path.is_file():
            if any(p.suffix in PICKLE_SUFFIXES for p in self.path.iterdir()):
                raise refuse_pickle(self.path)
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: directory has no {CONFIG}; expected a Hugging Face model directory",
                fix="pass a directory with config.json and model.safetensors, an .apr file or a .gguf file",
            )
        config = _read_json(cfg_path, FALSIFY_APR_PRETRAIN_INIT_005, CONFIG)
        if not isinstance(config, dict):
            raise InitError(FALSIFY_APR_PRETRAIN_INIT_005,
                            f"{cfg_path}: top level is not a JSON object", fix="repair config.json")
        self.config: dict[str, Any] = config
        self._files: dict[str, SafetensorsFile] = {}
        self._where: dict[str, str] = {}  # tensor name -> shard file name
        if (self.path / INDEX).is_file():
            self._open_sharded()
        elif (self.path / SINGLE).is_file():
            self._files[SINGLE] = SafetensorsFile(self.path / SINGLE)
            self._where = {name: SINGLE for name in self._files[SINGLE].entries}
        elif any(p.suffix in PICKLE_SUFFIXES for p in self.path.iterdir()):
            raise refuse_pickle(self.path)
        else:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: no {SINGLE} and no {INDEX}",
                fix="export the weights as safetensors into this directory",
            )
        self._tensors = {name: self._files[f].info(name) for name, f in sorted(self._where.items())}

    def _open_sharded(self) -> None:
        index_path = self.path / INDEX
        index = _read_json(index_path, FALSIFY_APR_PRETRAIN_INIT_004, INDEX)
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            raise InitError(FALSIFY_APR_PRETRAIN_INIT_004,
                            f"{index_path}: no 'weight_map' object", fix="re-export the checkpoint")
        for tensor, shard in weight_map.items():
            if not isinstance(shard, str) or Path(shard).name != shard or shard in ("", ".", ".."):
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{index_path}: tensor {tensor!r} maps to {shard!r}, not a file name inside the directory",
                    fix="the index must name shard files in the same directory",
                )
            if shard not in self._files:
                shard_path = self.path / shard
                if not shard_path.is_file():
                    raise InitError(
                        FALSIFY_APR_PRETRAIN_INIT_004,
                        f"{index_path}: tensor {tensor!r} maps to shard {shard!r}, which does not exist",
                        fix="copy the missing shard or re-export the checkpoint",
                    )
                self._files[shard] = SafetensorsFile(shard_path)
            if tensor not in self._files[shard].entries:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{index_path}: tensor {tensor!r} maps to {shard!r}, which does not contain it",
                    fix="the index is stale; re-export the checkpoint",
                )
            self._where[tensor] = shard
        for shard, st in self._files.items():
            for tensor in st.entries:
                if self._where.get(tensor) != shard:
                    raise InitError(
                        FALSIFY_APR_PRETRAIN_INIT_004,
                        f"{self.path / shard}: holds tensor {tensor!r} that {INDEX} does not map to it",
                        fix="the index is stale; re-export the checkpoint",
                    )

    # -- CheckpointReader --------------------------------------------------
    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.config

    @property
    def tensors(self) -> Mapping[str, TensorInfo]:
        return self._tensors

    def declared_family(self) -> tuple[str | None, list[str], str]:
        declared = self.config.get("model_type")
        archs = self.config.get("architectures") or []
        archs = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
        return (declared if isinstance(declared, str) else None), archs, f"{self.path / CONFIG} model_type"

    def model_config(self, name: str) -> ModelConfig:
        return config_from_hf_dict(self.config, path=self.path / CONFIG, name=name)

    def load_tensor(self, name: str) -> torch.Tensor:
        return self._files[self._where[name]].load(name)

    def tokenizer_json(self) -> str | None:
        tok = self.path / "tokenizer.json"
        if not tok.is_file():
            return None
        try:
            if tok.stat().st_size > MAX_TOKENIZER_JSON:
                raise InitError(FALSIFY_APR_PRETRAIN_INIT_004,
                                f"{tok}: {tok.stat().st_size} bytes (limit {MAX_TOKENIZER_JSON})",
                                fix="pass --tokenizer DIR with the model's original tokenizer.json")
            text = tok.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InitError(FALSIFY_APR_PRETRAIN_INIT_004, f"{tok}: not readable UTF-8 text ({exc})",
                            fix="repair or re-download tokenizer.json") from None
        check_tokenizer_json(text, str(tok))
        return text
