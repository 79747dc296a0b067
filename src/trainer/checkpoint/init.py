"""`apr pretrain --init PATH`: inspect a pretrained checkpoint, then populate a model from it.

The path, in order (docs/init.md). Steps 1-6 and the population plan of step 8
run in ``inspect_init`` *before any model or weight is allocated*; step 7 (the
relaxed vocab gate) is the training loop's; ``load_init_weights`` is step 8.

1. the path exists                          FALSIFY-APR-PRETRAIN-INIT-003
2. the format: magic bytes, every size and  FALSIFY-APR-PRETRAIN-INIT-004
   offset inside the file; pickle refused   FALSIFY-APR-PRETRAIN-INIT-012
3. metadata parses as an object             FALSIFY-APR-PRETRAIN-INIT-005
5. not an encoder (checked before the       FALSIFY-APR-PRETRAIN-ARCH-007
   decoder fields, so a BERT is named as one)
4. architecture extraction -> ModelConfig   FALSIFY-APR-PRETRAIN-INIT-005
6. stamped family == tensor-name family     FALSIFY-INIT-ARCH-MATCH-001
8. every parameter gets exactly one tensor  FALSIFY-APR-PRETRAIN-INIT-011
   of the right shape (planned on the meta
   device here, re-checked on the real model)

One code path for CPU and CUDA: tensors are read as fp32 on the CPU and
``copy_`` into the parameters wherever they live.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.checkpoint.arch_fields import check_against_tensors
from trainer.checkpoint.family import family_from_tensors, is_encoder, normalize
from trainer.checkpoint.init_errors import InitError, show_bytes
from trainer.checkpoint.source import CheckpointReader, TensorInfo
from trainer.errors import (
    FALSIFY_APR_PRETRAIN_ARCH_007,
    FALSIFY_APR_PRETRAIN_INIT_003,
    FALSIFY_APR_PRETRAIN_INIT_004,
    FALSIFY_APR_PRETRAIN_INIT_005,
    FALSIFY_APR_PRETRAIN_INIT_011,
    FALSIFY_INIT_ARCH_MATCH_001,
)

if TYPE_CHECKING:
    from torch import nn

    from trainer.config import ModelConfig

APR_MAGICS = (b"APR\x00", b"APR2", b"APRN")
GGUF_MAGIC = b"GGUF"
_EXPECTED = "41 50 52 00 ('APR\\0', APR v2), 41 50 52 4e ('APRN'), 47 47 55 46 ('GGUF'), or a directory"

# Extras that carry no information the model lacks: rotary caches recomputed from rope_theta.
_ROTARY_CACHE = re.compile(r"(^|\.)rotary_emb\.(inv_freq|cos_cached|sin_cached)$")
MAX_LISTED = 10


@dataclass
class InitSpec:
    """What ``inspect_init`` learned about a checkpoint; enough to build and populate a model."""

    path: Path
    format: str
    config: ModelConfig
    family_declared: str
    family_tensors: str
    tensors: Mapping[str, TensorInfo]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    reader: CheckpointReader | None = field(default=None, repr=False)

    def describe(self) -> str:
        c = self.config
        return (
            f"{self.path} ({self.format}, {c.family}): hidden {c.hidden_size}, layers {c.num_layers}, "
            f"heads {c.num_heads}/{c.num_kv_heads} kv, ffn {c.intermediate_size}, vocab {c.vocab_size}, "
            f"positions {c.max_position_embeddings}, rope_theta {c.rope_theta:g}, eps {c.rms_norm_eps:g}, "
            f"qkv_bias {c.attention_bias}, tied {c.tie_word_embeddings}; {len(self.tensors)} tensors"
        )


@dataclass
class PopulationReport:
    """Which parameters were filled, how many values, and which harmless extras were skipped (and why)."""

    loaded: list[str]
    ignored: list[tuple[str, str]]
    numel: int

    def summary(self) -> str:
        text = f"populated {len(self.loaded)} parameters ({self.numel:,} values) from the init checkpoint"
        if self.ignored:
            text += "; ignored " + ", ".join(f"{n} ({why})" for n, why in self.ignored)
        return text


# ----------------------------------------------------------------- steps 1-2
def special_file_kind(path: Path) -> str | None:
    """'FIFO', 'character device', ... for a path that exists but is not a regular file; else None.

    Opening a FIFO blocks until a writer appears and /dev/urandom never ends, so
    every checkpoint path is refused by its file type before it is opened.
    """
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, name in (
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def open_checkpoint(path: str | Path) -> CheckpointReader:
    """Steps 1-2: existence, then the format by magic bytes, validated end to end (no tensor loaded).

    Shared by `--init`, `apr generate`, `apr convert` and `apr inspect`.
    """
    from trainer.checkpoint.hf import PICKLE_SUFFIXES, HFDirReader, refuse_pickle

    p = Path(path)
    if not p.exists():
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_003,
            f"init checkpoint {p} does not exist",
            fix="pass an existing .apr or .gguf file or a Hugging Face model directory",
        )
    if p.is_dir():
        return HFDirReader(p)
    kind = special_file_kind(p)
    if kind is not None:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_004,
            f"{p}: is a {kind}, not a regular file (reading it could block forever or never end)",
            fix="pass a regular .apr or .gguf file or a Hugging Face model directory",
        )
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise refuse_pickle(p)
    with open(p, "rb") as fh:
        magic = fh.read(4)
    if magic in APR_MAGICS:
        from trainer.checkpoint.apr import AprFormatError
        from trainer.checkpoint.apr_source import AprReader

        try:
            return AprReader(p)
        except AprFormatError as exc:  # same ID family; keep its precise message
            raise InitError(exc.gate_id, exc.detail, fix=exc.fix) from None
    if magic == GGUF_MAGIC:
        from trainer.checkpoint.gguf import GGUFReader

        return GGUFReader(p)
    if magic[:2] == b"PK" or magic[:1] == b"\x80":
        raise refuse_pickle(p)  # torch.save zip archive or a bare pickle stream
    size = p.stat().st_size
    what = "empty file" if size == 0 else ("truncated file" if size < 4 else "bad magic")
    hint = " (a .safetensors file needs its directory with config.json)" if p.suffix == ".safetensors" else ""
    raise InitError(
        FALSIFY_APR_PRETRAIN_INIT_004,
        f"{p}: {what}: found {show_bytes(magic)} at offset 0, expected {_EXPECTED}{hint}",
        fix="point at an APR v2 file, a GGUF file or a Hugging Face directory (config.json + model.safetensors)",
    )


# ----------------------------------------------------------------- steps 3-6, 8 (plan)
def inspect_init(path: str | Path) -> InitSpec:
    """Steps 1-6 plus the population plan; raises InitError naming the falsifier. Allocates no model."""
    reader = open_checkpoint(path)
    p = reader.path
    names = list(reader.tensors)
    declared, archs, where = reader.declared_family()
    tensor_family = family_from_tensors(names)
    # Step 5 before the decoder fields: an encoder must be named as one, not as "missing rms_norm_eps".
    if is_encoder(declared, archs) or tensor_family == "encoder":
        shown = declared or (archs[0] if archs else "encoder tensor names")
        raise InitError(
            FALSIFY_APR_PRETRAIN_ARCH_007,
            f"{p} is an encoder ({shown}; architectures {archs}), not a causal decoder: "
            "apr pretrain --init builds a decoder-only LM (llama, qwen2) and cannot take encoder weights",
            fix="initialise from a decoder checkpoint (e.g. SmolLM2, Llama, Qwen2)",
        )
    if declared is None:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{p}: cannot extract the architecture: no family stamp ({where})",
            fix="the metadata must name the architecture (llama or qwen2)",
        )
    config = reader.model_config(name=_name_for(reader))  # step 4, INIT-005
    check_against_tensors(config, reader.tensors, path=p)  # INIT-005: claims vs. the tensors present
    stamped = normalize(declared)
    if stamped != config.family or tensor_family not in (config.family, "unknown"):
        raise InitError(
            FALSIFY_INIT_ARCH_MATCH_001,
            f"{p}: family stamped {declared!r} ({where}) but the tensor names show {tensor_family!r} "
            f"({_family_evidence(tensor_family)}); refusing to build a {config.family} model from them",
            fix="re-export the checkpoint with its true architecture in the metadata",
        )
    ignored = plan_population(config, reader.tensors, path=p)
    return InitSpec(p, reader.format, config, stamped, tensor_family, reader.tensors, ignored, reader)


def _name_for(reader: CheckpointReader) -> str:
    meta = reader.metadata
    for key in ("name", "general.name", "_name_or_path"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
    return reader.path.stem or reader.path.name


def _family_evidence(tensor_family: str) -> str:
    return {
        "qwen2": "q/k/v projection biases present",
        "llama": "no attention biases",
        "unknown": "no recognisable decoder layers",
    }.get(tensor_family, tensor_family)


def expected_parameters(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of ``LlamaForCausalLM(config)``, built on the meta device (no memory)."""
    import torch

    from trainer.model import LlamaForCausalLM

    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    return {name: tuple(param.shape) for name, param in model.named_parameters()}


