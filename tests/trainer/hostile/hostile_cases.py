"""Builders for hostile checkpoints and configs, shared by the fuzz tests and bench/fuzz_trainer.py.

Every builder starts from a *valid* tiny checkpoint (llama-micro: 2 layers,
hidden 32, vocab 97) and changes one thing, so a refusal proves the reader
checked that thing rather than tripping over something else first:

* ``apr_bytes(meta_changes)``: our APR writer with edited metadata (CRCs valid);
  ``patch_apr_header`` rewrites one header field and re-seals the header CRC.
* ``gguf_bytes(kv, tensors)``: a minimal GGUF v3 encoder that writes any value
  with any declared type (the type confusion a converter bug or an attacker makes).
* ``safetensors_bytes(header, payload)``: any header object, any payload.
* ``hf_dir(root, config_text | changes)``: config.json as raw text or as edits.

``HAND_MADE`` lists the cases the issue reported plus their neighbours; each is
(id, format, build(dir) -> path). The ids are what docs/reliability.md counts.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainer.checkpoint.arch import to_apr_metadata, to_hf_config

# ----------------------------------------------------------------- the valid base


def micro_config() -> Any:
    from trainer.config import ModelConfig

    return ModelConfig(
        name="llama-micro", family="llama", vocab_size=97, hidden_size=32, num_layers=2, num_heads=4,
        num_kv_heads=2, intermediate_size=64, max_position_embeddings=64, rope_theta=10000.0, rms_norm_eps=1e-5,
        tie_word_embeddings=True,
    )


_STATE: dict[str, Any] = {}


def micro_state() -> dict[str, Any]:
    """The micro model's parameters (deterministic, built once per process)."""
    if "state" not in _STATE:
        import torch

        from trainer.model import LlamaForCausalLM

        torch.manual_seed(0)
        model = LlamaForCausalLM(micro_config())
        _STATE["state"] = {n: p.detach().clone().contiguous() for n, p in model.named_parameters()}
    return _STATE["state"]


# ----------------------------------------------------------------- APR


def apr_bytes(path: Path, meta_changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A valid APR of the micro model, metadata edited (``None`` values delete keys)."""
    from trainer.checkpoint.apr import save_apr

    meta = to_apr_metadata(micro_config())
    for key, value in (meta_changes or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    for key in drop:
        meta.pop(key, None)
    return save_apr(path, micro_state(), meta)


def apr_raw_metadata(path: Path, meta_text: bytes) -> Path:
    """An APR whose metadata region is exactly ``meta_text`` (any bytes), every CRC valid."""
    from trainer.checkpoint.apr import HEADER, HEADER_SIZE, align64, header_crc

    apr_bytes(path)
    data = bytearray(path.read_bytes())
    fields = list(HEADER.unpack(bytes(data[:HEADER_SIZE])))
    meta_off, meta_size, index_off, data_off = fields[5], fields[6], fields[7], fields[8]
    index = bytes(data[index_off:data_off])
    payload = bytes(data[data_off:-4])
    new_index_off = HEADER_SIZE + align64(len(meta_text))
    shift = new_index_off - index_off
    fields[6] = len(meta_text)
    fields[7] = new_index_off
    fields[8] = data_off + shift
    header = bytearray(HEADER.pack(*fields))
    struct.pack_into("<I", header, 40, header_crc(bytes(header)))
    body = bytes(header) + meta_text + b"\0" * (new_index_off - HEADER_SIZE - len(meta_text)) + index + payload
    path.write_bytes(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
    del meta_off, meta_size
    return path


APR_HEADER_FIELDS = {  # name -> (struct offset, format)
    "flags": (6, "<H"),
    "tensor_count": (8, "<I"),
    "metadata_offset": (12, "<Q"),
    "metadata_size": (20, "<I"),
    "tensor_index_offset": (24, "<Q"),
    "data_offset": (32, "<Q"),
}


def patch_apr_header(data: bytes, field: str, value: int) -> bytes:
    """``data`` with one header field rewritten (value wrapped to the field's width), header CRC re-sealed."""
    from trainer.checkpoint.apr import header_crc

    offset, fmt = APR_HEADER_FIELDS[field]
    width = struct.calcsize(fmt)
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value % (1 << (8 * width)))
    struct.pack_into("<I", out, 40, header_crc(bytes(out[:64])))
    return bytes(out)


# ----------------------------------------------------------------- GGUF

GGUF_TYPES = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8,
              "arr": 9, "u64": 10, "i64": 11, "f64": 12}
