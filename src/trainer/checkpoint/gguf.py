"""Read-only GGUF reader: bounded header parse, fp32 dequantisation, Q/K un-permutation.

Why not just ``gguf.GGUFReader``? It trusts the file: a header claiming 2^60
array entries or a tensor past the end of the file makes it loop or fault
instead of giving a clean error. This parser walks the header itself and checks
every count, length and offset against the bytes actually present *before*
allocating anything; only tensor payloads, once proven in bounds, go to
``gguf.quants.dequantize`` (the reference dequantisers) to become fp32.

llama.cpp's converter permutes the rows of the query and key weights of
``llama`` models (interleaved rotary pairs instead of Hugging Face's rotate-half
halves); ``load_tensor`` undoes that so the tensors are exactly the Hugging Face
layout our model (and transformers) use. ``qwen2`` GGUFs are not permuted.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.checkpoint.init_errors import InitError, show_bytes
from trainer.checkpoint.source import TensorInfo
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_004

if TYPE_CHECKING:
    import torch

    from trainer.config import ModelConfig

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_STRING = 1 << 24  # 16 MiB: no legitimate key, name or chat template is larger

# GGUF metadata value types -> (struct format, size); STRING=8, ARRAY=9 handled apart.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1),
    1: ("<b", 1),
    2: ("<H", 2),
    3: ("<h", 2),
    4: ("<I", 4),
    5: ("<i", 4),
    6: ("<f", 4),
    7: ("<?", 1),
    10: ("<Q", 8),
    11: ("<q", 8),
    12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9

# Architectures whose q/k rows llama.cpp permutes on conversion.
_PERMUTED_ARCHS = frozenset({"llama"})

_BLOCK_MAP = {
    "attn_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.bias": "self_attn.k_proj.bias",
    "attn_v.bias": "self_attn.v_proj.bias",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
_TOP_MAP = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_BLK = re.compile(r"^blk\.(\d+)\.(.+)$")


def hf_name(gguf_name: str) -> str:
    """Map a GGUF tensor name to its Hugging Face name; unknown names pass through unchanged
    (they then surface as unexpected tensors at population, never silently dropped)."""
    if gguf_name in _TOP_MAP:
        return _TOP_MAP[gguf_name]
    m = _BLK.match(gguf_name)
    if m and m.group(2) in _BLOCK_MAP:
        return f"model.layers.{m.group(1)}.{_BLOCK_MAP[m.group(2)]}"
    return gguf_name


class _Cursor:
    """A bounds-checked little-endian reader over the mapped file."""

    def __init__(self, buf: mmap.mmap | bytes, path: Path):
        self.buf = buf
        self.size = len(buf)
        self.pos = 0
        self.path = path

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: truncated GGUF: {what} needs {n} bytes at offset {self.pos} "
                f"but the file has {self.size} bytes",
                fix="re-download or re-convert the file; it is cut short or corrupt",
            )

    def scalar(self, fmt: str, size: int, what: str) -> Any:
        self.need(size, what)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def u32(self, what: str) -> int:
        return int(self.scalar("<I", 4, what))

    def u64(self, what: str) -> int:
        return int(self.scalar("<Q", 8, what))

    def string(self, what: str) -> str:
        n = self.u64(f"{what} length")
        if n > MAX_STRING:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: GGUF {what} at offset {self.pos - 8} claims {n} bytes (limit {MAX_STRING})",
                fix="the file is corrupt or hostile; do not use it",
            )
        self.need(n, what)
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: GGUF {what} at offset {self.pos - n} is not valid UTF-8 ({exc.reason})",
                fix="the file is corrupt; re-download it",
            ) from None

    def value(self, vtype: int, what: str) -> Any:
        if vtype in _SCALARS:
            fmt, size = _SCALARS[vtype]
            return self.scalar(fmt, size, what)
        if vtype == _STRING:
            return self.string(what)
        if vtype == _ARRAY:
            etype = self.u32(f"{what} element type")
            count = self.u64(f"{what} element count")
            min_size = 8 if etype == _STRING else _SCALARS.get(etype, ("", 0))[1]
            if etype not in _SCALARS and etype != _STRING:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: GGUF {what} has array element type {etype} at offset {self.pos - 12}",
                    fix="nested or unknown array types are not supported; the file may be corrupt",
                )
            # Check the whole array fits before building a list of `count` items.
            self.need(count * min_size, f"{what} ({count} elements)")
            if etype == _STRING:
                return [self.string(f"{what}[{i}]") for i in range(count)]
            fmt, size = _SCALARS[etype]
            items = list(struct.unpack_from(f"<{count}{fmt[1]}", self.buf, self.pos))
            self.pos += count * size
            return items
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_004,
            f"{self.path}: GGUF {what} has unknown value type {vtype} at offset {self.pos - 4}",
            fix="the file is corrupt or from an unsupported GGUF revision",
        )


@dataclass(frozen=True)
class _Stored:
    qtype: int
    dims: tuple[int, ...]  # numpy order (outermost first)
    offset: int  # absolute file offset
    nbytes: int


class GGUFReader:
    """A GGUF checkpoint, validated on open; tensors dequantised to fp32 on demand."""

    format = "gguf"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._meta: dict[str, Any] = {}
        self._tensors: dict[str, TensorInfo] = {}
        self._stored: dict[str, _Stored] = {}
        self._parse()

    # -- parsing -----------------------------------------------------------
    def _parse(self) -> None:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh:
            if size < 4:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: {size}-byte file; found {show_bytes(fh.read(4))}, expected GGUF magic "
                    f"{show_bytes(GGUF_MAGIC)}",
                    fix="point --init at a complete GGUF, APR or Hugging Face checkpoint",
                )
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            cur = _Cursor(buf, self.path)
            n_tensors, n_kv = self._read_preamble(cur, buf)
            self._read_metadata(cur, n_kv, n_tensors)
            infos = self._read_tensor_infos(cur, n_tensors)
            self._place_tensors(cur, infos, size)
        finally:
            buf.close()

    def _read_preamble(self, cur: _Cursor, buf: mmap.mmap) -> tuple[int, int]:
        """Magic, a supported version, and the (tensor count, metadata count) pair."""
        magic = bytes(buf[:4])
        if magic != GGUF_MAGIC:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: bad magic: found {show_bytes(magic)}, expected {show_bytes(GGUF_MAGIC)}",
                fix="the file is not GGUF",
            )
        cur.pos = 4
        version = cur.u32("version")
        if version not in SUPPORTED_VERSIONS:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: GGUF version {version} at offset 4; supported: {SUPPORTED_VERSIONS}",
                fix="re-convert the model with a current llama.cpp",
            )
        n_tensors = cur.u64("tensor count")
        n_kv = cur.u64("metadata count")
        return n_tensors, n_kv

    def _read_metadata(self, cur: _Cursor, n_kv: int, n_tensors: int) -> None:
        """The key/value section into ``self._meta``, after checking the counts fit the file."""
        # Each KV needs >= 8 (key len) + 4 (type) + 1 bytes; each tensor info >= 8+4+8+4+8.
        cur.need(n_kv * 13 + n_tensors * 32, f"{n_kv} metadata entries and {n_tensors} tensor infos")
        for i in range(n_kv):
            key = cur.string(f"metadata key #{i}")
            vtype = cur.u32(f"type of {key!r}")
            self._meta[key] = cur.value(vtype, f"metadata {key!r}")

    def _read_tensor_infos(self, cur: _Cursor, n_tensors: int) -> list[tuple[str, tuple[int, ...], int, int]]:
        """(GGUF name, dims as stored, GGML type, offset relative to the data section) per tensor."""
        infos: list[tuple[str, tuple[int, ...], int, int]] = []
        for i in range(n_tensors):
            name = cur.string(f"tensor #{i} name")
            ndim = cur.u32(f"tensor {name!r} ndim")
            if not 1 <= ndim <= MAX_DIMS:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: tensor {name!r} has {ndim} dims (GGUF allows 1..{MAX_DIMS})",
                    fix="the file is corrupt",
                )
            ne = tuple(cur.u64(f"tensor {name!r} dim {d}") for d in range(ndim))
            qtype = cur.u32(f"tensor {name!r} type")
            rel = cur.u64(f"tensor {name!r} offset")
            infos.append((name, ne, qtype, rel))
        return infos

    def _place_tensors(self, cur: _Cursor, infos: list[tuple[str, tuple[int, ...], int, int]], size: int) -> None:
        """Each tensor's type, byte size and absolute offset, checked against the file; HF names."""
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

        align = self._meta.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(align, int) or align <= 0 or align & (align - 1):
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: general.alignment={align!r} is not a positive power of two",
                fix="the file is corrupt",
            )
        data_start = (cur.pos + align - 1) // align * align
        for name, ne, qtype, rel in infos:
            try:
                qt = GGMLQuantizationType(qtype)
                block, type_size = GGML_QUANT_SIZES[qt]
            except (ValueError, KeyError):
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: tensor {name!r} has unknown GGML type {qtype}",
                    fix="re-convert with a supported quantisation (F32, F16, BF16, Q4_0/1, Q5_x, Q8_0, K-quants)",
                ) from None
            n = 1
            for d in ne:
                n *= d
            if ne[0] % block:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: tensor {name!r} row length {ne[0]} is not a multiple of the "
                    f"{qt.name} block size {block}",
                    fix="the file is corrupt",
                )
            nbytes = n // block * type_size
            start = data_start + rel
            if rel % align or start + nbytes > size:
                raise InitError(
                    FALSIFY_APR_PRETRAIN_INIT_004,
                    f"{self.path}: tensor {name!r} ({qt.name}, {nbytes} bytes) at offset {start} "
                    f"ends at {start + nbytes}, past the end of the {size}-byte file"
                    if start + nbytes > size
                    else f"{self.path}: tensor {name!r} offset {rel} is not {align}-aligned",
                    fix="the file is truncated or corrupt; re-download it",
                )
            hf = hf_name(name)
            if hf in self._tensors:
                raise InitError(FALSIFY_APR_PRETRAIN_INIT_004,
                                f"{self.path}: tensor {name!r} appears twice", fix="corrupt file")
            dims = tuple(reversed(ne))
            self._stored[hf] = _Stored(qtype, dims, start, nbytes)
            self._tensors[hf] = TensorInfo(hf, dims, qt.name, name, nbytes)

    # -- CheckpointReader --------------------------------------------------
    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._meta

    @property
    def tensors(self) -> Mapping[str, TensorInfo]:
        return self._tensors

    @property
    def architecture(self) -> str | None:
        arch = self._meta.get("general.architecture")
        return arch if isinstance(arch, str) else None

    def declared_family(self) -> tuple[str | None, list[str], str]:
        return self.architecture, [], f"{self.path} general.architecture"

    def hf_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The architecture as an HF config.json dict, plus HF key -> GGUF key (for messages).

        GGUF leaves three things implicit, read here from the tensors: tied
        embeddings (no ``output.weight``), Q/K/V biases (``blk.0.attn_q.bias``)
        and, when ``<arch>.vocab_size`` is absent, the vocab (embedding rows).
        ``head_count_kv`` defaults to ``head_count`` as the GGUF spec says.
        """
        arch = self.architecture or "?"
        keys = {
            "hidden_size": f"{arch}.embedding_length",
            "num_hidden_layers": f"{arch}.block_count",
            "num_attention_heads": f"{arch}.attention.head_count",
            "num_key_value_heads": f"{arch}.attention.head_count_kv",
            "intermediate_size": f"{arch}.feed_forward_length",
            "max_position_embeddings": f"{arch}.context_length",
            "rope_theta": f"{arch}.rope.freq_base",
            "rms_norm_eps": f"{arch}.attention.layer_norm_rms_epsilon",
            "vocab_size": f"{arch}.vocab_size",
        }
        d: dict[str, Any] = {"model_type": arch, "architectures": []}
        for hf_key, gguf_key in keys.items():
            if gguf_key in self._meta:
                d[hf_key] = self._meta[gguf_key]
        emb = self._tensors.get("model.embed_tokens.weight")
        if "vocab_size" not in d and emb is not None and len(emb.shape) == 2:
            d["vocab_size"] = emb.shape[0]
        d["tie_word_embeddings"] = "lm_head.weight" not in self._tensors
        d["hidden_act"] = "silu"
        return d, keys

    def model_config(self, name: str) -> ModelConfig:
        from trainer.checkpoint.arch import config_from_hf_dict

        d, keys = self.hf_config()
        return config_from_hf_dict(d, path=self.path, name=name, key_names=keys)

    def load_tensor(self, name: str) -> torch.Tensor:
        """Dequantise one tensor to fp32 in Hugging Face layout (Q/K rows un-permuted)."""
        import numpy as np
        import torch
        from gguf import GGMLQuantizationType
        from gguf.quants import dequantize

        st = self._stored[name]
        with open(self.path, "rb") as fh:
            fh.seek(st.offset)
            raw = fh.read(st.nbytes)
        if len(raw) != st.nbytes:  # file shrank after open
            raise InitError(FALSIFY_APR_PRETRAIN_INIT_004,
                            f"{self.path}: tensor {name!r} truncated while reading", fix="re-download")
        qt = GGMLQuantizationType(st.qtype)
        arr = np.frombuffer(raw, dtype=np.uint8)
        if len(st.dims) > 1:
            arr = arr.reshape(-1, st.nbytes // (int(np.prod(st.dims[:-1])) or 1))
        values = np.ascontiguousarray(np.asarray(dequantize(arr, qt), dtype=np.float32).reshape(st.dims))
        if not values.flags.writeable:  # F32 payloads come back as views of the read buffer
            values = values.copy()
        tensor = torch.from_numpy(values)
        if self.architecture in _PERMUTED_ARCHS:
            tensor = self._unpermute(name, tensor)
        return tensor

    def _unpermute(self, name: str, tensor: torch.Tensor) -> torch.Tensor:
        if ".self_attn.q_proj." in name:
            heads = int(self._meta[f"{self.architecture}.attention.head_count"])
        elif ".self_attn.k_proj." in name:
            arch = self.architecture
            heads = int(self._meta.get(f"{arch}.attention.head_count_kv", self._meta[f"{arch}.attention.head_count"]))
        else:
            return tensor
        return unpermute_rows(tensor, heads)

    def tokenizer_json(self) -> str | None:
        from trainer.checkpoint.bpe_json import build_bpe_tokenizer_json

        model = self._meta.get("tokenizer.ggml.model")
        tokens = self._meta.get("tokenizer.ggml.tokens")
        if model is None or tokens is None:
            return None
        if model != "gpt2":
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{self.path}: tokenizer.ggml.model={model!r}; only byte-level BPE ('gpt2') can be extracted",
                fix="pass --tokenizer DIR with the model's original tokenizer.json",
            )
        return build_bpe_tokenizer_json(
            tokens,
            self._meta.get("tokenizer.ggml.merges", []),
            self._meta.get("tokenizer.ggml.token_type"),
            str(self._meta.get("tokenizer.ggml.pre", "default")),
            source=str(self.path),
        )


def unpermute_rows(tensor: torch.Tensor, heads: int) -> torch.Tensor:
    """Invert llama.cpp's ``permute``: rows (h, 2, d/2) were stored as (h, d/2, 2)."""
    rows = tensor.shape[0]
    rest = tuple(tensor.shape[1:])
    return tensor.reshape(heads, rows // heads // 2, 2, *rest).transpose(1, 2).reshape(tensor.shape).contiguous()
