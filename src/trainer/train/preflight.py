"""Gates that refuse bad input before any model is allocated (exit 3).

Order (cheap first; nothing here builds a model or touches the accelerator
beyond asking whether it exists):

1. ``GATE-PREFLIGHT-ARGS``  numbers: target > 0, num_steps >= 0, steps_per_epoch > 0, ...
2. ``GATE-GPUTRAIN-002``    an explicit cuda device without CUDA is fatal
3. architecture: the preset (``--model``/``--vocab-size``) or, with ``--init``,
   ``inspect_init`` (FALSIFY-APR-PRETRAIN-INIT-003/004/005, ARCH-007, INIT-ARCH-MATCH-001)
4. ``GATE-ARCH-370M-011``   tokenizer vocab == model vocab (``<=`` under ``--init``: RELAXED)
   ``GATE-TRAIN-005``       decided early: --mode finetune without --init when ln V > 10 (certain abort)
5. ``GATE-DATA-001``        the dataset (and ``--val-shard``) exists and holds tokens
   ``GATE-DATA-003``        no ``--val-shard`` file is (or has the bytes of) a ``--dataset`` file
6. ``GATE-PREFLIGHT-TOKEN-RANGE`` (INV-PRETOK-001) no token id >= the model vocab, never clamped
7. ``GATE-PREFLIGHT-SEQ``   seq_length <= the model's max positions
8. ``GATE-DATA-005``        the corpus holds the held-out set and one batch (the reader)
9. ``GATE-CORPUS-PREFLIGHT`` (FALSIFY-CORPUS-004) planned tokens vs corpus: refuse
   unless ``--allow-shard-cycle``, which cycles with a warning
10. ``GATE-PREFLIGHT-RUNDIR`` the run dir is writable and holds no other run unless ``--resume``
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.errors import (
    FALSIFY_APR_PRETRAIN_ARCH_010,
    FALSIFY_CORPUS_004,
    GATE_ARCH_370M_011,
    GATE_ARCH_370M_011_RELAXED,
    GATE_CORPUS_PREFLIGHT,
    GATE_DATA_003,
    GATE_PREFLIGHT_ARGS,
    GATE_PREFLIGHT_RESUME,
    GATE_PREFLIGHT_RUNDIR,
    GATE_PREFLIGHT_SEQ,
    GATE_PREFLIGHT_TOKEN_RANGE,
    GATE_TRAIN_005,
    INV_ARCH_370M_006,
    INV_PRETOK_001,
    PreflightError,
)
from trainer.hashing import file_sha256
from trainer.train.device import ResolvedDevice, resolve_device
from trainer.train.options import FINETUNE_EPOCH0_CAP, TrainOptions

if TYPE_CHECKING:  # pragma: no cover - typing only
    from trainer.config import ModelConfig
    from trainer.data.reader import WindowReader

RUN_FILE = "run.json"
RESUME_FILE = "ckpt/resume.json"
# Files whose presence means a run dir already holds a run.
RUN_MARKERS = (RUN_FILE, "result.json", "train.jsonl", "ckpt")


@dataclass
class PreflightReport:
    """What preflight established; the loop consumes it and re-checks nothing."""

    options: TrainOptions
    device: ResolvedDevice
    model_config: ModelConfig
    init_spec: Any | None
    tokenizer_vocab: int | None
    reader: WindowReader | None
    max_token_id: int | None = None
    train_tokens_per_pass: int = 0
    cycle_factor: float = 0.0
    warnings: list[str] = field(default_factory=list)


MAX_LR = 1.0
"""The largest --lr accepted (the modes use 5e-5 and 3e-4)."""


def check_run_numbers(opts: TrainOptions) -> None:
    """GATE-PREFLIGHT-ARGS: the numbers a loop needs, each with its bound in the message."""
    rules: list[tuple[str, object, bool, str]] = [
        ("--target-val-loss", opts.target_val_loss, opts.target_val_loss > 0 and math.isfinite(opts.target_val_loss),
         "> 0"),
        ("--num-steps", opts.num_steps, opts.num_steps >= 0, ">= 0"),
        ("--steps-per-epoch", opts.steps_per_epoch, opts.steps_per_epoch > 0, "> 0"),
        ("--batch-size", opts.batch_size, opts.batch_size > 0, "> 0"),
        ("--seq-length", opts.seq_length, opts.seq_length > 0, "> 0"),
        ("--grad-accum", opts.grad_accum, opts.grad_accum > 0, "> 0"),
        # Adam's step is ~lr per weight: above 1 every step rewrites the weights wholesale, and
        # 1e308 made the first step overflow into an exit-4 abort instead of a refusal.
        ("--lr", opts.lr, 0 < opts.lr <= MAX_LR, f"> 0 and <= {MAX_LR:g}"),
        ("--warmup-steps", opts.warmup_steps, opts.warmup_steps >= 0, ">= 0"),
        ("--val-batches", opts.val_batches, opts.val_batches > 0, "> 0"),
        ("--patience", opts.patience, opts.patience >= 0, ">= 0"),
        ("--min-epochs", opts.min_epochs, opts.min_epochs >= 0, ">= 0"),
        # torch.manual_seed and numpy's generators take 0 <= seed < 2**63; outside it they crash.
        ("--seed", opts.seed, 0 <= opts.seed < 2**63, f">= 0 and < 2**63 ({2**63})"),
    ]
    for flag, value, ok, bound in rules:
        if not ok:
            raise PreflightError(GATE_PREFLIGHT_ARGS, f"{flag} {value} is invalid: must be {bound}",
                                 fix=f"pass a value {bound} for {flag}")
    if opts.vocab_size is not None and opts.init is not None:
        raise PreflightError(GATE_PREFLIGHT_ARGS,
                             "--vocab-size conflicts with --init: the architecture comes from the checkpoint",
                             fix="drop --vocab-size")
    if opts.vocab_size is not None and opts.vocab_size < 1:
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"--vocab-size {opts.vocab_size} must be > 0",
                             fix="pass the tokenizer's vocab size")


def resolve_model_config(opts: TrainOptions) -> tuple[ModelConfig, Any | None]:
    """The architecture: from ``--init`` (never the preset) or from ``--model``/``--vocab-size``."""
    if opts.init is not None:
        from trainer.checkpoint.init import inspect_init

        spec = inspect_init(opts.init)
        return spec.config, spec
    from trainer.errors import AprError
    from trainer.presets import get_preset

    overrides = {"vocab_size": opts.vocab_size} if opts.vocab_size is not None else {}
    try:
        return get_preset(opts.model, **overrides), None
    except PreflightError:
        raise
    except AprError as exc:  # unknown preset (FM-ARCH-UNKNOWN-PRESET): a preflight refusal, exit 3
        raise PreflightError(exc.gate_id, exc.detail, fix=exc.fix) from None


def check_vocab(tokenizer_vocab: int, model_vocab: int, *, relaxed: bool, tokenizer: str, model: str) -> None:
    """GATE-ARCH-370M-011: ``==`` from scratch; RELAXED ``<=`` when the model comes from ``--init``.

    Under ``--init`` a smaller tokenizer is fine (Qwen: 151,665 ids vs 151,936
    embedding rows); a larger one would index embedding rows that do not exist.
    """
    if relaxed:
        if tokenizer_vocab > model_vocab:
            raise PreflightError(
                GATE_ARCH_370M_011_RELAXED,
                f"violated ({FALSIFY_APR_PRETRAIN_ARCH_010}): tokenizer vocab_size ({tokenizer_vocab}) > "
                f"init model vocab_size ({model_vocab}) [tokenizer {tokenizer}, init {model}]: ids "
                f"{model_vocab}..{tokenizer_vocab - 1} would be OOB (out-of-bounds) embedding rows",
                fix="use the tokenizer that ships with the init checkpoint (RELAXED gate: tokenizer <= model)",
            )
        return
    if tokenizer_vocab != model_vocab:
        raise PreflightError(
            GATE_ARCH_370M_011,
            f"{INV_ARCH_370M_006} violated: tokenizer vocab_size ({tokenizer_vocab}) != model vocab_size "
            f"({model_vocab}) [tokenizer {tokenizer}, model {model}]",
            fix=f"retrain the tokenizer with --vocab-size {model_vocab}, or build the model for this tokenizer "
            f"(--vocab-size {tokenizer_vocab}); the tokenizer and model contracts move in lockstep",
        )


def check_token_range(max_token_id: int, model_vocab: int, dataset: Path) -> None:
    """GATE-PREFLIGHT-TOKEN-RANGE (INV-PRETOK-001): every id < V. Never clamped or remapped."""
    if max_token_id >= model_vocab:
        raise PreflightError(
            GATE_PREFLIGHT_TOKEN_RANGE,
            f"{INV_PRETOK_001} violated: dataset {dataset} holds token id {max_token_id} >= model vocab_size "
            f"{model_vocab} (ids must lie in [0, {model_vocab - 1}])",
            fix="re-encode the corpus with the tokenizer that matches the model (`apr tokenize encode-corpus`)",
        )


def check_val_disjoint(train_files: list[Path], val_files: list[Path], *, dataset: Path, val_shard: Path) -> None:
    """GATE-DATA-003: with ``--val-shard`` every window of ``--dataset`` trains, so the held-out
    files must not be training files: refuse the same file (``os.path.samefile``) or the same bytes
    (sha256). Sizes are compared first so that only same-size files are hashed."""
    hashes: dict[Path, str] = {}

    def sha(f: Path) -> str:
        if f not in hashes:
            hashes[f] = file_sha256(f)
        return hashes[f]

    for v in val_files:
        v_size = v.stat().st_size
        for t in train_files:
            if os.path.samefile(v, t):
                why = "is the same file as"
            elif v_size == t.stat().st_size and sha(v) == sha(t):
                why = "has the same content (sha256) as"
            else:
                continue
            raise PreflightError(
                GATE_DATA_003,
                f"--val-shard {val_shard}: held-out file {v} {why} training file {t} of --dataset {dataset}; "
                f"with --val-shard every --dataset window trains, so validation would score training data",
                fix="point --val-shard at shards encoded from held-out text (or drop --val-shard to hold out "
                "windows of --dataset)",
            )


def check_seq_length(seq_length: int, max_positions: int, model: str) -> None:
    """GATE-PREFLIGHT-SEQ: rotary tables are sized for ``max_position_embeddings``."""
    if seq_length > max_positions:
        raise PreflightError(
            GATE_PREFLIGHT_SEQ,
            f"--seq-length {seq_length} exceeds model {model} max_position_embeddings {max_positions}",
            fix=f"pass --seq-length <= {max_positions}",
        )


def check_regime(mode: str, vocab_size: int, *, has_init: bool) -> None:
    """GATE-TRAIN-005 decided early: fine-tune caps the step-0 val_loss at 10.0, and a randomly
    initialised model scores about ln V there, so with ln V > 10 (V > 22026) the run would abort
    after building the model and evaluating it. Refuse before spending that compute.
    """
    ln_v = math.log(vocab_size)
    if mode == "finetune" and not has_init and ln_v > FINETUNE_EPOCH0_CAP:
        raise PreflightError(
            GATE_TRAIN_005,
            f"--mode finetune without --init would fire at step 0: a randomly initialised model scores about "
            f"ln({vocab_size}) = {ln_v:.2f} > the finetune epoch-0 cap {FINETUNE_EPOCH0_CAP}",
            fix="pass --mode from-scratch to train from random weights, or --init a pretrained checkpoint",
        )


def check_corpus_budget(
    *, planned_tokens: int, batches_per_pass: int, batch_tokens: int, allow_cycle: bool, grad_accum: int = 1
) -> tuple[float, str | None]:
    """GATE-CORPUS-PREFLIGHT (FALSIFY-CORPUS-004): planned tokens vs one pass over the corpus.

    Returns ``(factor, warning)``. Over budget without ``--allow-shard-cycle`` is
    a refusal; with it, a warning (the reader then cycles, logging
    GATE-TRAIN-EXHAUST at the first wrap; it never emits placeholder losses).
    One optimizer step that needs more micro-batches than a pass holds is refused
    even with the flag: it would count the same windows twice inside one gradient
    (cycling repeats the corpus across steps, not within one), and it is how
    ``--grad-accum 1000000000`` used to run without end.
    """
    if grad_accum > batches_per_pass:
        raise PreflightError(
            GATE_CORPUS_PREFLIGHT,
            f"--grad-accum {grad_accum} needs {grad_accum} micro-batches per optimizer step but one pass over "
            f"the corpus holds {batches_per_pass}; one step would read the same windows more than once",
            fix=f"pass --grad-accum <= {batches_per_pass} (or lower --batch-size), or add data",
        )
    planned = planned_tokens
    planned_batches = planned_tokens // batch_tokens if batch_tokens else 0
    available = batches_per_pass * batch_tokens
    factor = planned / available if available else math.inf
    if planned <= available:
        return factor, None
    text = (
        f"planned_tokens={planned} exceeds corpus train tokens per pass={available} (factor {factor:.2f}x; "
        f"{planned_batches} batches planned, {batches_per_pass} per pass)"
    )
    if not allow_cycle:
        raise PreflightError(
            GATE_CORPUS_PREFLIGHT,
            f"{FALSIFY_CORPUS_004}: {text}",
            fix="add data, lower --num-steps/--batch-size/--grad-accum, or pass --allow-shard-cycle to repeat it",
        )
    return factor, f"{GATE_CORPUS_PREFLIGHT}: {text}; cycling the corpus because --allow-shard-cycle was given"


def check_run_dir(run_dir: Path, *, resume: bool) -> None:
    """GATE-PREFLIGHT-RUNDIR: writable; empty of other runs unless ``--resume`` (which needs one)."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise PreflightError(GATE_PREFLIGHT_RUNDIR, f"--run-dir {run_dir} exists and is not a directory",
                             fix="pass a directory path")
    probe = run_dir
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PreflightError(GATE_PREFLIGHT_RUNDIR, f"--run-dir {run_dir} is not writable ({probe} denies writes)",
                             fix="choose a writable --run-dir")
    found = [m for m in RUN_MARKERS if (run_dir / m).exists()]
    committed = (run_dir / RESUME_FILE).is_file()
    # A run killed before its first checkpoint commit left files but no resume point: neither a
    # fresh run nor --resume can use the folder, and both refusals give the same one way forward.
    uncommitted_fix = f"remove the partial run (rm -r {run_dir}) and start again without --resume, or choose an empty --run-dir"
    if resume:
        if not committed:
            raise PreflightError(
                GATE_PREFLIGHT_RUNDIR,
                f"--resume: {run_dir} holds no checkpoint to resume ({RESUME_FILE} missing"
                + (f"; found {', '.join(found)}: a run killed before its first checkpoint commit" if found else "")
                + ")",
                fix=uncommitted_fix if found else "drop --resume to start a new run, or point --run-dir at an interrupted run",
            )
        from trainer.atomic import remove_stale_temps

        removed = remove_stale_temps(run_dir, run_dir / "ckpt")  # the killed writer is gone
        if removed:
            sys.stderr.write(f"resume: removed {len(removed)} temporary file(s) left by killed writes "
                             f"({', '.join(p.name for p in removed[:3])}{' ...' if len(removed) > 3 else ''})\n")
        return
    if found and committed:
        raise PreflightError(
            GATE_PREFLIGHT_RUNDIR,
            f"--run-dir {run_dir} already holds a run (found {', '.join(found)})",
            fix="pass --resume to continue it, or choose an empty --run-dir",
        )
    if found:
        raise PreflightError(
            GATE_PREFLIGHT_RUNDIR,
            f"--run-dir {run_dir} already holds a run (found {', '.join(found)}) that never committed a checkpoint "
            f"({RESUME_FILE} missing), so --resume cannot continue it",
            fix=uncommitted_fix,
        )