_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def _gguf_str(s: str | bytes) -> bytes:
    raw = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(raw)) + raw


def _gguf_value(vtype: int, value: Any) -> bytes:
    if vtype == 8:
        return _gguf_str(value)
    if vtype == 9:
        etype, items = value
        return struct.pack("<IQ", etype, len(items)) + b"".join(_gguf_value(etype, v) for v in items)
    fmt = _FMT[vtype]
    if fmt[1] in "fd":
        return struct.pack(fmt, float(value))
    width = struct.calcsize(fmt)
    if fmt[1] in "bhiq":
        lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
        value = max(lo, min(hi, int(value)))
    else:
        value = int(value) % (1 << (8 * width))
    return struct.pack(fmt, value)


def micro_gguf_kv() -> list[tuple[str, int, Any]]:
    """The llama.* keys a converter writes for the micro model: (key, GGUF type id, value)."""
    c = micro_config()
    return [
        ("general.architecture", 8, "llama"),
        ("general.name", 8, c.name),
        ("llama.block_count", 4, c.num_layers),
        ("llama.context_length", 4, c.max_position_embeddings),
        ("llama.embedding_length", 4, c.hidden_size),
        ("llama.feed_forward_length", 4, c.intermediate_size),
        ("llama.attention.head_count", 4, c.num_heads),
        ("llama.attention.head_count_kv", 4, c.num_kv_heads),
        ("llama.rope.freq_base", 6, c.rope_theta),
        ("llama.attention.layer_norm_rms_epsilon", 6, c.rms_norm_eps),
        ("llama.vocab_size", 4, c.vocab_size),
    ]


def micro_gguf_tensors() -> list[tuple[str, np.ndarray]]:
    """(GGUF name, fp32 array in numpy order) for the micro model (Q/K not permuted: values are random)."""
    from trainer.checkpoint.gguf import hf_name

    state = micro_state()
    names = ["token_embd.weight", "output_norm.weight"]
    for i in range(micro_config().num_layers):
        names += [f"blk.{i}.{p}" for p in ("attn_norm.weight", "ffn_norm.weight", "attn_q.weight", "attn_k.weight",
                                            "attn_v.weight", "attn_output.weight", "ffn_gate.weight",
                                            "ffn_up.weight", "ffn_down.weight")]
    return [(n, state[hf_name(n)].numpy().astype(np.float32)) for n in names]


