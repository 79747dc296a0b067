"""In-process checks of the distributed pieces (no process group): reader partition, launcher argv, flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pretrain_helpers import argv, make_data

from trainer.cli import main
from trainer.data.reader import WindowReader
from trainer.errors import PreflightError
from trainer.train import distributed
from trainer.train.launch import _status, strip_nproc


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    return make_data(tmp_path)[0]


@pytest.mark.falsifies("INV-DIST-003")
def test_ranks_read_disjoint_windows_whose_union_is_the_one_process_global_batch(shards: Path) -> None:
    world = 2
    ranks = [WindowReader(shards, 16, 4, seed=7, val_batches=2, rank=r, world_size=world) for r in range(world)]
    single = WindowReader(shards, 16, 4 * world, seed=7, val_batches=1)  # same 8 val windows, batch 8
    accum = WindowReader(shards, 16, 4, seed=7, val_batches=2)  # 1 rank, 2 accumulation steps
    assert ranks[0].batches_per_epoch == ranks[1].batches_per_epoch == single.batches_per_epoch
    seen: set[int] = set()
    for _ in range(2 * ranks[0].batches_per_epoch + 1):  # past an epoch boundary: a new permutation
        parts = [r.next_windows() for r in ranks]
        assert not set(parts[0].tolist()) & set(parts[1].tolist())  # disjoint within the step
        both = np.concatenate(parts)
        assert both.tolist() == single.next_windows().tolist()  # = the one-process global batch
        assert both.tolist() == np.concatenate([accum.next_windows(), accum.next_windows()]).tolist()
        seen.update(both.tolist())
        assert ranks[0].state_dict() == ranks[1].state_dict()  # the position is global: one state for all
    assert not seen & set(ranks[0]._val_windows.tolist())  # never a held-out window
    assert ranks[0].cycles == 2


@pytest.mark.falsifies("GATE-DIST-WORLD")
def test_reader_state_records_the_world_size_and_refuses_another(shards: Path) -> None:
    two = WindowReader(shards, 16, 4, seed=7, val_batches=2, rank=1, world_size=2)
    two.next_windows()
    state = two.state_dict()
    assert state["world_size"] == 2
    one = WindowReader(shards, 16, 4, seed=7, val_batches=2)
    with pytest.raises(Exception, match=r"GATE-DATA-004.*world_size: run has 1, state has 2"):
        one.load_state_dict(state)
    legacy = {k: v for k, v in one.state_dict().items() if k != "world_size"}  # a state from before ranks
    one.load_state_dict(legacy)


def test_reader_refuses_a_rank_outside_the_world(shards: Path) -> None:
    with pytest.raises(PreflightError, match="rank 2 is outside world size 2"):
        WindowReader(shards, 16, 4, seed=7, val_batches=2, rank=2, world_size=2)


@pytest.mark.falsifies("INV-DIST-003")
def test_val_share_gives_every_batch_to_one_rank_and_pads_to_equal_forwards(monkeypatch: pytest.MonkeyPatch) -> None:
    def shares(batches: list[int]) -> list[tuple[list[int], int]]:
        out = []
        for rank in range(2):
            monkeypatch.setattr(distributed, "current", lambda r=rank: distributed.World(r, 2, r))
            out.append(distributed.val_share(batches))
        return out

    assert shares(list(range(5))) == [([0, 2, 4], 0), ([1, 3], 1)]
    assert shares([0]) == [([0], 0), ([], 1)]  # a rank with no batch still runs one (discarded) forward


def test_strip_nproc_removes_only_the_launcher_flag() -> None:
    assert strip_nproc(["--debug", "pretrain", "--nproc", "2", "--shard", "fsdp", "--nproc=3", "--run-dir", "r"]) \
        == ["--debug", "pretrain", "--shard", "fsdp", "--run-dir", "r"]
    assert _status(-9) == "signal SIGKILL" and _status(3) == "exit 3"


@pytest.mark.falsifies("GATE-DIST-PREFLIGHT")
def test_world_from_env_reads_torchrun_variables_and_refuses_nonsense() -> None:
    assert distributed.world_from_env({}) == distributed.World(0, 1, 0)
    assert distributed.world_from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}).rank == 1
    with pytest.raises(Exception, match="GATE-DIST-ENV: RANK=2 is outside WORLD_SIZE=2"):
        distributed.world_from_env({"RANK": "2", "WORLD_SIZE": "2"})
    assert distributed.backend_for("cpu") == "gloo" and distributed.backend_for("cuda:1") == "nccl"
    with pytest.raises(PreflightError, match="APR_DIST_TIMEOUT='0'"):
        distributed.timeout_seconds({"APR_DIST_TIMEOUT": "0"})
    assert distributed.timeout_seconds({}) == distributed.DEFAULT_TIMEOUT_S


def test_single_process_helpers_are_the_identity() -> None:
    assert distributed.current() == distributed.World()
    assert distributed.sum_floats(1.5, 2.0) == (1.5, 2.0)
    assert distributed.gather_floats(3.0) == [3.0]


@pytest.mark.falsifies("GATE-DIST-PREFLIGHT")
def test_bad_distributed_flags_are_refused_before_any_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = make_data(tmp_path)
    assert main(argv(ds, tok, tmp_path / "a", nproc=0)) == 3
    assert "GATE-PREFLIGHT-ARGS: --nproc 0 must be >= 1" in capsys.readouterr().err
    assert main(argv(ds, tok, tmp_path / "b", "--synthetic", nproc=2)) == 3
    assert "cannot run distributed" in capsys.readouterr().err
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(argv(ds, tok, tmp_path / "c", nproc=2)) == 3
    assert "under torchrun (WORLD_SIZE is already 2)" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


def test_the_rank_named_first_is_the_cause_not_the_rank_that_reacted() -> None:
    """torchelastic stamps a rank that left no error file (SIGKILL) in whole seconds when it notices it: a
    peer that aborted on the lost collective (SIGABRT) in the same second must not be named first."""
    import signal
    from types import SimpleNamespace

    from trainer.train.launch import _first_failure

    def failure(exitcode: int, timestamp: int) -> SimpleNamespace:
        return SimpleNamespace(exitcode=exitcode, timestamp=timestamp)

    killed = {0: failure(-signal.SIGABRT, 100), 1: failure(-signal.SIGKILL, 100)}
    assert _first_failure(killed)[0] == 1
    refused = {0: failure(-signal.SIGTERM, 100), 1: failure(3, 100)}  # the launcher stopped rank 0 after rank 1's exit 3
    assert _first_failure(refused)[0] == 1
    earlier = {0: failure(-signal.SIGABRT, 99), 1: failure(-signal.SIGKILL, 100)}  # time still decides first
    assert _first_failure(earlier)[0] == 0
