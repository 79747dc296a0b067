"""2-rank gloo runs on the CPU against 1-process runs of the same global batch (contract C-TRAIN-DIST).

One module-scoped reference: the tiny preset, 6 steps in 3 epochs, per-rank batch 4.
The 1-process run uses 2 accumulation steps (global batch 8 = 4 x 1 x 2); the 2-rank
runs use 2 ranks (8 = 4 x 2 x 1). The reader gives the two the same windows per step,
so only fp32 summation order differs. Tolerance (stated in docs/distributed.md):
|delta| <= 1e-5 for every step's train loss, every val loss and every final weight
(measured: <= 3e-7 for losses, <= 1.2e-7 for weights).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from pretrain_helpers import argv, make_data

from trainer.checkpoint.apr import load_apr
from trainer.cli import main
from trainer.train.distributed import DEFAULT_TIMEOUT_S

TOL = 1e-5
ROOT = Path(__file__).resolve().parents[3]
FAULTS = Path(__file__).resolve().parent / "faults"
RUN = {"num_steps": 6, "steps_per_epoch": 2, "val_batches": 3}  # 3 val batches on 2 ranks: one padding forward


def _env(fault: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT / "src")] + ([str(FAULTS)] if fault else [])
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    env.pop("APR_TEST_FAULT", None)
    if fault:
        env["APR_TEST_FAULT"] = fault
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _apr(args: list[str], *, fault: str | None = None, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainer", *args], env=_env(fault), capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def _losses(run_dir: Path) -> list[float]:
    return [json.loads(line)["train_loss"] for line in (run_dir / "train.jsonl").read_text().splitlines()]


def _result(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text())


def _max_weight_diff(a: Path, b: Path) -> float:
    ta, tb = load_apr(a).tensors, load_apr(b).tensors
    assert sorted(ta) == sorted(tb)
    return max(float((ta[k].double() - tb[k].double()).abs().max()) for k in ta)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("dist")
    ds, tok = make_data(root)
    return root, ds, tok


@pytest.fixture(scope="module")
def single(data: tuple[Path, Path, Path]) -> Path:
    """1 process, batch 4, 2 accumulation steps (global batch 8), in-process."""
    root, ds, tok = data
    run_dir = root / "single"
    assert main(argv(ds, tok, run_dir, grad_accum=2, **RUN)) == 0
    return run_dir


@pytest.fixture(scope="module")
def ddp(data: tuple[Path, Path, Path]) -> Path:
    """2 ranks (apr pretrain --nproc 2, DDP), batch 4 per rank (global batch 8)."""
    root, ds, tok = data
    run_dir = root / "ddp"
    proc = _apr(argv(ds, tok, run_dir, "--nproc", "2", **RUN))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir


def _assert_equivalent(single: Path, multi: Path) -> None:
    a, b = _losses(single), _losses(multi)
    assert len(a) == len(b) == RUN["num_steps"]  # rank 0 alone appended: one line per step, not one per rank
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= TOL, (a, b)
    ra, rb = _result(single), _result(multi)
    assert len(ra["val_loss_history"]) == len(rb["val_loss_history"]) == 4
    assert max(abs(x - y) for x, y in zip(ra["val_loss_history"], rb["val_loss_history"], strict=True)) <= TOL
    assert _max_weight_diff(single / "ckpt" / "epoch-003.apr", multi / "ckpt" / "epoch-003.apr") <= TOL
    assert ra["distributed"]["global_batch"] == rb["distributed"]["global_batch"] == 8
    assert (ra["distributed"]["world_size"], ra["distributed"]["per_rank_batch"], ra["distributed"]["grad_accum"]) \
        == (1, 4, 2)
    assert (rb["distributed"]["world_size"], rb["distributed"]["per_rank_batch"], rb["distributed"]["grad_accum"]) \
        == (2, 4, 1)
    by_rank = rb["distributed"]["val_loss_by_rank"]
    assert len(by_rank) == 2 and by_rank[0] == by_rank[1] == rb["final_val_loss"]  # identical on every rank


@pytest.mark.falsifies("INV-DIST-001", "INV-DIST-004")
def test_ddp_two_ranks_match_one_process_with_the_same_global_batch(single: Path, ddp: Path) -> None:
    _assert_equivalent(single, ddp)
    assert _result(ddp)["distributed"]["shard"] == "ddp"


@pytest.mark.falsifies("INV-DIST-002", "INV-DIST-004", "GATE-DIST-WRITER")
def test_fsdp2_two_ranks_match_one_process_with_the_same_global_batch(
        data: tuple[Path, Path, Path], single: Path) -> None:
    root, ds, tok = data
    run_dir = root / "fsdp"
    proc = _apr(argv(ds, tok, run_dir, "--nproc", "2", "--shard", "fsdp", **RUN))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "FSDP2 fully_shard over 2 ranks (gloo)" in proc.stdout
    _assert_equivalent(single, run_dir)
    # The gathered full state has the single-process format: same optimizer tensors, same values.
    from safetensors.torch import load_file

    oa = load_file(single / "ckpt" / "epoch-003.optim.safetensors")
    ob = load_file(run_dir / "ckpt" / "epoch-003.optim.safetensors")
    assert sorted(oa) == sorted(ob)
    assert all(oa[k].shape == ob[k].shape and oa[k].dtype == ob[k].dtype for k in oa)
    moments = [k for k in oa if k.startswith("state/")]
    assert max(float((oa[k].double() - ob[k].double()).abs().max()) for k in moments) <= TOL


@pytest.mark.falsifies("GATE-DIST-WRITER")
def test_one_checkpoint_per_epoch_by_rank0_loads_in_one_process_with_the_same_logits(
        single: Path, ddp: Path) -> None:
    names = sorted(p.name for p in (ddp / "ckpt").iterdir())
    assert names == ["epoch-000.apr", "epoch-000.metadata.json", "epoch-001.apr", "epoch-001.metadata.json",
                     "epoch-002.apr", "epoch-002.metadata.json", "epoch-003.apr", "epoch-003.metadata.json",
                     "epoch-003.optim.safetensors", "resume.json"]
    assert _result(ddp)["checkpoints"] == [f"epoch-{e:03d}.apr" for e in range(4)]
    from trainer.generate import load_model  # the single-process --init path, as apr generate loads it

    x = torch.randint(0, 256, (2, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        multi = load_model(ddp / "ckpt" / "epoch-003.apr")[0](x)
        ref = load_model(single / "ckpt" / "epoch-003.apr")[0](x)
    assert float((multi - ref).abs().max()) <= 1e-4  # logits: weights within 1e-5 through 4 layers


@pytest.mark.falsifies("GATE-DIST-WORLD")
def test_resume_with_a_different_world_size_is_refused_naming_both(
        data: tuple[Path, Path, Path], ddp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, ds, tok = data
    copy = root / "ddp-copy"
    shutil.copytree(ddp, copy)
    assert main(argv(ds, tok, copy, "--resume", **RUN)) == 3
    err = capsys.readouterr().err
    assert "GATE-DIST-WORLD" in err and "world size 1" in err and "world size 2" in err
    assert "--nproc 2" in err


@pytest.mark.falsifies("GATE-DIST-RANK", "GATE-DIST-WORLD")
def test_a_rank_killed_mid_run_stops_the_job_naming_it_and_the_run_resumes_exactly(
        data: tuple[Path, Path, Path], ddp: Path) -> None:
    root, ds, tok = data
    run_dir = root / "killed"
    start = time.monotonic()
    proc = _apr(argv(ds, tok, run_dir, "--nproc", "2", **RUN), fault="kill:1:3")  # dies in epoch 2
    elapsed = time.monotonic() - start
    assert proc.returncode not in (0, None), proc.stderr[-3000:]
    assert elapsed < DEFAULT_TIMEOUT_S + 30  # bounded: no hang (torch start-up on 2 busy cores included)
    assert "GATE-DIST-RANK: rank 1" in proc.stderr and "SIGKILL" in proc.stderr, proc.stderr[-3000:]
    resume = json.loads((run_dir / "ckpt" / "resume.json").read_text())
    assert resume["epoch"] == 1  # the last completed checkpoint, intact (preflight re-checks sha and CRC)
    # Resume through torchrun itself (the same entry point as `torchrun -m trainer pretrain`).
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "trainer",
         *argv(ds, tok, run_dir, "--resume", **RUN)], env=_env(), capture_output=True, text=True, timeout=150,
        cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _result(run_dir)["resumed_from_epoch"] == 1
    assert _losses(run_dir) == _losses(ddp)  # bit-identical in fp32
    assert _max_weight_diff(run_dir / "ckpt" / "epoch-003.apr", ddp / "ckpt" / "epoch-003.apr") == 0.0


@pytest.mark.falsifies("GATE-DIST-PREFLIGHT")
def test_a_preflight_refusal_on_rank_1_only_stops_both_ranks_with_exit_3(data: tuple[Path, Path, Path]) -> None:
    root, ds, tok = data
    run_dir = root / "refused"
    proc = _apr(argv(ds, tok, run_dir, "--nproc", "2", **RUN), fault="preflight:1")
    assert proc.returncode == 3, proc.stderr[-3000:]
    err = proc.stderr
    assert "apr: error: GATE-DATA-001: rank 1: cannot read" in err  # rank 1's own line
    assert "GATE-DIST-PREFLIGHT: rank 0 stops: preflight refused on rank(s) 1" in err  # rank 0 quotes it
    assert "rank 0: exit 3" in err and "rank 1: exit 3" in err, err[-2000:]  # both ranks exited 3
    assert not (run_dir / "run.json").exists() and not (run_dir / "ckpt").exists()  # no work was done