def gguf_bytes(
    kv: list[tuple[str, int, Any]] | None = None,
    tensors: list[tuple[str, np.ndarray]] | None = None,
    *,
    infos: list[tuple[str, tuple[int, ...], int, int]] | None = None,
    counts: tuple[int, int] | None = None,
    version: int = 3,
) -> bytes:
    """A GGUF file. ``infos`` overrides the tensor table ((name, ne, qtype, rel offset)) and
    ``counts`` the header's (tensor count, kv count), to make them lie about the data."""
    kv = micro_gguf_kv() if kv is None else kv
    tensors = micro_gguf_tensors() if tensors is None else tensors
    data = bytearray()
    table: list[tuple[str, tuple[int, ...], int, int]] = []
    for name, arr in tensors:
        data += b"\0" * (-len(data) % 32)
        table.append((name, tuple(reversed(arr.shape)), 0, len(data)))
        data += arr.astype("<f4").tobytes()
    table = table if infos is None else infos
    n_t, n_kv = counts if counts is not None else (len(table), len(kv))
    out = bytearray(b"GGUF" + struct.pack("<IQQ", version, n_t, n_kv))
    for key, vtype, value in kv:
        out += _gguf_str(key) + struct.pack("<I", vtype) + _gguf_value(vtype, value)
    for name, ne, qtype, rel in table:
        out += _gguf_str(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
        out += struct.pack("<IQ", qtype, rel)
    out += b"\0" * (-len(out) % 32)
    return bytes(out + data)


def gguf_with(key: str, vtype: int, value: Any) -> bytes:
    """The micro GGUF with one key set (replaced or added) to ``value`` of declared type ``vtype``."""
    kv = [e for e in micro_gguf_kv() if e[0] != key] + [(key, vtype, value)]
    return gguf_bytes(kv)


# ----------------------------------------------------------------- safetensors / HF dirs


def safetensors_bytes(header: Any, payload: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + payload


def micro_safetensors() -> bytes:
    from safetensors.torch import save

    return save(micro_state())


def hf_dir(root: Path, changes: dict[str, Any] | None = None, *, config_text: str | None = None,
           weights: bytes | None = None, index_text: str | None = None) -> Path:
    """A micro HF dir; config.json edited (``None`` deletes a key) or replaced by raw text."""
    root.mkdir(parents=True, exist_ok=True)
    cfg = to_hf_config(micro_config())
    for key, value in (changes or {}).items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    (root / "config.json").write_text(config_text if config_text is not None else json.dumps(cfg), encoding="utf-8")
    if index_text is not None:
        (root / "model.safetensors.index.json").write_text(index_text, encoding="utf-8")
        (root / "shard-1.safetensors").write_bytes(micro_safetensors())
    else:
        (root / "model.safetensors").write_bytes(micro_safetensors() if weights is None else weights)
    return root


def deep(n: int, leaf: str = "1") -> str:
    return "[" * n + leaf + "]" * n


# ----------------------------------------------------------------- the hand-made corpus

Builder = Callable[[Path], Path]


def _file(name: str, data_fn: Callable[[], bytes]) -> Builder:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(data_fn())
        return p

    return build


def _apr(changes: dict[str, Any]) -> Builder:
    return lambda d: apr_bytes(d / "m.apr", changes)


def _hf(changes: dict[str, Any] | None = None, **kw: Any) -> Builder:
    return lambda d: hf_dir(d / "hf", changes, **kw)


def _apr_header(field: str, value: int) -> Builder:
    def build(d: Path) -> Path:
        p = apr_bytes(d / "m.apr")
        p.write_bytes(patch_apr_header(p.read_bytes(), field, value))
        return p

    return build


def _gguf_claims_blocks(n: int) -> Builder:
    return _file("m.gguf", lambda: gguf_with("llama.block_count", 4 if n < 2**32 else 10, n))


def _many_fake_layers(d: Path) -> Path:
    """10,000 tensor infos named blk.N.attn_norm.weight, block_count 10,000, all sharing 32 bytes of data."""
    n = 10_000
    infos = [(f"blk.{i}.attn_norm.weight", (8,), 0, 0) for i in range(n)]
    kv = [e for e in micro_gguf_kv() if e[0] != "llama.block_count"] + [("llama.block_count", 4, n)]
    p = d / "m.gguf"
    p.write_bytes(gguf_bytes(kv, tensors=[("x", np.zeros(8, np.float32))], infos=infos))
    return p


def _index(text: str) -> Builder:
    return lambda d: hf_dir(d / "hf", index_text=text)


def _fifo(d: Path) -> Path:
    import os

    p = d / "pipe.apr"
    os.mkfifo(p)
    return p


HUGE_INT = 10**4000

HAND_MADE: list[tuple[str, str, Builder]] = [
    # -- the issue's reports
    ("apr-layers-1e7", "apr", _apr({"num_layers": 10**7})),
    ("apr-layers-1e9", "apr", _apr({"num_layers": 10**9})),
    ("gguf-block_count-1e9", "gguf", _gguf_claims_blocks(10**9)),
    ("hf-num_hidden_layers-1e7", "hf", _hf({"num_hidden_layers": 10_000_000})),
    ("hf-rope_theta-huge-int", "hf", _hf(config_text=json.dumps(to_hf_config(micro_config())).replace(
        '"rope_theta": 10000.0', '"rope_theta": 1' + "0" * 400))),
    ("apr-rope_theta-huge-int", "apr", lambda d: apr_raw_metadata(d / "m.apr", json.dumps(
        to_apr_metadata(micro_config())).replace('"rope_theta": 10000.0', '"rope_theta": 1' + "0" * 400).encode())),
    ("gguf-rms_eps-string", "gguf", _file("m.gguf", lambda: gguf_with(
        "llama.attention.layer_norm_rms_epsilon", 8, "1e-5"))),
    ("gguf-rms_eps-array", "gguf", _file("m.gguf", lambda: gguf_with(
        "llama.attention.layer_norm_rms_epsilon", 9, (6, [1e-5, 1e-6])))),
    ("hf-rms_norm_eps-string", "hf", _hf({"rms_norm_eps": "1e-5"})),
    ("hf-rms_norm_eps-list", "hf", _hf({"rms_norm_eps": [1e-5]})),
    ("hf-int-5000-digits", "hf", _hf(config_text=json.dumps(to_hf_config(micro_config())).replace(
        '"vocab_size": 97', '"vocab_size": 9' + "7" * 5000))),
    ("hf-config-nested-5000", "hf", _hf(config_text='{"model_type": "llama", "x": ' + deep(5000) + "}")),
    ("hf-index-nested-5000", "hf", _index('{"weight_map": ' + deep(5000, "{}") + "}")),
    ("hf-tie-string-false", "hf", _hf({"tie_word_embeddings": "false"})),
    ("hf-rope_scaling-string", "hf", _hf({"rope_scaling": "linear"})),
    ("fifo", "path", _fifo),
    # -- neighbours
    ("apr-hidden-1e9", "apr", _apr({"hidden_size": 10**9})),
    ("apr-vocab-1e12", "apr", _apr({"vocab_size": 10**12})),
    ("apr-layers-string", "apr", _apr({"num_layers": "2"})),
    ("apr-layers-float", "apr", _apr({"num_layers": 2.0})),
    ("apr-layers-bool", "apr", _apr({"num_layers": True})),
    ("apr-layers-3-tensors-2", "apr", _apr({"num_layers": 3})),
    ("apr-layers-1", "apr", _apr({"num_layers": 1})),
    ("apr-tied-string", "apr", _apr({"tied_embeddings": "false"})),
    ("apr-rope_theta-string", "apr", _apr({"rope_theta": "1e4"})),
    ("apr-eps-negative", "apr", _apr({"rms_norm_eps": -1e-5})),
    ("apr-metadata-nested-5000", "apr", lambda d: apr_raw_metadata(d / "m.apr", (
        '{"x": ' + deep(5000) + "}").encode())),
    ("apr-metadata-int-5000-digits", "apr", lambda d: apr_raw_metadata(d / "m.apr", (
        '{"num_layers": ' + "9" * 5000 + "}").encode())),
    ("apr-metadata-1e999", "apr", lambda d: apr_raw_metadata(d / "m.apr", b'{"rope_theta": 1e999}')),
    ("apr-header-tensor_count-2^32-1", "apr", _apr_header("tensor_count", 2**32 - 1)),
    ("apr-header-metadata_size-2^32-1", "apr", _apr_header("metadata_size", 2**32 - 1)),
    ("apr-header-data_offset-2^63", "apr", _apr_header("data_offset", 2**63)),
    ("gguf-block_count-u64-max", "gguf", _gguf_claims_blocks(2**64 - 1)),
    ("gguf-block_count-3", "gguf", _gguf_claims_blocks(3)),
    ("gguf-embedding_length-1e9", "gguf", _file("m.gguf", lambda: gguf_with("llama.embedding_length", 4, 10**9))),
    ("gguf-head_count-0", "gguf", _file("m.gguf", lambda: gguf_with("llama.attention.head_count", 4, 0))),
    ("gguf-freq_base-nan", "gguf", _file("m.gguf", lambda: gguf_with("llama.rope.freq_base", 6, float("nan")))),
    ("gguf-freq_base-string", "gguf", _file("m.gguf", lambda: gguf_with("llama.rope.freq_base", 8, "1e4"))),
    ("gguf-block_count-bool", "gguf", _file("m.gguf", lambda: gguf_with("llama.block_count", 7, True))),
    ("gguf-block_count-f64", "gguf", _file("m.gguf", lambda: gguf_with("llama.block_count", 12, 2.0))),
    ("gguf-architecture-int", "gguf", _file("m.gguf", lambda: gguf_with("general.architecture", 4, 7))),
    ("gguf-10000-fake-layers", "gguf", _many_fake_layers),
    ("gguf-kv-count-2^63", "gguf", _file("m.gguf", lambda: gguf_bytes(counts=(11, 2**63)))),
    ("gguf-tensor-count-2^63", "gguf", _file("m.gguf", lambda: gguf_bytes(counts=(2**63, 11)))),
    ("gguf-array-2^60-strings", "gguf", _file("m.gguf", lambda: b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
        + _gguf_str("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2**60) + b"\0" * 64)),
    ("hf-hidden-string", "hf", _hf({"hidden_size": "32"})),
    ("hf-heads-1e9", "hf", _hf({"num_attention_heads": 10**9})),
    ("hf-attention_bias-string", "hf", _hf({"attention_bias": "false"})),
    ("hf-rope_parameters-list", "hf", _hf({"rope_parameters": ["default"]})),
    ("hf-rope_parameters-theta-string", "hf", _hf({"rope_parameters": {"rope_type": "default", "rope_theta": "1e4"}})),
    ("hf-rope_scaling-type-int", "hf", _hf({"rope_scaling": {"type": 3}})),
    ("hf-model_type-list", "hf", _hf({"model_type": ["llama"]})),
    ("hf-architectures-string", "hf", _hf({"architectures": "LlamaForCausalLM"})),
    ("hf-config-top-level-list", "hf", _hf(config_text="[1, 2, 3]")),
    ("hf-config-1e999", "hf", _hf(config_text='{"model_type": "llama", "rope_theta": 1e999}')),
    ("hf-config-NaN", "hf", _hf(config_text='{"model_type": "llama", "rope_theta": NaN}')),
    ("hf-config-not-utf8", "hf", lambda d: _raw_config(d, b'{"model_type": "\xff"}')),
    ("hf-index-weight_map-list", "hf", _index('{"weight_map": []}')),
    ("hf-index-shard-path-escape", "hf", _index('{"weight_map": {"model.norm.weight": "../x.safetensors"}}')),
    ("hf-index-int-5000-digits", "hf", _index('{"metadata": {"total_size": ' + "9" * 5000 + '}, "weight_map": {}}')),
    ("safetensors-header-nested-5000", "safetensors", _hf(weights=safetensors_bytes(
        ('{"a": ' + deep(5000) + "}").encode()))),
    ("safetensors-shape-huge-int", "safetensors", _hf(weights=safetensors_bytes(
        ('{"a": {"dtype": "F32", "shape": [' + "9" * 5000 + '], "data_offsets": [0, 4]}}').encode(), b"\0" * 4))),
    ("safetensors-offsets-2^64", "safetensors", _hf(weights=safetensors_bytes(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2**64]}}, b"\0" * 4))),
    ("safetensors-header-len-2^63", "safetensors", _hf(weights=struct.pack("<Q", 2**63) + b"{}")),
]


def _raw_config(d: Path, raw: bytes) -> Path:
    root = hf_dir(d / "hf")
    (root / "config.json").write_bytes(raw)
    return root


# ----------------------------------------------------------------- tokenizer files (`apr convert SRC OUT --to tokenizer`)

_TOK_OK = ('{"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": null, "post_processor": null, '
           '"decoder": null, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}')


def _hf_tok(text: str | bytes) -> Builder:
    def build(d: Path) -> Path:
        root = hf_dir(d / "hf")
        raw = text.encode("utf-8") if isinstance(text, str) else text
        (root / "tokenizer.json").write_bytes(raw)
        return root

    return build


def _gguf_tok(tokens: tuple[int, list[Any]], merges: tuple[int, list[Any]] | None = None,
              types: tuple[int, list[Any]] | None = None, model: tuple[int, Any] = (8, "gpt2")) -> Builder:
    kv = [*micro_gguf_kv(), ("tokenizer.ggml.model", model[0], model[1]), ("tokenizer.ggml.tokens", 9, tokens)]
    if merges is not None:
        kv.append(("tokenizer.ggml.merges", 9, merges))
    if types is not None:
        kv.append(("tokenizer.ggml.token_type", 9, types))
    return _file("m.gguf", lambda: gguf_bytes(kv))


TOKENIZER_CASES: list[tuple[str, str, Builder]] = [
    ("hf-tokenizer-nested-5000", "tokenizer", _hf_tok('{"model": ' + deep(5000) + "}")),
    ("hf-tokenizer-not-json", "tokenizer", _hf_tok("{not json")),
    ("hf-tokenizer-vocab-list", "tokenizer", _hf_tok(_TOK_OK.replace('{"a": 0, "b": 1, "ab": 2}', '["a", "b"]'))),
    ("hf-tokenizer-id-5000-digits", "tokenizer", _hf_tok(_TOK_OK.replace('"ab": 2', '"ab": ' + "9" * 5000))),
    ("hf-tokenizer-id-string", "tokenizer", _hf_tok(_TOK_OK.replace('"ab": 2', '"ab": "2"'))),
    ("hf-tokenizer-added-no-content", "tokenizer", _hf_tok(_TOK_OK.replace('"added_tokens": []',
                                                                            '"added_tokens": [{"id": 3}]'))),
    ("hf-tokenizer-merge-int", "tokenizer", _hf_tok(_TOK_OK.replace('["a b"]', "[7]"))),
    ("hf-tokenizer-bad-model-type", "tokenizer", _hf_tok(_TOK_OK.replace('"BPE"', '"NotAModel"'))),
    ("hf-tokenizer-not-utf8", "tokenizer", _hf_tok(b'{"model": "\xff"}')),
    ("gguf-tokens-integers", "tokenizer", _gguf_tok((4, [1, 2, 3]))),
    ("gguf-merges-integers", "tokenizer", _gguf_tok((8, ["a", "b", "ab"]), merges=(4, [1]))),
    ("gguf-token_type-strings", "tokenizer", _gguf_tok((8, ["a", "b"]), types=(8, ["3", "3"]))),
    ("gguf-tokenizer-model-int", "tokenizer", _gguf_tok((8, ["a"]), model=(4, 2))),
    ("gguf-tokens-duplicate", "tokenizer", _gguf_tok((8, ["a", "a"]))),
    ("gguf-merge-without-space", "tokenizer", _gguf_tok((8, ["a", "b"]), merges=(8, ["ab"]))),
    ("apr-tokenizer.json-number", "tokenizer", _apr({"tokenizer.json": 5})),
    ("apr-tokenizer.json-nested", "tokenizer", _apr({"tokenizer.json": '{"model": ' + deep(3000) + "}"})),
    ("apr-vocabulary-integers", "tokenizer", _apr({"tokenizer.vocabulary": [1, 2, 3]})),
    ("apr-vocabulary-string", "tokenizer", _apr({"tokenizer.vocabulary": "abc"})),
]
