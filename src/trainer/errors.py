"""The one error type for problems a user can fix.

Every message names the gate or falsifier ID (so users can grep the contract),
the numbers involved and the fix. Raised before any model is allocated where
the check allows it.
"""

from __future__ import annotations

# Every gate, falsifier, invariant and failure-mode ID the trainer raises or prints: one definition
# per ID, named after its value ("-" -> "_"), so a message, its contract and its test share one
# grep-able string (tests/trainer/test_error_ids.py keeps string literals out of the rest of
# src/trainer).

# Architecture and presets (contracts/llama-370m-sovereign-v1.yaml).
INV_ARCH_370M_002 = "INV-ARCH-370M-002"  # num_heads * head_dim == hidden_size
INV_ARCH_370M_003 = "INV-ARCH-370M-003"  # num_kv_heads divides num_heads
INV_ARCH_370M_006 = "INV-ARCH-370M-006"  # tokenizer vocab_size == model vocab_size
GATE_ARCH_370M_011 = "GATE-ARCH-370M-011"  # the vocab preflight: tokenizer and model agree
GATE_ARCH_370M_011_RELAXED = "GATE-ARCH-370M-011-RELAXED"  # --init: tokenizer vocab <= model vocab
FM_ARCH_UNKNOWN_PRESET = "FM-ARCH-UNKNOWN-PRESET"  # --model names no preset
FM_ARCH_HF_CONFIG = "FM-ARCH-HF-CONFIG"  # a config.json that describes no supported model

# The --init path (contracts/apr-pretrain-from-init-v1.yaml, apr-pretrain-arch-polymorphic-v1.yaml).
FALSIFY_APR_PRETRAIN_INIT_003 = "FALSIFY-APR-PRETRAIN-INIT-003"  # step 1: the path does not exist
FALSIFY_APR_PRETRAIN_INIT_004 = "FALSIFY-APR-PRETRAIN-INIT-004"  # step 2: bad magic, empty, truncated, corrupt
FALSIFY_APR_PRETRAIN_INIT_005 = "FALSIFY-APR-PRETRAIN-INIT-005"  # steps 3-4: metadata names no decoder arch
FALSIFY_APR_PRETRAIN_INIT_011 = "FALSIFY-APR-PRETRAIN-INIT-011"  # step 8: tensors do not populate the model
FALSIFY_APR_PRETRAIN_INIT_012 = "FALSIFY-APR-PRETRAIN-INIT-012"  # pickle checkpoints are refused
FALSIFY_APR_PRETRAIN_ARCH_007 = "FALSIFY-APR-PRETRAIN-ARCH-007"  # step 5: encoder families
FALSIFY_APR_PRETRAIN_ARCH_010 = "FALSIFY-APR-PRETRAIN-ARCH-010"  # --init vocab larger than the tokenizer's
FALSIFY_INIT_ARCH_MATCH_001 = "FALSIFY-INIT-ARCH-MATCH-001"  # step 6: stamped family != tensor family

# Tokenizer, shards and the reader (contracts/tokenizer-bpe-v1.yaml).
GATE_BPE_001 = "GATE-BPE-001"  # a loadable, consistent tokenizer
GATE_BPE_007 = "GATE-BPE-007"  # corpus bytes the tokenizer cannot encode
GATE_BPE_008 = "GATE-BPE-008"  # a readable tokenizer.json
GATE_PRETOK_001 = "GATE-PRETOK-001"  # encoded ids lie in [0, vocab size)
GATE_PRETOK_002 = "GATE-PRETOK-002"  # tokenize arguments (EOS policy, specials, shard size)
INV_PRETOK_001 = "INV-PRETOK-001"  # every dataset token id is below the model vocab size
GATE_DATA_001 = "GATE-DATA-001"  # the input / dataset exists and holds data
GATE_DATA_003 = "GATE-DATA-003"  # held-out data is not training data
GATE_DATA_004 = "GATE-DATA-004"  # a reader state that matches this data
GATE_DATA_005 = "GATE-DATA-005"  # rank partitioning
GATE_TRAIN_EXHAUST = "GATE-TRAIN-EXHAUST"  # no silent corpus exhaustion

# Preflight: refused before any model is built (contracts/training-loop-pretrain-v1.yaml).
GATE_PREFLIGHT_ARGS = "GATE-PREFLIGHT-ARGS"
GATE_PREFLIGHT_TOKEN_RANGE = "GATE-PREFLIGHT-TOKEN-RANGE"
GATE_PREFLIGHT_SEQ = "GATE-PREFLIGHT-SEQ"
GATE_PREFLIGHT_RUNDIR = "GATE-PREFLIGHT-RUNDIR"
GATE_PREFLIGHT_RESUME = "GATE-PREFLIGHT-RESUME"
GATE_CORPUS_PREFLIGHT = "GATE-CORPUS-PREFLIGHT"  # the corpus covers the planned steps
FALSIFY_CORPUS_004 = "FALSIFY-CORPUS-004"
GATE_GPUTRAIN_002 = "GATE-GPUTRAIN-002"  # cuda requested without CUDA
GATE_KERNELS_001 = "GATE-KERNELS-001"  # --kernels

# Run-time gates during training (contracts/training-loop-pretrain-v1.yaml).
GATE_TRAIN_005 = "GATE-TRAIN-005"  # NON-DIVERGENCE
GATE_TRAIN_007 = "GATE-TRAIN-007"  # NaN/Inf guard
GATE_TRAIN_008 = "GATE-TRAIN-008"  # step metrics are finite
GATE_TRAIN_BASELINE = "GATE-TRAIN-BASELINE"  # from-scratch step-0 val near ln V
GATE_TRAIN_EVAL = "GATE-TRAIN-EVAL"  # val far below train is an evaluation bug

# Distributed training (contracts/distributed-training-v1.yaml).
GATE_DIST_ENV = "GATE-DIST-ENV"  # RANK / WORLD_SIZE / LOCAL_RANK / timeout environment
GATE_DIST_RANK = "GATE-DIST-RANK"  # a rank failed
GATE_DIST_WORLD = "GATE-DIST-WORLD"  # ranks disagree about the run
GATE_DIST_PREFLIGHT = "GATE-DIST-PREFLIGHT"  # preflight on every rank
GATE_DIST_COLLECTIVE = "GATE-DIST-COLLECTIVE"  # a collective failed


class AprError(Exception):
    """A refusal with a grep-able ID, e.g. ``AprError("GATE-ARCH-370M-011", "...")``."""

    exit_code = 2

    def __init__(self, gate_id: str, message: str, *, fix: str | None = None, exit_code: int | None = None):
        self.gate_id = gate_id
        self.detail = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code
        text = f"{gate_id}: {message}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class PreflightError(AprError):
    """Input refused before any compute (exit 3)."""

    exit_code = 3


class RunAborted(AprError):
    """A gate fired during training (exit 4); the result file still records it."""

    exit_code = 4
