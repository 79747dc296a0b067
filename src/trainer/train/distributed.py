"""torch.distributed for ``apr pretrain``: the process group, DDP/FSDP2 wrapping, reductions, full-state gathering.

Why one module: the loop stays one code path. Every helper here is a no-op (or the
identity) when no process group is initialised, so a single-process run executes
exactly what it did before; under ``torchrun`` (or ``apr pretrain --nproc N``,
which calls torchrun's own ``elastic_launch``) the same calls reduce across ranks.

Rules the rest of the trainer relies on:

* Every decision a gate takes is made on values that are identical on all ranks
  (the train loss and val loss are all-reduced; DDP/FSDP gradients are averaged,
  so the clipped global norm is identical): a gate fires on every rank or none.
* Only rank 0 (``is_main()``) prints, appends metrics, writes run.json, checkpoints
  and result.json. With FSDP2 every rank takes part in gathering the full state,
  and rank 0 writes it through the single-process ``save_epoch``: an N-rank
  checkpoint is byte-for-byte the format of a 1-rank one.
* The process group is created after preflight ran on every rank, and the first
  thing it does is ``agree_preflight``: a refusal on any rank stops all ranks
  with that rank's message and exit code.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from trainer.errors import (
    GATE_DIST_COLLECTIVE,
    GATE_DIST_ENV,
    GATE_DIST_PREFLIGHT,
    GATE_DIST_WORLD,
    AprError,
    PreflightError,
    RunAborted,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

    from trainer.config import ModelConfig
    from trainer.train.device import ResolvedDevice

Shard = Literal["ddp", "fsdp"]
SHARD_CHOICES: tuple[str, ...] = ("ddp", "fsdp")
TIMEOUT_ENV = "APR_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0  # a dead peer fails the next collective within this bound (gloo and nccl)


@dataclass(frozen=True)
class World:
    """This process's place in the job (``rank`` 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def world_from_env(env: dict[str, str] | None = None) -> World:
    """The World torchrun describes in RANK / WORLD_SIZE / LOCAL_RANK (single process when unset)."""
    env = dict(os.environ) if env is None else env
    try:
        world = World(int(env.get("RANK", "0")), int(env.get("WORLD_SIZE", "1")), int(env.get("LOCAL_RANK", "0")))
    except ValueError:
        raise AprError(GATE_DIST_ENV, f"RANK/WORLD_SIZE/LOCAL_RANK are not integers "
                       f"({env.get('RANK')!r}/{env.get('WORLD_SIZE')!r}/{env.get('LOCAL_RANK')!r})",
                       fix="launch with torchrun or apr pretrain --nproc N, which set them") from None
    if world.world_size < 1 or not 0 <= world.rank < world.world_size:
        raise AprError(GATE_DIST_ENV, f"RANK={world.rank} is outside WORLD_SIZE={world.world_size}",
                       fix="launch with torchrun or apr pretrain --nproc N, which set them")
    return world


def _dist() -> Any | None:
    """``torch.distributed`` when a process group is up, else None (cheap; imports torch lazily)."""
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def current() -> World:
    """The World of the initialised process group (single process when there is none)."""
    dist = _dist()
    if dist is None:
        return World()
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def is_main() -> bool:
    return current().is_main


def world_size() -> int:
    return current().world_size


def timeout_seconds(env: dict[str, str] | None = None) -> float:
    """The collective timeout (``APR_DIST_TIMEOUT`` seconds, default 60): a hung peer ends the job by then."""
    env = dict(os.environ) if env is None else env
    raw = env.get(TIMEOUT_ENV)
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise PreflightError(GATE_DIST_ENV, f"{TIMEOUT_ENV}={raw!r} is not a positive number of seconds",
                             fix=f"unset {TIMEOUT_ENV} (default {DEFAULT_TIMEOUT_S:.0f}) or set e.g. 120")
    return value


def backend_for(device_name: str) -> str:
    """gloo on the CPU, nccl on CUDA (the backends torch ships for each)."""
    return "nccl" if device_name.startswith("cuda") else "gloo"


def rank_device(device: ResolvedDevice, world: World) -> ResolvedDevice:
    """Each rank on its own GPU (``cuda:LOCAL_RANK``); CPU ranks share the CPU."""
    from trainer.train.device import ResolvedDevice

    if not world.distributed or not device.name.startswith("cuda"):
        return device
    return ResolvedDevice(f"cuda:{world.local_rank}", f"{device.note}; rank {world.rank} -> cuda:{world.local_rank}")


