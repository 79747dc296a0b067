"""Text generation from any checkpoint `--init` accepts (APR, HF dir, GGUF) or one of ours.

The model is loaded through the exact init path (``inspect_init`` +
``load_init_weights``), so ``apr generate`` doubles as an end-to-end check that
a checkpoint's weights arrive intact: SmolLM2's GGUF continues "The capital of
France is" with " Paris".

Decoding is deliberately simple (no KV cache; every step re-runs the window):
prompts and continuations here are short, and one forward function means the
logits generated are the logits trained and tested. Greedy when temperature is
0; otherwise temperature, then top-k, then top-p (nucleus) filtering, sampled
from a ``torch.Generator`` seeded by ``seed`` so a sampled run is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.errors import AprError

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from trainer.checkpoint.init import InitSpec
    from trainer.model import LlamaForCausalLM

GEN_TOKENIZER = "APR-GENERATE-TOKENIZER"
GEN_ARGS = "APR-GENERATE-ARGS"


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; ``temperature == 0`` means greedy (top-k/top-p then unused)."""

    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 0

    def validate(self) -> None:
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise AprError(GEN_ARGS, f"--temperature {self.temperature} must be a finite number >= 0",
                           fix="use 0 for greedy or > 0")
        if self.top_k < 0:
            raise AprError(GEN_ARGS, f"--top-k {self.top_k} is negative", fix="use 0 to disable top-k")
        if not 0 <= self.seed < 2**63:  # torch.Generator.manual_seed overflows outside it
            raise AprError(GEN_ARGS, f"--seed {self.seed} is outside [0, 2**63)", fix="pass a seed >= 0 and < 2**63")
        if not 0.0 < self.top_p <= 1.0:
            raise AprError(GEN_ARGS, f"--top-p {self.top_p} is outside (0, 1]", fix="use 1.0 to disable nucleus sampling")


def load_model(path: str | Path, *, device: str = "cpu") -> tuple[LlamaForCausalLM, InitSpec]:
    """Build the model from the checkpoint's own architecture and populate it (the `--init` path)."""
    import torch

    from trainer.checkpoint.init import inspect_init, load_init_weights
    from trainer.model import LlamaForCausalLM

    spec = inspect_init(path)
    with torch.device(device):
        model = LlamaForCausalLM(spec.config)
    load_init_weights(spec, model)
    return model.eval(), spec


def resolve_tokenizer(spec: InitSpec, tokenizer: str | Path | None) -> Tokenizer:
    """An explicit ``--tokenizer`` wins; else the checkpoint's embedded one; else a clear refusal."""
    from tokenizers import Tokenizer

    if tokenizer is not None:
        from trainer.data.tokenizer import load_tokenizer

        return load_tokenizer(Path(tokenizer))
    embedded = spec.reader.tokenizer_json() if spec.reader is not None else None
    if embedded is None:
        raise AprError(
            GEN_TOKENIZER,
            f"{spec.path} carries no tokenizer",
            fix="pass --tokenizer DIR (a tokenizer.json, or a dir from `apr convert MODEL OUT --to tokenizer`)",
        )
    return Tokenizer.from_str(embedded)  # checked by the reader (bpe_json.check_tokenizer_json)


def _filter(logits: torch.Tensor, s: Sampling) -> torch.Tensor:
    """Apply temperature, top-k and top-p to one row of logits (masked entries -> -inf)."""
    import torch

    logits = logits / s.temperature
    if s.top_k > 0 and s.top_k < logits.numel():
        kth = torch.topk(logits, s.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if s.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # Keep the smallest prefix whose mass reaches top_p (always at least the top token).
        drop = probs.cumsum(-1) - probs >= s.top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(0, order, sorted_logits)
    return logits


def generate_ids(
    model: LlamaForCausalLM,
    prompt_ids: list[int],
    *,
    max_new_tokens: int,
    sampling: Sampling = Sampling(),
    eos_id: int | None = None,
) -> list[int]:
    """Continue ``prompt_ids`` by up to ``max_new_tokens`` tokens; stops early at ``eos_id``."""
    import torch

    sampling.validate()
    if not prompt_ids:
        raise AprError(GEN_ARGS, "the prompt encodes to zero tokens", fix="pass a non-empty --prompt")
    vocab = model.config.vocab_size
    if max(prompt_ids) >= vocab or min(prompt_ids) < 0:
        bad = max(prompt_ids) if max(prompt_ids) >= vocab else min(prompt_ids)
        raise AprError(
            GEN_TOKENIZER,
            f"the prompt encodes to token id {bad}, outside the model's vocab [0, {vocab - 1}]: "
            "the tokenizer does not match the model",
            fix="pass the --tokenizer the model was trained with (or omit it to use the checkpoint's own)",
        )
    window = model.config.max_position_embeddings
    if len(prompt_ids) + max_new_tokens > window:
        # Refused, not slid: past the context the model has never seen a position, and an
        # unbounded request (10^9) would otherwise run for days.
        room = max(window - len(prompt_ids), 0)
        raise AprError(
            GEN_ARGS,
            f"the prompt ({len(prompt_ids)} tokens) + --max-new-tokens {max_new_tokens} exceed the model's "
            f"context of {window} positions (max_position_embeddings)",
            fix=f"pass --max-new-tokens <= {room}" + ("" if room else " with a shorter --prompt"),
        )
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(sampling.seed)
    ids = list(prompt_ids)
    new: list[int] = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            context = torch.tensor([ids[-window:]], dtype=torch.long, device=device)
            logits = model(context)[0, -1].float().cpu()
            if sampling.temperature == 0:
                nxt = int(torch.argmax(logits))
            else:
                probs = torch.softmax(_filter(logits, sampling), dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=gen))
            ids.append(nxt)
            new.append(nxt)
            if eos_id is not None and nxt == eos_id:
                break
    return new


def eos_of(tokenizer: Tokenizer) -> int | None:
    """The tokenizer's end-of-sequence id (the data module's rule, one definition)."""
    from trainer.data.tokenizer import eos_token_id

    return eos_token_id(tokenizer)
