"""`apr generate`: continue a prompt with any checkpoint `--init` accepts (greedy or sampled).

Imports only argparse at module scope so `apr --help` stays instant.
"""

from __future__ import annotations

import argparse

HELP = "generate text from an APR file, a GGUF file or a Hugging Face directory (greedy or sampled)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="checkpoint: .apr, .gguf, or a HF dir (config.json + safetensors)")
    parser.add_argument("--prompt", required=True, help="text to continue (used verbatim: no chat template)")
    parser.add_argument("--tokenizer", default=None, help="tokenizer.json or its dir (default: the checkpoint's own)")
    parser.add_argument("--max-new-tokens", type=int, default=32,
                        help="tokens to add (default 32); prompt + this must fit the model's context")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default); > 0 samples")
    parser.add_argument("--top-k", type=int, default=0, help="sample among the k most likely tokens (0 = off)")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1.0 = off)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed for sampling (default 0)")
    from trainer.errors import GATE_GPUTRAIN_002
    from trainer.train.device import validate_device_flag

    parser.add_argument("--device", default="cpu", type=validate_device_flag,
                        help=f"cpu (default), auto, cuda or cuda:N (cuda without CUDA: {GATE_GPUTRAIN_002})")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of the text")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from trainer.errors import AprError
    from trainer.generate import GEN_ARGS, Sampling, eos_of, generate_ids, load_model, resolve_tokenizer

    if args.max_new_tokens < 0:
        raise AprError(GEN_ARGS, f"--max-new-tokens {args.max_new_tokens} is negative", fix="pass 0 or more")
    sampling = Sampling(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, seed=args.seed)
    sampling.validate()  # refuse bad flags before loading weights
    from trainer.train.device import resolve_device

    device = resolve_device(args.device)  # explicit cuda without CUDA: GATE-GPUTRAIN-002 (exit 3)
    model, spec = load_model(args.model, device=device.name)
    tokenizer = resolve_tokenizer(spec, args.tokenizer)
    prompt_ids = tokenizer.encode(args.prompt).ids
    new_ids = generate_ids(
        model, prompt_ids, max_new_tokens=args.max_new_tokens, sampling=sampling, eos_id=eos_of(tokenizer)
    )
    completion = tokenizer.decode(new_ids)
    if args.json:
        out = {
            "model": str(spec.path),
            "format": spec.format,
            "prompt": args.prompt,
            "completion": completion,
            "prompt_ids": prompt_ids,
            "new_ids": new_ids,
            "greedy": sampling.temperature == 0,
            "temperature": sampling.temperature,
            "top_k": sampling.top_k,
            "top_p": sampling.top_p,
            "seed": sampling.seed,
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(args.prompt + completion + "\n")
    return 0