def setup(world: World, device_name: str) -> None:
    """Create the process group (env:// rendezvous set up by torchrun), with the collective timeout."""
    import torch
    import torch.distributed as dist

    if device_name.startswith("cuda"):
        torch.cuda.set_device(torch.device(device_name))
    dist.init_process_group(backend=backend_for(device_name), rank=world.rank, world_size=world.world_size,
                            timeout=datetime.timedelta(seconds=timeout_seconds()))


def teardown() -> None:
    """Destroy the process group if one is up (safe to call on every exit path, twice)."""
    dist = _dist()
    if dist is not None:
        with contextlib.suppress(Exception):  # a dead peer must not turn the real error into a teardown one
            dist.destroy_process_group()


@contextlib.contextmanager
def process_group(world: World, device_name: str) -> Iterator[None]:
    """``setup`` ... ``teardown`` around the body; nothing at all for a single process."""
    if not world.distributed:
        yield
        return
    setup(world, device_name)
    try:
        yield
    finally:
        teardown()


# -- preflight agreement --------------------------------------------------------------------------------


def preflight_outcome(exc: BaseException | None) -> tuple[int, str, str] | None:
    """What this rank reports to the others: (exit code, gate id, message), or None when it passed."""
    if exc is None:
        return None
    if isinstance(exc, AprError):
        return exc.exit_code, exc.gate_id, str(exc)
    return 2, GATE_DIST_PREFLIGHT, f"internal error in preflight: {type(exc).__name__}: {exc}"


def agree_preflight(outcome: tuple[int, str, str] | None) -> None:
    """The first collective: every rank shares its preflight outcome; any refusal stops every rank.

    The refusing rank prints its own error prefixed with its rank; the others print
    GATE-DIST-PREFLIGHT quoting it; all exit with that rank's code (3 for a preflight gate).
    """
    dist = _dist()
    if dist is None:
        return
    outcomes: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(outcomes, outcome)
    failed = [(rank, o) for rank, o in enumerate(outcomes) if o is not None]
    if not failed:
        return
    me = dist.get_rank()
    rank, (code, gate, message) = next(((r, o) for r, o in failed if r == me), failed[0])
    ranks = ", ".join(str(r) for r, _ in failed)
    if rank == me:
        line = f"{gate}: rank {me}: {message.removeprefix(gate + ': ')}"
    else:
        line = (f"{GATE_DIST_PREFLIGHT}: rank {me} stops: preflight refused on rank(s) {ranks}; "
                f"rank {rank} said: {message}")
    _stop(dist, line, code)


def _stop(dist: Any, line: str, code: int) -> NoReturn:
    """Print the refusal and exit ``code`` on every rank, even when the launcher SIGTERMs a rank.

    Whichever rank exits first, torchrun's agent SIGTERMs the rest. So each rank first
    makes SIGTERM exit ``code``, prints, and waits at a barrier until every rank has done
    so: no rank is then recorded as killed instead of as the refusal it already decided.
    """
    import signal
    import sys
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(code))
    sys.stderr.write(f"apr: error: {line}\n")
    sys.stderr.flush()
    with contextlib.suppress(Exception):
        dist.barrier()
    teardown()
    sys.stdout.flush()
    # Not SystemExit: interpreter finalization restores the default SIGTERM action, and the agent's
    # SIGTERM would then record this rank as killed. Nothing is left to clean up here.
    os._exit(code)


# -- reductions -----------------------------------------------------------------------------------------


def sum_floats(*values: float) -> tuple[float, ...]:
    """Sum each value over all ranks (float64, so the order of 2 ranks' partial sums barely matters)."""
    dist = _dist()
    if dist is None:
        return tuple(float(v) for v in values)
    import torch

    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return tuple(float(v) for v in t.tolist())


def gather_floats(value: float) -> list[float]:
    """``value`` from every rank, in rank order (``[value]`` for a single process)."""
    dist = _dist()
    if dist is None:
        return [float(value)]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, float(value))
    return [float(v) for v in out]


def scalar(t: torch.Tensor) -> float:
    """A Python float from a tensor or a DTensor (FSDP2's clipped grad norm is a replicated DTensor)."""
    full = getattr(t, "full_tensor", None)
    return float(full() if callable(full) else t)


