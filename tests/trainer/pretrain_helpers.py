"""Tiny, learnable corpora and argv builders for the ``apr pretrain`` tests.

The corpus is a vocab-sized set of short "sentences" repeated in a seeded
order: learnable in a few dozen steps by the ``tiny`` preset, yet not
trivially constant, so losses move and gates see realistic traces.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

# Tiny models on a shared 2-core machine: intra-op threads only add contention
# (measured 10x slower with 2 threads under load). Set once for these tests.
torch.set_num_threads(1)

VOCAB = 256
SEQ = 16
BATCH = 4


def write_vocab(directory: Path, vocab_size: int = VOCAB) -> Path:
    """A tokenizer dir holding only vocab.json (valid for training, as in the seed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(vocab_size)}), encoding="utf-8")
    return directory


def learnable_tokens(n_tokens: int, vocab_size: int = VOCAB, seed: int = 0, phrases: int = 32) -> np.ndarray:
    """``n_tokens`` ids < vocab_size: ``phrases`` fixed 12-token phrases in a seeded random order."""
    rng = np.random.default_rng(seed)
    table = rng.integers(0, vocab_size, size=(phrases, 12))
    order = rng.integers(0, phrases, size=n_tokens // 12 + 1)
    return table[order].reshape(-1)[:n_tokens].astype(np.uint32)


def write_shards(directory: Path, tokens: np.ndarray, per_shard: int | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if len(tokens) == 0:
        (directory / "shard-00000.bin").write_bytes(b"")
        return directory
    per_shard = per_shard or len(tokens)
    for i, start in enumerate(range(0, len(tokens), per_shard)):
        tokens[start : start + per_shard].astype("<u4").tofile(directory / f"shard-{i:05d}.bin")
    return directory


def make_data(root: Path, *, n_tokens: int = 12_000, vocab_size: int = VOCAB, seed: int = 0,
              phrases: int = 32) -> tuple[Path, Path]:
    """(dataset dir, tokenizer dir) under ``root``."""
    ds = write_shards(root / "shards", learnable_tokens(n_tokens, vocab_size, seed, phrases))
    tok = write_vocab(root / "tok", vocab_size)
    return ds, tok


def argv(ds: Path, tok: Path, run_dir: Path, *extra: str, **flags: object) -> list[str]:
    """``apr pretrain`` argv for the tiny preset; ``flags`` override (``num_steps=4`` -> ``--num-steps 4``)."""
    base: dict[str, object] = {
        "mode": "from-scratch", "model": "tiny", "vocab_size": VOCAB, "num_steps": 6, "batch_size": BATCH,
        "seq_length": SEQ, "steps_per_epoch": 2, "val_batches": 2, "lr": 3e-3, "warmup_steps": 2,
        "device": "cpu", "min_epochs": 1,
    }
    base.update(flags)
    out = ["pretrain", "--dataset", str(ds), "--tokenizer", str(tok), "--run-dir", str(run_dir)]
    for key, value in base.items():
        if value is not None:
            out += [f"--{key.replace('_', '-')}", str(value)]
    return [*out, "--no-progress", *extra]


def options(ds: Path, tok: Path, run_dir: Path, **kw: object):  # -> TrainOptions
    """TrainOptions matching ``argv``'s defaults, for in-process runs."""
    from trainer.train.options import TrainOptions

    base: dict[str, object] = {
        "dataset": ds, "tokenizer": tok, "run_dir": run_dir, "mode": "from-scratch", "model": "tiny",
        "vocab_size": VOCAB, "num_steps": 6, "batch_size": BATCH, "seq_length": SEQ, "steps_per_epoch": 2,
        "val_batches": 2, "lr": 3e-3, "warmup_steps": 2, "target_val_loss": 3.0, "device": "cpu", "min_epochs": 1,
        "progress": False,
    }
    base.update(kw)
    return TrainOptions(**base)  # type: ignore[arg-type]


def train(ds: Path, tok: Path, run_dir: Path, *, step_hook=None, **kw: object):  # -> RunResult
    """Preflight + loop in-process, as `apr pretrain` runs them."""
    from trainer.train.loop import run_training
    from trainer.train.preflight import run_preflight

    return run_training(run_preflight(options(ds, tok, run_dir, **kw)), step_hook=step_hook)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def forbid_model_allocation(monkeypatch) -> None:  # monkeypatch: pytest.MonkeyPatch
    """Make any real model construction fail the test; meta-device builds (shape planning) stay allowed."""
    import trainer.model

    original = trainer.model.LlamaForCausalLM.__init__

    def guarded(self, *args, **kwargs) -> None:
        if torch.get_default_device().type != "meta":
            raise AssertionError("a model was allocated before preflight refused the input")
        original(self, *args, **kwargs)

    monkeypatch.setattr(trainer.model.LlamaForCausalLM, "__init__", guarded)
