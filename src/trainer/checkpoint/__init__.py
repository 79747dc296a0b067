"""Checkpoint formats: APR v2 (ours and aprender's), atomic writes, and --init readers."""