def _harmless(name: str, config: ModelConfig) -> str | None:
    if name == "lm_head.weight" and config.tie_word_embeddings:
        return "duplicate of the tied embedding (checked equal when loaded)"
    if _ROTARY_CACHE.search(name):
        return "rotary cache (recomputed from rope_theta)"
    return None


def _check_against(
    wanted: Mapping[str, tuple[int, ...]],
    tensors: Mapping[str, TensorInfo],
    config: ModelConfig,
    path: Path,
) -> list[tuple[str, str]]:
    missing = [n for n in wanted if n not in tensors]
    misshaped = [
        f"{n} {list(tensors[n].shape)} (model needs {list(shape)})"
        for n, shape in wanted.items()
        if n in tensors and tuple(tensors[n].shape) != shape
    ]
    ignored: list[tuple[str, str]] = []
    unexpected: list[str] = []
    for n in tensors:
        if n in wanted:
            continue
        why = _harmless(n, config)
        if why is None:
            unexpected.append(n)
        else:
            ignored.append((n, why))
    problems = []
    for label, items in (("missing", missing), ("wrong shape", misshaped), ("unexpected", unexpected)):
        if items:
            shown = ", ".join(items[:MAX_LISTED]) + (f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")
            problems.append(f"{len(items)} {label}: {shown}")
    if problems:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_011,
            f"{path}: the checkpoint does not fill the {config.family} model exactly: " + "; ".join(problems),
            fix="every model parameter needs exactly one tensor of its shape; use a checkpoint of this architecture",
        )
    return ignored


