"""The Llama-family model: parity with transformers, GQA, parameter band, init, optimizer."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from trainer.checkpoint.arch import to_hf_config
from trainer.config import ModelConfig
from trainer.model import LlamaForCausalLM, count_parameters, make_optimizer
from trainer.presets import get_preset

LLAMA_370M_BAND = (366_000_000, 374_000_000)


def _random_config(family: str, tied: bool, seed: int) -> ModelConfig:
    """A small random architecture (GQA, odd vocab) drawn from ``seed``."""
    g = torch.Generator().manual_seed(seed)

    def pick(options: list[int]) -> int:
        return options[int(torch.randint(len(options), (1,), generator=g))]

    kv = pick([1, 2, 4])
    heads = kv * pick([1, 2, 3])
    head_dim = pick([8, 16])
    return ModelConfig(
        name=f"random-{family}-{seed}",
        family=family,  # type: ignore[arg-type]
        vocab_size=pick([61, 97, 131]),
        hidden_size=heads * head_dim,
        num_layers=pick([1, 2, 3]),
        num_heads=heads,
        num_kv_heads=kv,
        intermediate_size=pick([40, 72, 96]),
        max_position_embeddings=64,
        rope_theta=float(pick([10000, 500000])),
        rms_norm_eps=1e-5 if family == "llama" else 1e-6,
        attention_bias=family == "qwen2",
        tie_word_embeddings=tied,
    )


def _hf_model(config: ModelConfig, attn: str) -> torch.nn.Module:
    from transformers import AutoConfig, AutoModelForCausalLM

    hf_config = AutoConfig.for_model(**to_hf_config(config))
    return AutoModelForCausalLM.from_config(hf_config, attn_implementation=attn, dtype=torch.float32).eval()


@pytest.mark.falsifies("INV-ARCH-370M-007")
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize(
    ("family", "tied", "seed"),
    [("llama", True, 1), ("llama", False, 2), ("qwen2", True, 3), ("qwen2", False, 4), ("llama", False, 5)],
)
def test_logits_match_transformers(family: str, tied: bool, seed: int, attn: str) -> None:
    """Same weights -> same fp32 logits as LlamaForCausalLM / Qwen2ForCausalLM (rel. error <= 1e-5)."""
    config = _random_config(family, tied, seed)
    torch.manual_seed(seed)
    ours = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # non-zero biases and norm gains so every parameter matters
        for name, p in ours.named_parameters():
            if name.endswith((".bias", "norm.weight")):
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.3)
    hf = _hf_model(config, attn)
    expected_cls = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM"}[family]
    assert type(hf).__name__ == expected_cls
    result = hf.load_state_dict(ours.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys == ([] if not tied else ["lm_head.weight"])
    if tied:
        hf.tie_weights()
        assert hf.lm_head.weight.data_ptr() == hf.model.embed_tokens.weight.data_ptr()
    ids = torch.randint(0, config.vocab_size, (2, 23), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        a = ours(ids)
        b = hf(ids).logits
    assert a.shape == b.shape == (2, 23, config.vocab_size)
    rel = ((a - b).norm() / b.norm()).item()
    assert rel <= 1e-5, f"relative error {rel:.3g}"


def test_state_dict_names_are_hugging_face_names() -> None:
    config = _random_config("qwen2", tied=False, seed=7)
    ours = set(LlamaForCausalLM(config).state_dict())
    theirs = set(_hf_model(config, "eager").state_dict())
    assert ours == theirs
    assert (
        "model.layers.0.self_attn.q_proj.bias" in ours and "model.layers.0.self_attn.o_proj.bias" not in ours
    )


@pytest.mark.falsifies("INV-ARCH-370M-003")
def test_gqa_equals_mha_with_repeated_kv_heads() -> None:
    """Grouped K/V heads give the same output as full MHA whose K/V rows are the groups repeated."""
    gqa = ModelConfig(
        name="gqa",
        family="llama",
        vocab_size=101,
        hidden_size=96,
        num_layers=2,
        num_heads=6,
        num_kv_heads=2,
        intermediate_size=128,
        max_position_embeddings=64,
        rope_theta=10000.0,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
    )
    mha = gqa.replace(name="mha", num_kv_heads=6)
    torch.manual_seed(0)
    a = LlamaForCausalLM(gqa).eval()
    b = LlamaForCausalLM(mha).eval()
    group, hd = gqa.num_heads // gqa.num_kv_heads, gqa.head_dim
    sd = {}
    for name, t in a.state_dict().items():
        if name.endswith(("k_proj.weight", "v_proj.weight")):
            t = (
                t.view(gqa.num_kv_heads, hd, -1)
                .repeat_interleave(group, dim=0)
                .reshape(gqa.num_heads * hd, -1)
            )
        sd[name] = t
    b.load_state_dict(sd)
    ids = torch.randint(0, 101, (3, 31), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        la, lb = a(ids).flatten(), b(ids).flatten()
    cosine = F.cosine_similarity(la, lb, dim=0).item()
    assert cosine >= 0.9999
    assert torch.allclose(la, lb, atol=1e-5, rtol=1e-5)
    # and it is not vacuous: breaking the grouping changes the output
    sd2 = dict(sd)
    k = sd2["model.layers.0.self_attn.k_proj.weight"].view(gqa.num_heads, hd, -1).flip(0)
    sd2["model.layers.0.self_attn.k_proj.weight"] = k.reshape(gqa.num_heads * hd, -1)
    b.load_state_dict(sd2)
    with torch.no_grad():
        assert not torch.allclose(a(ids), b(ids), atol=1e-4)


@pytest.mark.falsifies("INV-ARCH-370M-001", "GATE-ARCH-370M-003")
def test_llama_370m_param_count_in_band() -> None:
    """INV-ARCH-370M-001 on the meta device (no weights allocated).

    The seed's 366M..374M band is drawn around the nominal count that counts
    the tied lm_head as its own vocab x hidden matrix (373,509,120); the
    parameters actually stored are 322,045,952. Both are pinned, so a drift in
    any dimension moves one of them.
    """
    c = get_preset("llama-370m")
    with torch.device("meta"):
        model = LlamaForCausalLM(c)
    assert all(p.is_meta for p in model.parameters())
    stored = sum(p.numel() for p in model.parameters())
    nominal = count_parameters(c, include_tied_head=True)
    assert LLAMA_370M_BAND[0] <= nominal <= LLAMA_370M_BAND[1]
    assert nominal == 373_509_120
    assert stored == count_parameters(c) == 322_045_952
    assert nominal - stored == c.vocab_size * c.hidden_size
    per_layer = 2 * c.hidden_size * c.hidden_size + 2 * c.num_kv_heads * c.head_dim * c.hidden_size
    per_layer += 3 * c.hidden_size * c.intermediate_size + 2 * c.hidden_size
    assert stored == c.num_layers * per_layer + c.vocab_size * c.hidden_size + c.hidden_size


@pytest.mark.falsifies(
    "INV-ARCH-370M-004",
    "INV-ARCH-370M-006",
    "INV-ARCH-370M-007",
    "INV-ARCH-370M-008",
    "INV-ARCH-370M-009",
    "GATE-ARCH-370M-004",
)
def test_llama_370m_tensor_table() -> None:
    """218 stored tensors (9 per layer x 24 + embedding + final norm); 219 with the tied lm_head alias.

    Also pins INV-ARCH-370M-007 (distinct gate/up [2816, 1024]), -008 (no
    bias tensors) and -009 (row-major [out, in] shapes).
    """
    c = get_preset("llama-370m")
    with torch.device("meta"):
        model = LlamaForCausalLM(c)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert len(shapes) == 9 * 24 + 2 == 218
    assert "lm_head.weight" not in shapes and model.lm_head is None  # tied: one tensor, no alias stored
    assert model.output_weight is model.model.embed_tokens.weight
    assert len(shapes) + 1 == 219  # the seed's enumeration counts lm_head as an alias of the embedding
    assert not [k for k in shapes if k.endswith(".bias")]
    assert shapes["model.embed_tokens.weight"] == (50257, 1024)
    for n in range(24):
        p = f"model.layers.{n}."
        assert shapes[p + "self_attn.q_proj.weight"] == (1024, 1024)
        assert shapes[p + "self_attn.k_proj.weight"] == (256, 1024)
        assert shapes[p + "self_attn.v_proj.weight"] == (256, 1024)
        assert shapes[p + "self_attn.o_proj.weight"] == (1024, 1024)
        assert shapes[p + "mlp.gate_proj.weight"] == shapes[p + "mlp.up_proj.weight"] == (2816, 1024)
        assert shapes[p + "mlp.down_proj.weight"] == (1024, 2816)
        assert (
            shapes[p + "input_layernorm.weight"] == shapes[p + "post_attention_layernorm.weight"] == (1024,)
        )
    assert shapes["model.norm.weight"] == (1024,)


@pytest.mark.falsifies("INV-ARCH-370M-009")
def test_embedding_and_head_are_row_major(tiny_config: ModelConfig) -> None:
    untied = tiny_config.replace(tie_word_embeddings=False)
    model = LlamaForCausalLM(untied)
    sd = model.state_dict()
    v, h = untied.vocab_size, untied.hidden_size
    assert tuple(sd["model.embed_tokens.weight"].shape) == (v, h)
    assert tuple(sd["lm_head.weight"].shape) == (v, h)
    assert len(sd) == 9 * untied.num_layers + 3


def test_init_is_deterministic_from_torch_seed(micro_config: ModelConfig) -> None:
    torch.manual_seed(123)
    a = LlamaForCausalLM(micro_config).state_dict()
    torch.manual_seed(123)
    b = LlamaForCausalLM(micro_config).state_dict()
    torch.manual_seed(124)
    c = LlamaForCausalLM(micro_config).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["model.embed_tokens.weight"], c["model.embed_tokens.weight"])
    assert torch.all(a["model.norm.weight"] == 1.0)


def test_fresh_model_loss_is_near_ln_vocab(tiny_config: ModelConfig) -> None:
    """The training loop's sanity gate relies on this: a fresh model predicts ~uniformly."""
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_config).eval()
    ids = torch.randint(0, tiny_config.vocab_size, (4, 65))
    with torch.no_grad():
        logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, tiny_config.vocab_size), ids[:, 1:].reshape(-1)).item()
    assert abs(loss - math.log(tiny_config.vocab_size)) < 0.25


