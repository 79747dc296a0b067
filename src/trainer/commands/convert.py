"""`apr convert SRC OUT --to apr|hf|tokenizer`: between HF dirs and APR; GGUF is read-only.

Every conversion goes through the init path (``inspect_init``), so what is
written is exactly what `--init` would load: fp32, Hugging Face names and
layout (GGUF Q/K rows un-permuted), only the model's parameters (harmless
extras such as rotary caches or a tied duplicate head are dropped and listed).
The checkpoint's tokenizer travels with it (embedded in APR metadata under
``tokenizer.json``; tokenizer.json/vocab.json/merges.txt in an HF dir).
``--to tokenizer`` extracts only the tokenizer, e.g. SmolLM2's from its GGUF,
to drive ``apr tokenize encode-corpus``.
"""

from __future__ import annotations

import argparse

HELP = "convert a checkpoint (APR, HF dir, GGUF read-only) to APR or an HF dir, or extract its tokenizer"
TARGETS = ("apr", "hf", "tokenizer")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", help="source: .apr, .gguf, or a HF dir (config.json + model.safetensors)")
    parser.add_argument("out", help="destination: an .apr file, or a directory for --to hf/tokenizer")
    parser.add_argument("--to", required=True, choices=TARGETS, help="output format (GGUF is never written)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing destination")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from trainer.checkpoint.convert import convert

    summary = convert(Path(args.src), Path(args.out), to=args.to, force=args.force)
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        sys.stdout.write(f"wrote {summary['out']} ({args.to}, {summary['tensors']} tensors)\n")
        for name, why in summary["dropped"]:
            sys.stdout.write(f"  dropped {name}: {why}\n")
    return 0
