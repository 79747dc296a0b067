"""The one model builder and compute settings for every device (GATE-GPUTRAIN-001).

The device is a parameter, not a fork: ``build_training_model`` seeds the CPU
generator, builds on the CPU, loads ``--init`` tensors there when given, and
only then moves the model to the target device, so a CUDA run starts from the
same weights as a CPU run of the same seed or checkpoint (the original
``apr pretrain`` CUDA path refused ``--init`` and was one refactor away from
training random weights on the GPU: FALSIFY-APR-PRETRAIN-INIT-CUDA-001).

``resolve_compute`` turns ``--kernels``/``--precision``/``--compile`` into what
the loop runs: Triton kernels and bf16 autocast (fp32 master weights) by
default on CUDA; torch kernels and fp32 on the CPU, where ``--resume`` is
bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainer.errors import GATE_PREFLIGHT_ARGS, PreflightError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

    from trainer.config import ModelConfig
    from trainer.kernels.dispatch import KernelSet
    from trainer.model import LlamaForCausalLM

PRECISION_CHOICES = ("fp32", "bf16")


@dataclass(frozen=True)
class ComputeSettings:
    """Kernels, autocast precision and compile: recorded in the run header and result.json."""

    kernels: KernelSet
    precision: str
    compile: bool

    def describe(self) -> str:
        return f"{self.kernels.name} kernels, {self.precision}, compile {'on' if self.compile else 'off'}"


def default_precision(device: str) -> str:
    """bf16 autocast on CUDA (tensor cores), fp32 on the CPU (bit-exact resume)."""
    return "bf16" if device.startswith("cuda") else "fp32"


def resolve_compute(kernels: str, precision: str | None, compile: bool, device: str) -> ComputeSettings:
    """Resolve the three flags against the resolved device; GATE-KERNELS-001 / GATE-PREFLIGHT-ARGS on refusal."""
    from trainer.kernels.dispatch import resolve_kernels

    chosen = default_precision(device) if precision is None else precision
    if chosen not in PRECISION_CHOICES:
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"--precision {chosen!r} is not one of fp32, bf16",
                             fix="pass --precision fp32 or --precision bf16")
    return ComputeSettings(resolve_kernels(kernels, device), chosen, bool(compile))


def build_training_model(config: ModelConfig, *, seed: int, device: str | torch.device, kernels: KernelSet,
                         init_spec: Any | None = None) -> tuple[LlamaForCausalLM, str | None]:
    """Seeded CPU build -> optional ``--init`` load -> ``.to(device)``; returns (model, init population summary).

    The same function for every device: nothing here branches on the device type.
    """
    import torch

    from trainer.model import LlamaForCausalLM

    torch.manual_seed(seed)
    model = LlamaForCausalLM(config, kernels=kernels)
    population: str | None = None
    if init_spec is not None:
        from trainer.checkpoint.init import load_init_weights

        population = load_init_weights(init_spec, model).summary()
    model.to(device)
    model.train()
    return model, population


def unwrap(model: torch.nn.Module) -> Any:
    """The LlamaForCausalLM under torch.compile (``_orig_mod``) or DDP/FSDP (``module``) wrappers."""
    while True:
        inner = getattr(model, "_orig_mod", None) or getattr(model, "module", None)
        if inner is None:
            return model
        model = inner


def maybe_compile(model: torch.nn.Module, enabled: bool) -> torch.nn.Module:
    """``torch.compile(model)`` for ``--compile`` (the uncompiled module keeps the parameters and state)."""
    if not enabled:
        return model
    import torch

    return torch.compile(model)
