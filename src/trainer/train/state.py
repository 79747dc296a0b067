"""Per-epoch checkpoints and the resume point, written without pickle.

Layout under ``run_dir/ckpt/``:

* ``epoch-NNN.apr``: model weights after N trained epochs (APR v2, ``save_apr``;
  byte-deterministic: no wall-clock values in its metadata). ``epoch-000`` is
  the step-0 model, before any update.
* ``epoch-NNN.metadata.json``: the contract's 9 fields (+ step, lr, files).
* ``epoch-NNN.optim.safetensors``: AdamW moments and step counts keyed by
  parameter name, plus the torch RNG states. ``optimizer_state_sha`` in the
  metadata is the sha256 of exactly these bytes (INV-TRAIN-003). Only the
  newest one is kept (a resume needs only the newest; older shas stay recorded).
* ``resume.json``: the commit point, written last: which epoch, the loop's
  counters and histories, the optimizer's param groups and the reader position.

Every file goes through ``atomic_write_*``; a crash at any moment leaves the
previous resume point intact.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.errors import GATE_PREFLIGHT_RESUME, PreflightError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

    from trainer.config import ModelConfig

STATE_VERSION = 1
OPTIM_FORMAT = "apr-train-optimizer-v1"
RESUME_NAME = "resume.json"


def epoch_stem(epoch: int) -> str:
    return f"epoch-{epoch:03d}"


def safe_exp(x: float | None) -> float | None:
    """exp for perplexities; None when undefined or overflowing (JSON has no Inf)."""
    if x is None or not math.isfinite(x) or x > 700:
        return None
    return math.exp(x)


@dataclass
class LoopState:
    """The loop's counters and histories; everything JSON-serialisable."""

    step: int = 0
    epochs_completed: int = 0
    tokens_seen: int = 0
    wall_seconds: float = 0.0
    val_loss_history: list[float] = field(default_factory=list)  # index = epoch (0 = step 0)
    train_loss_history: list[float | None] = field(default_factory=list)  # index = epoch
    patience: dict[str, Any] = field(default_factory=dict)
    checkpoints: list[str] = field(default_factory=list)
    stopped: str | None = None  # CONVERGED / EARLY_STOP once the loop decided to stop

    @property
    def initial_val_loss(self) -> float | None:
        return self.val_loss_history[0] if self.val_loss_history else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        best = data["patience"].get("best")
        if isinstance(best, float) and not math.isfinite(best):
            data["patience"]["best"] = None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoopState:
        state = cls(**data)
        if state.patience.get("best") is None:
            state.patience["best"] = math.inf
        return state


def model_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The state dict on the CPU, contiguous (a tied head is one tensor: the embedding)."""
    return {name: t.detach().to("cpu").contiguous() for name, t in model.state_dict().items()}


def _param_names(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """Names in the optimizer's index order (the order ``state_dict`` numbers parameters)."""
    by_id = {id(p): name for name, p in model.named_parameters()}
    return [by_id[id(p)] for group in optimizer.param_groups for p in group["params"]]


