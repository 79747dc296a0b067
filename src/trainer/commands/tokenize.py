"""`apr tokenize`: train a byte-level BPE tokenizer and encode a corpus into token shards.

    apr tokenize train --input PATH... --vocab-size N --out DIR
    apr tokenize encode-corpus --tokenizer DIR --input PATH... --out DIR
                               [--shard-tokens N] [--eos-policy none|between|after]
    apr tokenize check --tokenizer DIR [--input PATH...] [--json]

Inputs are files or directories (recursive, sorted): .py/.txt are one document
each, .jsonl one document per line's "text" field. `--input stdlib` (or
`stdlib:train` / `stdlib:val`) names the bundled Python standard library
corpus. Imports only argparse at module scope so `apr --help` stays fast.
"""

from __future__ import annotations

import argparse

HELP = "train a byte-level BPE tokenizer, encode a corpus into uint32 shards, check a tokenizer"

STDLIB_ALIASES = ("stdlib", "stdlib:train", "stdlib:val")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the train / encode-corpus / check subcommands."""
    sub = parser.add_subparsers(dest="tokenize_command", metavar="SUBCOMMAND", parser_class=type(parser))
    train = sub.add_parser("train", help="train a byte-level BPE (tokenizer.json + vocab.json + merges.txt)")
    train.add_argument("--input", nargs="+", required=True, metavar="PATH",
                       help="files/dirs (.py/.txt/.jsonl) or stdlib[:train|:val]")
    train.add_argument("--vocab-size", type=int, required=True, metavar="N",
                       help="total vocab incl. 4 special tokens and 256 byte tokens (>= 260)")
    train.add_argument("--out", required=True, metavar="DIR", help="output directory")
    train.add_argument("--min-frequency", type=int, default=2, metavar="N",
                       help="merge only pairs seen at least N times (default 2)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    enc = sub.add_parser("encode-corpus", help="encode text into shard-NNNNN.bin + manifest.json")
    enc.add_argument("--tokenizer", required=True, metavar="DIR", help="dir holding tokenizer.json (or the file)")
    enc.add_argument("--input", nargs="+", required=True, metavar="PATH",
                     help="files/dirs (.py/.txt/.jsonl) or stdlib[:train|:val]")
    enc.add_argument("--out", required=True, metavar="DIR", help="output directory for shards + manifest.json")
    enc.add_argument("--shard-tokens", type=int, default=None, metavar="N",
                     help="tokens per shard before starting a new one (default 50,000,000)")
    enc.add_argument("--eos-policy", choices=("none", "between", "after"), default="after",
                     help="EOS between documents, after every document (default), or none")
    enc.add_argument("--special-tokens", choices=("text", "control"), default="text",
                     help="text spelling a special token: encode as plain text (default) or as its control id")
    enc.add_argument("--overwrite", action="store_true", help="replace shards/manifest already in --out")
    enc.add_argument("--quiet", action="store_true", help="no progress bar")
    enc.add_argument("--json", action="store_true", help="print the manifest as JSON")

    chk = sub.add_parser("check", help="report vocab, special tokens, merges, round-trip and unk counts")
    chk.add_argument("--tokenizer", required=True, metavar="DIR", help="dir holding tokenizer.json (or the file)")
    chk.add_argument("--input", nargs="*", default=[], metavar="PATH",
                     help="documents to round-trip (files/dirs or stdlib[:train|:val])")
    chk.add_argument("--expect-vocab-size", type=int, default=None, metavar="N",
                     help="fail unless the vocab has exactly N entries")
    chk.add_argument("--json", action="store_true", help="print the report as JSON")


def resolve_inputs(raw: list[str]) -> list[str]:
    """Expand the ``stdlib`` aliases into the bundled corpus files; other paths pass through."""
    from trainer.data.corpus import stdlib_sources

    out: list[str] = []
    for item in raw:
        if item in STDLIB_ALIASES:
            splits = ("train", "val") if item == "stdlib" else (item.split(":", 1)[1],)
            for split in splits:
                out.extend(str(p) for p in stdlib_sources(split))  # type: ignore[arg-type]
        else:
            out.append(item)
    return out


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand; AprErrors propagate to the CLI's one-line printer."""
    command = getattr(args, "tokenize_command", None)
    if command == "train":
        return _train(args)
    if command == "encode-corpus":
        return _encode(args)
    if command == "check":
        return _check(args)
    import sys

    sys.stderr.write("apr tokenize: choose a subcommand: train, encode-corpus or check (see --help)\n")
    return 2


def _train(args: argparse.Namespace) -> int:
    import time

    from trainer.data.tokenizer import SPECIAL_TOKENS, count_vocab, train_bpe

    started = time.perf_counter()
    path = train_bpe(resolve_inputs(args.input), args.vocab_size, args.out, min_frequency=args.min_frequency,
                     progress=not args.quiet)
    specials = ", ".join(f"{tok}={i}" for i, tok in enumerate(SPECIAL_TOKENS))
    print(f"wrote {path} (+ vocab.json, merges.txt): vocab {count_vocab(path.parent)}, "
          f"special tokens {specials}, {time.perf_counter() - started:.1f}s")
    return 0


def _encode(args: argparse.Namespace) -> int:
    import json

    from trainer.data.shards import DEFAULT_SHARD_TOKENS, encode_corpus

    manifest = encode_corpus(
        args.tokenizer,
        resolve_inputs(args.input),
        args.out,
        args.shard_tokens if args.shard_tokens is not None else DEFAULT_SHARD_TOKENS,
        args.eos_policy,
        overwrite=args.overwrite,
        progress=not args.quiet and not args.json,
        special_tokens=args.special_tokens,
    )
    if args.json:
        print(json.dumps(manifest, indent=2))
    else:
        print(
            f"wrote {manifest['shard_count']} shard(s) to {args.out}: {manifest['total_tokens']:,} tokens, "
            f"{manifest['total_documents']:,} documents, {len(manifest['input_files'])} file(s), "
            f"EOS policy {manifest['eos_policy']} (id {manifest['eos_token_id']}, {manifest['eos_token_count']:,}x), "
            f"{manifest['elapsed_seconds']:.2f}s = {manifest['tokens_per_second'] or 0:,.0f} tokens/s"
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    import json

    from trainer.data.check import check_tokenizer

    report = check_tokenizer(args.tokenizer, resolve_inputs(args.input),
                             expect_vocab_size=args.expect_vocab_size)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0 if report["ok"] else 1