def test_attention_is_causal(micro_config: ModelConfig) -> None:
    torch.manual_seed(0)
    model = LlamaForCausalLM(micro_config).eval()
    ids = torch.randint(0, micro_config.vocab_size, (1, 20))
    changed = ids.clone()
    changed[0, 12:] = (changed[0, 12:] + 1) % micro_config.vocab_size
    with torch.no_grad():
        a, b = model(ids), model(changed)
    assert torch.equal(a[:, :12], b[:, :12])
    assert not torch.allclose(a[:, 12:], b[:, 12:])


def test_sequence_longer_than_positions_is_refused(micro_config: ModelConfig) -> None:
    model = LlamaForCausalLM(micro_config)
    with pytest.raises(ValueError, match="exceeds max_position_embeddings 64"):
        model(torch.zeros(1, 65, dtype=torch.long))


def test_make_optimizer_groups_and_learns(micro_config: ModelConfig) -> None:
    """Decay on matrices only; a few steps on one batch drive the loss down (real gradients flow)."""
    torch.manual_seed(0)
    model = LlamaForCausalLM(micro_config)
    opt = make_optimizer(model, lr=3e-3, weight_decay=0.1)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() < 2 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))
    ids = torch.randint(0, micro_config.vocab_size, (4, 33))
    losses = []
    for _ in range(15):
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, micro_config.vocab_size), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 1.0