def optimizer_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[bytes, list[dict[str, Any]]]:
    """(safetensors bytes of moments + RNG, JSON-able param groups). Deterministic for equal inputs."""
    import torch
    from safetensors.torch import save

    names = _param_names(model, optimizer)
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    for index, per_param in sd["state"].items():
        for key, value in per_param.items():
            t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"state/{names[index]}/{key}"] = t.detach().to("cpu").contiguous()
    tensors["rng/torch_cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = rng
    groups = [_jsonable({k: v for k, v in g.items()}) for g in sd["param_groups"]]
    return save(tensors, metadata={"format": OPTIM_FORMAT}), groups


def save_epoch(
    run_dir: Path,
    *,
    epoch: int,
    model: torch.nn.Module,
    config: ModelConfig,
    optimizer: torch.optim.Optimizer,
    state: LoopState,
    reader_state: dict[str, Any],
    metadata: dict[str, Any],
    seed: int,
    init: str | None,
) -> Path:
    """Write the epoch's checkpoint, metadata and resume point; returns the .apr path.

    Call only after the run-time gates passed for this epoch. ``metadata`` holds
    the epoch's measured fields; the optimizer sha and file names are added here.
    """
    from trainer.atomic import atomic_write_bytes, atomic_write_text
    from trainer.checkpoint.apr import save_apr
    from trainer.checkpoint.arch import training_apr_metadata

    ckpt = Path(run_dir) / "ckpt"
    ckpt.mkdir(parents=True, exist_ok=True)
    stem = epoch_stem(epoch)
    apr_path = ckpt / f"{stem}.apr"
    val_loss = float(metadata["val_loss"])
    save_apr(apr_path, model_tensors(model), training_apr_metadata(
        config, epoch=epoch, step=state.step, tokens_seen=state.tokens_seen, val_loss=val_loss, seed=seed,
        init=init))
    optim_data, groups = optimizer_bytes(model, optimizer)
    optim_path = ckpt / f"{stem}.optim.safetensors"
    atomic_write_bytes(optim_path, optim_data)
    sha = hashlib.sha256(optim_data).hexdigest()
    full_meta = {
        **metadata,
        "epoch": epoch,
        "optimizer_state_sha": sha,
        "optimizer_state_file": optim_path.name,
        "checkpoint": apr_path.name,
        "step": state.step,
        "tokens_seen": state.tokens_seen,
        "synthetic": False,
    }
    atomic_write_text(ckpt / f"{stem}.metadata.json", json.dumps(_jsonable(full_meta), indent=2, sort_keys=True) + "\n")
    if apr_path.name not in state.checkpoints:
        state.checkpoints.append(apr_path.name)
    resume = {
        "version": STATE_VERSION,
        "epoch": epoch,
        "apr": apr_path.name,
        "optimizer": optim_path.name,
        "optimizer_state_sha": sha,
        "param_names": _param_names(model, optimizer),
        "param_groups": groups,
        "reader": reader_state,
        "loop": state.to_dict(),
    }
    atomic_write_text(ckpt / RESUME_NAME, json.dumps(_jsonable(resume), indent=2, sort_keys=True) + "\n")
    for old in ckpt.glob("epoch-*.optim.safetensors"):
        if old != optim_path:
            old.unlink(missing_ok=True)
    return apr_path


REQUIRED_RESUME_KEYS: dict[str, type | tuple[type, ...]] = {
    "version": int, "epoch": int, "apr": str, "optimizer": str, "optimizer_state_sha": str,
    "param_names": list, "param_groups": list, "reader": dict, "loop": dict,
}


def _resume_error(msg: str) -> PreflightError:
    return PreflightError(GATE_PREFLIGHT_RESUME, f"--resume: {msg}",
                          fix="start a new run, or restore the checkpoint files")


def check_resume_files(run_dir: Path) -> tuple[dict[str, Any], bytes]:
    """GATE-PREFLIGHT-RESUME without a model: resume.json complete, optimizer sha256, APR header/CRC.

    Returns (resume.json, optimizer bytes). Runs in preflight, before any model
    exists; ``load_resume`` repeats it so a file changed in between is still refused.
    """
    from trainer.checkpoint.apr import read_apr_index
    from trainer.errors import AprError

    ckpt = Path(run_dir) / "ckpt"
    try:
        from trainer.checkpoint.bounded_json import (
            load_bounded,  # depth/integer limits: resume.json is a file too
        )

        resume = load_bounded((ckpt / RESUME_NAME).read_bytes())
    except (OSError, ValueError) as exc:
        raise _resume_error(f"cannot read {ckpt / RESUME_NAME} ({exc})") from None
    if not isinstance(resume, dict):
        raise _resume_error(f"{ckpt / RESUME_NAME} is not a JSON object")
    if resume.get("version") != STATE_VERSION:
        raise _resume_error(f"{ckpt / RESUME_NAME} has version {resume.get('version')}, expected {STATE_VERSION}")
    missing = [k for k in REQUIRED_RESUME_KEYS if k not in resume]
    if missing:
        raise _resume_error(f"{ckpt / RESUME_NAME} lacks {', '.join(missing)} (damaged or hand-edited)")
    wrong = [k for k, t in REQUIRED_RESUME_KEYS.items() if not isinstance(resume[k], t)]
    if wrong:
        raise _resume_error(f"{ckpt / RESUME_NAME} has malformed {', '.join(wrong)}")
    try:
        LoopState.from_dict(dict(resume["loop"]))
    except (TypeError, ValueError, AttributeError) as exc:
        raise _resume_error(f"{ckpt / RESUME_NAME} has a malformed loop state ({exc})") from None
    try:
        optim_data = (ckpt / resume["optimizer"]).read_bytes()
    except OSError as exc:
        raise _resume_error(f"cannot read the optimizer state ({exc})") from None
    if hashlib.sha256(optim_data).hexdigest() != resume["optimizer_state_sha"]:
        raise _resume_error(f"{resume['optimizer']} does not match the sha256 recorded in {RESUME_NAME}")
    try:
        read_apr_index(ckpt / resume["apr"], verify_crc=True)
    except AprError as exc:
        raise _resume_error(f"checkpoint {resume['apr']} is unreadable ({exc.gate_id}: {exc.detail})") from None
    except OSError as exc:
        raise _resume_error(f"cannot read checkpoint {resume['apr']} ({exc})") from None
    return resume, optim_data


def load_resume(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[
        LoopState, dict[str, Any]]:
    """Restore weights, optimizer, RNG; return the loop state and the reader state.

    Every mismatch (missing file, sha, parameter names) is a PreflightError
    naming GATE-PREFLIGHT-RESUME: a resume that cannot be exact is refused.
    """
    import torch
    from safetensors.torch import load

    from trainer.checkpoint.apr import load_apr

    ckpt = Path(run_dir) / "ckpt"
    resume, optim_data = check_resume_files(run_dir)
    fail = _resume_error
    names = _param_names(model, optimizer)
    if names != resume["param_names"]:
        raise fail("the model's parameters differ from the checkpoint's (different architecture?)")
    apr = load_apr(ckpt / resume["apr"])
    missing, unexpected = model.load_state_dict(apr.tensors, strict=False)
    if missing or unexpected:
        raise fail(f"{resume['apr']}: missing {list(missing)[:5]}, unexpected {list(unexpected)[:5]}")
    tensors = load(optim_data)
    index = {name: i for i, name in enumerate(names)}
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("state/"):
            name, field_name = key[len("state/"):].rsplit("/", 1)
            per_param.setdefault(index[name], {})[field_name] = value
    optimizer.load_state_dict({"state": per_param, "param_groups": resume["param_groups"]})
    torch.set_rng_state(tensors["rng/torch_cpu"])
    cuda_states = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng/cuda/"))]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    return LoopState.from_dict(resume["loop"]), resume["reader"]


def _jsonable(obj: Any) -> Any:
    """Tuples to lists, tensors/numpy scalars to numbers, non-finite floats to None."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and callable(obj.item):
        return _jsonable(obj.item())
    return obj