def plan_population(config: ModelConfig, tensors: Mapping[str, TensorInfo], *, path: Path) -> list[tuple[str, str]]:
    """Step 8 checked before allocation: returns the harmless extras, raises INIT-011 otherwise."""
    return _check_against(expected_parameters(config), tensors, config, path)


# ----------------------------------------------------------------- step 8
def _arch(config: ModelConfig) -> dict[str, object]:
    """The fields that decide parameter shapes and numerics (not the name, not the position cap)."""
    d = config.to_dict()
    d.pop("name", None)
    d.pop("max_position_embeddings", None)
    return d


def load_init_weights(spec: InitSpec, model: nn.Module) -> PopulationReport:
    """Copy every tensor into its parameter (same code on CPU and CUDA); raise INIT-011 on any gap.

    The optimizer is not touched: it is built afterwards, so its moments start at zero.
    """
    import torch

    reader = spec.reader if spec.reader is not None else open_checkpoint(spec.path)
    model_config = getattr(model, "config", None)
    if model_config is not None and _arch(model_config) != _arch(spec.config):
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_011,
            f"{spec.path}: the model was built from {model_config.name!r}, not from the init's own architecture",
            fix="build the model with LlamaForCausalLM(spec.config)",
        )
    params = dict(model.named_parameters())
    ignored = _check_against({n: tuple(p.shape) for n, p in params.items()}, reader.tensors, spec.config, spec.path)
    loaded: list[str] = []
    numel = 0
    with torch.no_grad():
        for name, param in params.items():
            tensor = reader.load_tensor(name)
            if tuple(tensor.shape) != tuple(param.shape):
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_011,
                    f"{spec.path}: tensor {name} decoded to {list(tensor.shape)}, model needs {list(param.shape)}",
                )
            if not torch.isfinite(tensor).all():
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_011,
                    f"{spec.path}: tensor {name} holds NaN or Inf values",
                    fix="the checkpoint is corrupt; re-download it",
                )
            param.copy_(tensor)
            loaded.append(name)
            numel += param.numel()
        for name, _why in ignored:
            if name == "lm_head.weight":
                head = reader.load_tensor(name)
                embed = params["model.embed_tokens.weight"].detach().to("cpu", torch.float32)
                if not torch.equal(head, embed):
                    raise InitError(
                        FALSIFY_APR_PRETRAIN_INIT_011,
                        f"{spec.path}: lm_head.weight differs from model.embed_tokens.weight but the "
                        "architecture ties them; loading would silently drop the trained head",
                        fix="set tie_word_embeddings=false in the checkpoint's metadata",
                    )
    release = getattr(reader, "release", None)
    if release is not None:
        release()
    return PopulationReport(loaded, ignored, numel)
