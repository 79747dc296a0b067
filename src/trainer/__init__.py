"""apr: a Llama-family decoder trainer (pretrain from scratch, fine-tune from real checkpoints).

The package import stays light; torch is imported by the modules that need it.
"""

__version__ = "0.1.0"
