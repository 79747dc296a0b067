"""Hypothesis strategies for hostile checkpoints, and the one check every fuzzed case must pass.

Shared by tests/trainer/hostile/test_fuzz_readers.py (bounded examples, CI)
and bench/fuzz_trainer.py (thousands of examples). Each kind draws a *spec*
(plain data, so a failure's example prints readably) and ``build(kind, spec,
dir)`` turns it into a file or directory built from the valid micro
checkpoint with the drawn damage.

``check_reply`` is the contract of the issue: the exit code is one the docs
list, no "internal error", no traceback, wall under 5 s, peak RSS under 500 MB.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

from hostile_cases import (
    APR_HEADER_FIELDS,
    apr_bytes,
    apr_raw_metadata,
    gguf_bytes,
    hf_dir,
    micro_config,
    micro_gguf_kv,
    micro_gguf_tensors,
    micro_safetensors,
    patch_apr_header,
    safetensors_bytes,
)
from hypothesis import strategies as st

from trainer.checkpoint.arch import to_apr_metadata, to_hf_config

DOCUMENTED_EXIT = {0, 2, 3}  # inspect: 0 shown, 2 usage, 3 refused (docs/init.md "Exit codes")
MAX_WALL_S = 5.0
MAX_RSS_MB = 500.0

# ----------------------------------------------------------------- values

_INTERESTING_INTS = [0, 1, -1, 2, 3, 1023, 1024, 1025, 2**16, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53 + 1,
                     2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**7, 10**9, 10**12, 10**30]
ints = st.one_of(st.sampled_from(_INTERESTING_INTS), st.integers(-(2**70), 2**70))
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, 1e-5, 1e308, 5e-324, 1e12, 1e13]))
scalars = st.one_of(st.none(), st.booleans(), ints, floats, st.text(max_size=12),
                    st.sampled_from(["false", "true", "1e-5", "10000", "linear", "llama", ""]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                           max_leaves=6)


def json_text(value: Any) -> str:
    """JSON text allowing NaN/Infinity (hostile files contain them too)."""
    return json.dumps(value, allow_nan=True)


HF_KEYS = [*sorted(to_hf_config(micro_config())), "rope_scaling", "rope_parameters", "head_dim", "mlp_bias"]
APR_KEYS = [*sorted(to_apr_metadata(micro_config())), "num_hidden_layers", "n_layers", "tokenizer.vocabulary",
            "tokenizer.merges", "tokenizer.json", "layer_norm_eps"]
GGUF_KEYS = [k for k, _, _ in micro_gguf_kv()] + ["general.alignment", "tokenizer.ggml.model",
                                                   "tokenizer.ggml.tokens", "tokenizer.ggml.merges"]

# ----------------------------------------------------------------- specs per kind

edits = st.dictionaries(st.sampled_from(HF_KEYS), json_values, min_size=1, max_size=3)

KINDS: dict[str, st.SearchStrategy[Any]] = {
    # config.json: 1-3 fields replaced by any JSON value, or raw text mutations.
    "config.json": st.one_of(
        st.tuples(st.just("edit"), edits),
        st.tuples(st.just("raw"), st.one_of(
            st.text(max_size=60),
            st.integers(1, 3000).map(lambda n: '{"model_type": "llama", "x": ' + "[" * n + "]" * n + "}"),
            st.integers(1, 6000).map(lambda n: '{"vocab_size": ' + "9" * n + "}"),
        )),
    ),
    # model.safetensors.index.json
    "index.json": st.tuples(st.just("raw"), st.one_of(
        json_values.map(lambda v: json_text({"weight_map": v})),
        st.integers(1, 3000).map(lambda n: '{"weight_map": ' + "[" * n + "]" * n + "}"),
        st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=3).map(
            lambda m: json_text({"weight_map": m})),
    )),
    # APR: metadata fields replaced, raw metadata text, header fields, byte damage.
    "apr": st.one_of(
        st.tuples(st.just("meta"), st.dictionaries(st.sampled_from(APR_KEYS), json_values, min_size=1, max_size=3)),
        st.tuples(st.just("raw-meta"), st.one_of(json_values.map(json_text), st.binary(max_size=40).map(
            lambda b: b.decode("latin-1")))),
        st.tuples(st.just("header"), st.tuples(st.sampled_from(sorted(APR_HEADER_FIELDS)), ints)),
        st.tuples(st.just("bytes"), st.tuples(st.integers(0, 2047), st.integers(0, 255), st.booleans())),
    ),
    # GGUF: one key with any declared type and value, tensor-table lies, header count lies, byte damage.
    "gguf": st.one_of(
        st.tuples(st.just("kv"), st.tuples(st.sampled_from(GGUF_KEYS), st.integers(0, 14), json_values)),
        st.tuples(st.just("info"), st.tuples(st.integers(0, 19), st.sampled_from(["dims", "qtype", "offset", "ndim"]),
                                             ints)),
        st.tuples(st.just("counts"), st.tuples(ints, ints)),
        st.tuples(st.just("bytes"), st.tuples(st.integers(0, 1023), st.integers(0, 255), st.booleans())),
    ),
    # safetensors header: any JSON object, or one valid entry's field replaced.
    "safetensors": st.one_of(
        st.tuples(st.just("header"), st.dictionaries(st.text(max_size=8), json_values, max_size=3)),
        st.tuples(st.just("entry"), st.tuples(st.sampled_from(["dtype", "shape", "data_offsets"]), json_values)),
        st.tuples(st.just("length"), ints),
    ),
}

# ----------------------------------------------------------------- CLI values

CLI_VALUES = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "-1", "0", "-0", "", "abc", "0x10",
                     "1_000", "10" * 40, "-" + "9" * 30, str(2**63), str(2**64), str(2**31), "1e9", "1000000000"]),
    st.integers(-(2**80), 2**80).map(str),
    st.floats(allow_nan=False).map(repr),
)

CLI_FLAGS: dict[str, tuple[str, ...]] = {
    "pretrain": ("--batch-size", "--seq-length", "--num-steps", "--steps-per-epoch", "--lr", "--warmup-steps",
                 "--target-val-loss", "--patience", "--min-epochs", "--seed", "--val-batches", "--grad-accum"),
    "generate": ("--max-new-tokens", "--temperature", "--top-k", "--top-p", "--seed"),
    "tokenize train": ("--vocab-size", "--min-frequency"),
    "tokenize encode-corpus": ("--shard-tokens",),
}


def cli_argv(command: str, flag: str, value: str, tmp: Path) -> list[str]:
    """The command with missing inputs and one hostile ``flag=value``."""
    missing = str(tmp / "missing")
    if command == "pretrain":
        base = ["pretrain", "--dataset", missing, "--tokenizer", missing, "--run-dir", str(tmp / "run"),
                "--device", "cpu", "--no-progress"]
    elif command == "generate":
        base = ["generate", "--model", missing, "--prompt", "x"]
    elif command == "tokenize train":
        base = ["tokenize", "train", "--input", missing, "--vocab-size", "300", "--out", str(tmp / "tok"), "--quiet"]
    else:
        base = ["tokenize", "encode-corpus", "--tokenizer", missing, "--input", missing, "--out", str(tmp / "o"),
                "--quiet"]
    return [*base, f"{flag}={value}"]  # "=" so a value starting with "-" is a value, not a flag


# ----------------------------------------------------------------- building


def _gguf_value_for(vtype: int, value: Any) -> tuple[int, Any]:
    """Coerce a drawn JSON value to something the declared GGUF type can carry (the *type* is the lie)."""
    if vtype == 8:
        return 8, str(value)[:64]
    if vtype == 9:
        items = value if isinstance(value, list) else [value]
        return 9, (8, [str(v)[:16] for v in items])
    if vtype in (6, 12):
        try:
            return vtype, float(value) if isinstance(value, (int, float)) and math.isfinite(float(value)) else 1.5
        except OverflowError:
            return vtype, 1e308
    if vtype == 7:
        return 7, bool(value)
    if vtype > 12:
        return vtype, 0
    return vtype, value if isinstance(value, int) and not isinstance(value, bool) else 7


def _raw_gguf_with_unknown_type(key: str, vtype: int) -> bytes:
    base = gguf_bytes(micro_gguf_kv())
    raw = key.encode()
    entry = struct.pack("<Q", len(raw)) + raw + struct.pack("<I", vtype) + b"\0" * 8
    n_kv = struct.unpack_from("<Q", base, 16)[0] + 1
    return base[:16] + struct.pack("<Q", n_kv) + entry + base[24:]  # the first key is the unknown-typed one


def build(kind: str, spec: Any, d: Path) -> Path:
    """The hostile file or directory a drawn spec describes, under ``d``."""
    d.mkdir(parents=True, exist_ok=True)
    mode, arg = spec
    if kind == "config.json":
        if mode == "edit":
            cfg = to_hf_config(micro_config())
            cfg.update(arg)
            return hf_dir(d / "hf", config_text=json_text(cfg))
        return hf_dir(d / "hf", config_text=arg)
    if kind == "index.json":
        return hf_dir(d / "hf", index_text=arg)
    if kind == "apr":
        path = d / "m.apr"
        if mode == "meta":
            meta = to_apr_metadata(micro_config())
            meta.update(arg)
            return apr_raw_metadata(path, json_text(meta).encode())
        if mode == "raw-meta":
            return apr_raw_metadata(path, arg.encode("utf-8", "surrogatepass"))
        apr_bytes(path)
        data = path.read_bytes()
        if mode == "header":
            path.write_bytes(patch_apr_header(data, arg[0], arg[1]))
        else:
            offset, byte, truncate = arg
            offset %= len(data)
            path.write_bytes(data[:offset] if truncate else data[:offset] + bytes([byte]) + data[offset + 1:])
        return path
    if kind == "gguf":
        path = d / "m.gguf"
        if mode == "kv":
            key, vtype, value = arg
            if vtype > 12:
                path.write_bytes(_raw_gguf_with_unknown_type(key, vtype))
                return path
            vt, v = _gguf_value_for(vtype, value)
            kv = [e for e in micro_gguf_kv() if e[0] != key] + [(key, vt, v)]
            path.write_bytes(gguf_bytes(kv))
        elif mode == "info":
            index, what, value = arg
            tensors = micro_gguf_tensors()
            infos: list[tuple[str, tuple[int, ...], int, int]] = []
            rel = 0
            for name, arr in tensors:
                rel += -rel % 32
                infos.append((name, tuple(reversed(arr.shape)), 0, rel))
                rel += arr.nbytes
            name, ne, qtype, off = infos[index % len(infos)]
            v = value % (1 << 64)
            if what == "dims":
                ne = (v, *ne[1:])
            elif what == "qtype":
                qtype = v % (1 << 32)
            elif what == "offset":
                off = v
            else:
                ne = tuple([1] * (v % 9))
            infos[index % len(infos)] = (name, ne, qtype, off)
            path.write_bytes(gguf_bytes(tensors=tensors, infos=infos))
        elif mode == "counts":
            path.write_bytes(gguf_bytes(counts=(arg[0] % (1 << 64), arg[1] % (1 << 64))))
        else:
            data = gguf_bytes()
            offset, byte, truncate = arg
            path.write_bytes(data[:offset] if truncate else data[:offset] + bytes([byte]) + data[offset + 1:])
        return path
    if kind == "safetensors":
        if mode == "header":
            return hf_dir(d / "hf", weights=safetensors_bytes(json_text(arg).encode(), b"\0" * 64))
        if mode == "entry":
            good = micro_safetensors()
            (n,) = struct.unpack("<Q", good[:8])
            header = json.loads(good[8:8 + n])
            name = sorted(k for k in header if k != "__metadata__")[0]
            header[name][arg[0]] = arg[1]
            return hf_dir(d / "hf", weights=safetensors_bytes(json_text(header).encode(), good[8 + n:]))
        good = micro_safetensors()
        return hf_dir(d / "hf", weights=struct.pack("<Q", arg % (1 << 64)) + good[8:])
    raise ValueError(kind)


def inspect_argv(path: Path) -> list[str]:
    return ["inspect", str(path), "--json", "--no-tensors"]


def check_reply(reply: dict[str, Any], where: str, allowed: set[int] = DOCUMENTED_EXIT) -> None:
    """The issue's per-case contract; AssertionError naming what broke."""
    text = reply["err"] + reply["out"]
    assert not reply.get("hang"), f"{where}: hung past the per-case timeout"
    assert reply["rc"] in allowed, f"{where}: exit {reply['rc']} not in {sorted(allowed)}: {text[-500:]}"
    assert "internal error" not in text, f"{where}: {text[-500:]}"
    assert "Traceback" not in text, f"{where}: {text[-500:]}"
    assert reply["wall_s"] < MAX_WALL_S, f"{where}: {reply['wall_s']:.2f}s"
    assert reply["peak_rss_mb"] < MAX_RSS_MB, f"{where}: peak RSS {reply['peak_rss_mb']:.0f} MB"
    if reply["rc"] == 3:
        assert "FALSIFY-" in text or "GATE-" in text, f"{where}: refusal without a gate ID: {text[-300:]}"