@pytest.mark.falsifies("INV-ARCH-370M-004")
def test_tied_head_shares_one_tensor(micro_config: ModelConfig) -> None:
    model = LlamaForCausalLM(micro_config)
    ids = torch.randint(0, micro_config.vocab_size, (2, 9))
    model(ids).sum().backward()
    # the embedding receives gradient both from the lookup and from the head
    grad = model.model.embed_tokens.weight.grad
    assert grad is not None
    unused = sorted(set(range(micro_config.vocab_size)) - set(ids.flatten().tolist()))
    assert grad[unused].abs().sum() > 0  # only the head can have produced these rows' gradient


def test_autocast_precisions(micro_config: ModelConfig) -> None:
    from trainer.model import autocast

    torch.manual_seed(0)
    model = LlamaForCausalLM(micro_config).eval()
    ids = torch.randint(0, micro_config.vocab_size, (2, 16))
    with torch.no_grad():
        exact = model(ids)
        with autocast("cpu", "fp32"):
            same = model(ids)
        with autocast("cpu", "bf16"):
            low = model(ids)
    assert torch.equal(exact, same)
    assert low.dtype == torch.bfloat16
    assert not torch.equal(low.float(), exact)
    assert F.cosine_similarity(low.float().flatten(), exact.flatten(), dim=0) > 0.99
    with pytest.raises(ValueError, match="precision 'fp16' is not one of"):
        autocast("cpu", "fp16")