def barrier() -> None:
    dist = _dist()
    if dist is not None:
        dist.barrier()


def val_share(batches: list[Any]) -> tuple[list[Any], int]:
    """This rank's held-out batches (``rank, rank + world, ...``) and how many padding forwards to run.

    Every rank runs the same number of forwards (FSDP2's forward is a collective); the
    padding forwards are discarded. The losses are then summed over ranks (``sum_floats``):
    each held-out batch is evaluated exactly once in the whole job.
    """
    world = current()
    mine = batches[world.rank :: world.world_size]
    most = -(-len(batches) // world.world_size)
    return mine, most - len(mine)


# -- model wrapping -------------------------------------------------------------------------------------


def wrap_model(model: torch.nn.Module, shard: str, device_name: str) -> torch.nn.Module:
    """DDP (default) or FSDP2 ``fully_shard`` (each decoder layer, then the root) when distributed."""
    if _dist() is None:
        return model
    if shard == "fsdp":
        from torch.distributed.fsdp import fully_shard

        for layer in getattr(getattr(model, "model", None), "layers", []):
            fully_shard(layer)
        fully_shard(model)
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [int(device_name.split(":")[1])] if device_name.startswith("cuda") else None
    # Buffers (RoPE tables) are deterministic: no per-forward broadcast, so ranks may run eval alone.
    return DistributedDataParallel(model, device_ids=ids, forward_sync_buffers=False)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP (FSDP2 shards in place: the module is itself)."""
    return getattr(model, "module", model) if type(model).__name__ == "DistributedDataParallel" else model


def is_fsdp(model: torch.nn.Module) -> bool:
    return _dist() is not None and any(getattr(p, "device_mesh", None) is not None for p in model.parameters())


def accumulation_context(model: torch.nn.Module, *, last: bool) -> contextlib.AbstractContextManager[Any]:
    """Skip the gradient all-reduce on every micro-batch but the last (same gradient, fewer collectives)."""
    if _dist() is None:
        return contextlib.nullcontext()
    model = getattr(model, "_orig_mod", model)  # --compile wraps the DDP/FSDP2 module
    no_sync = getattr(model, "no_sync", None)
    if callable(no_sync) and type(model).__name__ == "DistributedDataParallel":
        return no_sync() if not last else contextlib.nullcontext()
    setter = getattr(model, "set_requires_gradient_sync", None)
    if callable(setter):  # FSDP2
        setter(last)
    return contextlib.nullcontext()


# -- checkpoints ----------------------------------------------------------------------------------------


def _plain_copy(config: ModelConfig, optimizer: torch.optim.Optimizer) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """A CPU model + optimizer with the same parameter groups as the training ones (to hold a full state)."""
    from trainer.model import LlamaForCausalLM, make_optimizer

    group = optimizer.param_groups[0]
    model = LlamaForCausalLM(config)
    opt = make_optimizer(model, float(group["lr"]), float(group["weight_decay"]), betas=tuple(group["betas"]),
                         eps=float(group["eps"]))
    return model, opt


def _index_keyed(plain: torch.nn.Module, plain_opt: torch.optim.Optimizer, osd: dict[str, Any]) -> dict[str, Any]:
    """FQN-keyed optimizer state (torch.distributed.checkpoint) -> the index-keyed form ``load_state_dict`` takes."""
    from trainer.train.state import _param_names

    names = _param_names(plain, plain_opt)
    index = {n: i for i, n in enumerate(names)}
    groups = [{**g, "params": [index[p] for p in g["params"]]} for g in osd["param_groups"]]
    return {"state": {index[k]: v for k, v in osd["state"].items()}, "param_groups": groups}


@contextlib.contextmanager
def full_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               config: ModelConfig) -> Iterator[tuple[torch.nn.Module, torch.optim.Optimizer] | None]:
    """Yield (model, optimizer) holding the full training state on rank 0, None on the other ranks.

    Single process / DDP: the training objects themselves (DDP replicas are identical).
    FSDP2: every rank joins the gather (``get_model_state_dict``/``get_optimizer_state_dict``
    with ``full_state_dict``); rank 0 loads it into a plain CPU copy, which ``save_epoch``
    writes exactly as a single-process run would. Ends with a barrier so no rank runs
    ahead of a checkpoint that is still being written.
    """
    if _dist() is None:
        yield model, optimizer
        return
    try:
        if not is_fsdp(model):
            yield (unwrap(model), optimizer) if is_main() else None
            return
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            get_model_state_dict,
            get_optimizer_state_dict,
        )

        opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
        sd = get_model_state_dict(model, options=opts)
        # Before the first step the state is empty, and get_optimizer_state_dict would fill it by running a
        # zero-lr step, which advances AdamW's step count (the next real step would use step 2's bias
        # correction). Empty is what a single process saves, too.
        osd = get_optimizer_state_dict(model, optimizer, options=opts) if optimizer.state else None
        if not is_main():
            yield None
            return
        plain, plain_opt = _plain_copy(config, optimizer)
        plain.load_state_dict(sd)
        if osd is not None:
            plain_opt.load_state_dict(_index_keyed(plain, plain_opt, osd))
        yield plain, plain_opt
    finally:
        barrier()


def load_resume(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                config: ModelConfig) -> tuple[Any, dict[str, Any]]:
    """``state.load_resume`` on every rank; under FSDP2 via a plain copy, then scattered into the shards."""
    from trainer.train import state as state_mod

    if not is_fsdp(model):
        return state_mod.load_resume(run_dir, unwrap(model), optimizer)
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    plain, plain_opt = _plain_copy(config, optimizer)
    loop_state, reader_state = state_mod.load_resume(run_dir, plain, plain_opt)
    names = state_mod._param_names(plain, plain_opt)
    sd = plain_opt.state_dict()
    osd = {"state": {names[i]: v for i, v in sd["state"].items()},
           "param_groups": [{**g, "params": [names[i] for i in g["params"]]} for g in sd["param_groups"]]}
    opts = StateDictOptions(full_state_dict=True)
    set_model_state_dict(model, plain.state_dict(), options=opts)
    if sd["state"]:  # an epoch-0 checkpoint has no moments yet (see full_state)
        set_optimizer_state_dict(model, optimizer, osd, options=opts)
    return loop_state, reader_state


# -- world size across resume ---------------------------------------------------------------------------


def recorded_world(run_json: dict[str, Any]) -> int:
    """The world size run.json recorded (runs before distributed training: 1)."""
    value = (run_json.get("distributed") or {}).get("world_size", 1)
    return int(value) if isinstance(value, int) else 1


def check_resume_world(run_dir: Path, world: World) -> None:
    """GATE-DIST-WORLD: a resume runs at the world size that wrote the checkpoint, else refused naming both.

    The global batch (per-rank batch x world x accumulation) fixes the data order, the
    learning-rate schedule per step and the reader position; changing the world size
    would silently change all three.
    """
    import json

    from trainer.train.preflight import RUN_FILE

    try:
        data = json.loads((Path(run_dir) / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # check_resume_matches already refused an unreadable run.json
    was = recorded_world(data) if isinstance(data, dict) else 1
    if was != world.world_size:
        raise PreflightError(
            GATE_DIST_WORLD,
            f"--resume with world size {world.world_size}, but {Path(run_dir) / RUN_FILE} was trained with world "
            f"size {was}; a different world size changes the global batch, the data order and the schedule",
            fix=f"resume with {was} process(es): apr pretrain --nproc {was} ... --resume "
                f"(or torchrun --nproc-per-node {was})",
        )


def describe(world: World, shard: str, device_name: str, batch_size: int, grad_accum: int) -> str:
    """The header line: backend, sharding, and global batch = per-rank batch x world x accumulation."""
    mode = "single process" if not world.distributed else (
        f"{'FSDP2 fully_shard' if shard == 'fsdp' else 'DDP'} over {world.world_size} ranks "
        f"({backend_for(device_name)})")
    glob = batch_size * world.world_size * grad_accum
    return (f"{mode}; global batch {glob} = {batch_size} per rank x {world.world_size} rank(s) x "
            f"accum {grad_accum}")


def collective_failure(exc: BaseException) -> RunAborted:
    """A collective that failed (a peer died or hung past the timeout) as one line naming this rank."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    me = current().rank if _dist() is not None else int(os.environ.get("RANK", "0"))
    return RunAborted(GATE_DIST_COLLECTIVE, f"rank {me}: a collective failed ({type(exc).__name__}: "
                      f"{first[:300]}); another rank died or stopped answering within {timeout_seconds():.0f}s",
                      fix="see the launcher's summary for the rank that failed first; --resume continues from "
                          "the last committed checkpoint")
