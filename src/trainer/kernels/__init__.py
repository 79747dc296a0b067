"""Fused kernels for the training path: a Triton forward+backward beside each pure-torch reference.

One module per kernel (rmsnorm, rope, swiglu, fused_ce); ``dispatch`` picks the
set a run uses (``--kernels auto|torch|triton``). Importing this package does
not import Triton: kernels are decorated on first use, so ``TRITON_INTERPRET``
is read when a kernel first runs, not when the trainer starts.
"""