def check_resume_matches(run_dir: Path, opts: TrainOptions) -> None:
    """GATE-PREFLIGHT-RESUME: the same settings as the run it continues, and intact checkpoint files."""
    try:
        from trainer.checkpoint.bounded_json import load_bounded  # a hand-edited run.json may be hostile too

        recorded = load_bounded((Path(run_dir) / RUN_FILE).read_bytes())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PreflightError(GATE_PREFLIGHT_RESUME, f"--resume: cannot read {Path(run_dir) / RUN_FILE} ({exc})",
                             fix="start a new run in an empty --run-dir") from None
    current = json.loads(json.dumps(opts.fingerprint()))
    diffs = [f"{k}: was {recorded.get(k)!r}, now {current[k]!r}" for k in current if recorded.get(k) != current[k]]
    if diffs:
        raise PreflightError(
            GATE_PREFLIGHT_RESUME,
            f"--resume with different settings than the interrupted run ({'; '.join(diffs)})",
            fix="repeat the original command line plus --resume",
        )
    from trainer.train.state import check_resume_files

    check_resume_files(Path(run_dir))  # resume.json keys, optimizer sha256, checkpoint header/CRC


def run_preflight(opts: TrainOptions, *, rank: int = 0) -> PreflightReport:
    """Every refusal that can happen before allocation, in the documented order (on every rank)."""
    check_run_numbers(opts)
    device = resolve_device(opts.device)
    if opts.tokenizer is None or opts.dataset is None:
        missing = "--dataset" if opts.dataset is None else "--tokenizer"
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"{missing} is required for a real run",
                             fix=f"pass {missing} (or --synthetic for a scripted dry run)")
    config, spec = resolve_model_config(opts)
    from trainer.data.reader import WindowReader
    from trainer.data.shards import ShardSet
    from trainer.data.tokenizer import count_vocab

    tok_vocab = count_vocab(opts.tokenizer)
    model_desc = str(opts.init) if spec is not None else f"preset {config.name}"
    check_vocab(tok_vocab, config.vocab_size, relaxed=spec is not None, tokenizer=str(opts.tokenizer),
                model=model_desc)
    check_regime(opts.mode, config.vocab_size, has_init=spec is not None)
    shards = ShardSet.open(opts.dataset)
    val_shards = ShardSet.open(opts.val_shard) if opts.val_shard is not None else None
    max_id = shards.max_token_id()
    check_token_range(max_id, config.vocab_size, opts.dataset)
    if val_shards is not None:
        check_val_disjoint(shards.files, val_shards.files, dataset=opts.dataset,
                           val_shard=opts.val_shard)  # type: ignore[arg-type]
        check_token_range(val_shards.max_token_id(), config.vocab_size, opts.val_shard)  # type: ignore[arg-type]
    check_seq_length(opts.seq_length, config.max_position_embeddings, model_desc)
    reader = WindowReader(shards, opts.seq_length, opts.batch_size, opts.seed, opts.val_batches, val_shards,
                          rank=rank, world_size=opts.world_size)
    factor, warning = check_corpus_budget(
        planned_tokens=opts.planned_tokens,
        batches_per_pass=reader.batches_per_epoch,
        batch_tokens=opts.batch_size * opts.world_size * opts.seq_length,
        allow_cycle=opts.allow_shard_cycle,
        grad_accum=opts.grad_accum,
    )
    check_run_dir(opts.run_dir, resume=opts.resume)
    if opts.resume:
        check_resume_matches(opts.run_dir, opts)
    warnings = [warning] if warning else []
    if device.name == "cpu" and opts.device == "auto":
        warnings.append(f"device {device.note}")
    if spec is None and opts.mode == "finetune":
        warnings.append("--mode finetune without --init trains randomly initialised weights with fine-tune "
                        "defaults (epoch-0 cap 10.0); use --mode from-scratch or pass --init")
    if opts.num_steps and opts.warmup_steps >= opts.num_steps:
        warnings.append(f"--warmup-steps {opts.warmup_steps} >= --num-steps {opts.num_steps}: the learning rate "
                        f"never reaches its peak {opts.lr:.2e}")
    return PreflightReport(
        options=opts, device=device, model_config=config, init_spec=spec, tokenizer_vocab=tok_vocab,
        reader=reader, max_token_id=max_id, train_tokens_per_pass=reader.tokens_per_epoch,
        cycle_factor=factor, warnings=warnings,
    )
