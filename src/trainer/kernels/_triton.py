"""Shared Triton helpers: lazy import, interpreter detection and block-size heuristics.

Why a heuristic instead of ``@triton.autotune``: autotune with several configs
does not run under ``TRITON_INTERPRET=1`` (the CPU path CI proves the kernels
on), and the shapes here (rows x hidden, rows x vocab) need one obvious choice:
the whole row in one block up to a cap, fewer/larger programs in the
interpreter, whose cost grows with the number of program instances.
"""

from __future__ import annotations

import os
from typing import Any

MAX_BLOCK = 1 << 16  # elements per row block (Triton's per-tensor limit is 2**20; 64k keeps registers sane)
CE_BLOCK_V = 1 << 15  # vocab block of the cross-entropy row kernel (online logsumexp over the rest)


def interpreting() -> bool:
    """True when Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def import_triton() -> tuple[Any, Any]:
    """``(triton, triton.language)``, refusing an interpreter switch that changed since triton was imported.

    Triton decorates its own ``tl`` helpers (``tl.sigmoid``, ``tl.max``, ...)
    when it is first imported, and torch imports triton early (building an
    optimizer imports ``torch._dynamo``). So ``TRITON_INTERPRET`` must be set
    before the process starts; a kernel decorated under another setting would
    fail deep inside a step with an obscure error, hence this clear one.
    """
    import triton
    import triton.language as tl

    imported_interpreted = type(tl.sigmoid).__name__ == "InterpretedFunction"
    if imported_interpreted != interpreting():
        raise RuntimeError(
            f"TRITON_INTERPRET is {int(interpreting())} now but was {int(imported_interpreted)} when triton was "
            "imported; set it in the environment before the process starts"
        )
    return triton, tl


def next_power_of_2(n: int) -> int:
    """Smallest power of two >= n (>= 1); triton.next_power_of_2 without importing Triton."""
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def row_block(n_cols: int) -> int:
    """One block that covers a row of ``n_cols`` (masked tail), capped at MAX_BLOCK."""
    if n_cols > MAX_BLOCK:
        raise ValueError(f"row of {n_cols} elements exceeds the kernel's one-block limit {MAX_BLOCK}")
    return next_power_of_2(n_cols)


def num_warps_for(block: int) -> int:
    """More warps for wider rows (Liger/Unsloth's rule of thumb), 4..32."""
    if block >= 32768:
        return 32
    if block >= 8192:
        return 16
    if block >= 2048:
        return 8
    return 4


def row_tile(n_rows: int, block_cols: int) -> int:
    """Rows per program for a 2-D [rows, cols] tile.

    GPU: enough rows that a tile holds ~4k elements (narrow rows would leave a
    program idle), at most 64. Interpreter: as many rows as fit 64k elements,
    because there every program instance is a Python-level pass over numpy.
    """
    budget = MAX_BLOCK if interpreting() else 4096
    return max(1, min(next_power_of_2(max(1, n_rows)), budget // block_cols, 64 if not interpreting() else MAX_BLOCK))


def reduction_programs(n_rows: int, device_index: int | None) -> int:
    """Programs for a row-parallel reduction (RMSNorm's weight gradient): few, each owning a row range.

    On a GPU: 4 per SM so every SM stays busy; in the interpreter: at most 4,
    since each program instance is a Python-level loop there.
    """
    if interpreting() or device_index is None:
        return max(1, min(n_rows, 4))
    import torch

    sms = torch.cuda.get_device_properties(device_index).multi_processor_count
    return max(1, min(n_rows, 4 * sms))
