"""APR v2 (docs/apr-format.md): exact layout, bit-exact round trips, and one test per refusal.

Hostile files are built by patching a valid file and then *re-sealing* it
(recomputing the header CRC and the footer CRC), so each refusal test proves
the specific rule fires, not merely that a checksum changed.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.atomic import atomic_write_bytes, atomic_write_text
from trainer.checkpoint.apr import (
    APR_MAGIC_V1,
    APR_MAGIC_V2,
    FLAG_HAS_VOCAB,
    FLAG_LAYOUT_ROW_MAJOR,
    HEADER,
    AprFormatError,
    header_crc,
    load_apr,
    read_apr_index,
    read_apr_metadata,
    save_apr,
)
from trainer.checkpoint.arch import from_apr_metadata, to_apr_metadata
from trainer.config import ModelConfig
from trainer.errors import AprError
from trainer.model import LlamaForCausalLM


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "b.f32": torch.randn(3, 5, generator=g),
        "a.f16": torch.randn(7, generator=g).half(),
        "c.bf16": torch.randn(2, 3, 4, generator=g).bfloat16(),
        "d.i64": torch.arange(-3, 3, dtype=torch.int64),
        "e.u8": torch.arange(5, dtype=torch.uint8),
        "f.empty": torch.zeros(0, 4),
        "g.scalar": torch.tensor(2.5),
    }


META = {"architecture": "llama", "name": "unit", "hidden_size": 8}


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    path = tmp_path / "valid.apr"
    save_apr(path, _tensors(), META)
    return path


def _seal(data: bytearray) -> bytes:
    """Recompute the header CRC and the footer CRC of (possibly patched) APR bytes."""
    struct.pack_into("<I", data, 40, header_crc(bytes(data[:64])))
    struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])) & 0xFFFFFFFF)
    return bytes(data)


def _header(data: bytes) -> dict[str, int]:
    keys = (
        "magic",
        "major",
        "minor",
        "flags",
        "count",
        "meta_off",
        "meta_size",
        "index_off",
        "data_off",
        "crc",
        "res",
    )
    return dict(zip(keys, HEADER.unpack(data[:64]), strict=True))


def _patched(path: Path, tmp_path: Path, **fields: int) -> Path:
    """Rewrite named header fields of ``path`` (then re-seal) into a new file."""
    data = bytearray(path.read_bytes())
    h = list(HEADER.unpack(bytes(data[:64])))
    order = ["magic", "major", "minor", "flags", "count", "meta_off", "meta_size", "index_off", "data_off"]
    for key, value in fields.items():
        h[order.index(key)] = value
    data[:64] = HEADER.pack(*h)
    out = tmp_path / "patched.apr"
    out.write_bytes(_seal(data))
    return out


def _index_entry_offset(path: Path, name: str) -> int:
    """Absolute offset of ``name``'s index entry."""
    data = path.read_bytes()
    h = _header(data)
    pos = h["index_off"]
    for _ in range(h["count"]):
        (n,) = struct.unpack_from("<H", data, pos)
        entry_name = data[pos + 2 : pos + 2 + n].decode()
        ndim = data[pos + 3 + n]
        if entry_name == name:
            return pos
        pos += 20 + n + 8 * ndim
    raise KeyError(name)


def _patch_bytes(path: Path, tmp_path: Path, offset: int, new: bytes, *, seal: bool = True) -> Path:
    data = bytearray(path.read_bytes())
    data[offset : offset + len(new)] = new
    out = tmp_path / "patched.apr"
    out.write_bytes(_seal(data) if seal else bytes(data))
    return out


def _refused(path: Path, *fragments: str, gate: str = "FALSIFY-APR-PRETRAIN-INIT-004") -> AprFormatError:
    with pytest.raises(AprFormatError) as info:
        load_apr(path)
    err = info.value
    text = str(err)
    assert isinstance(err, AprError) and err.gate_id == gate
    assert str(path) in text, "the error must name the file"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    return err


# ---------------------------------------------------------------- layout & round trip
def test_crc32_variant_is_zlib() -> None:
    assert zlib.crc32(b"123456789") == 0xCBF43926


@pytest.mark.falsifies("INV-ARCH-370M-009")
def test_layout_matches_spec(valid: Path) -> None:
    data = valid.read_bytes()
    h = _header(data)
    assert HEADER.size == 64 and data[:4] == APR_MAGIC_V2 == b"APR\x00"
    assert (h["major"], h["minor"]) == (2, 0)
    assert h["flags"] == FLAG_LAYOUT_ROW_MAJOR
    assert h["count"] == len(_tensors())
    assert h["meta_off"] == 64
    assert h["index_off"] == 64 + ((h["meta_size"] + 63) & ~63)
    assert h["data_off"] % 64 == 0 and h["res"] == b"\x00" * 20
    assert h["crc"] == zlib.crc32(data[:40] + data[44:64])
    meta = data[64 : 64 + h["meta_size"]]
    assert json.loads(meta)["name"] == "unit" and b" " not in meta  # compact
    assert data[64 + h["meta_size"] : h["index_off"]] == b"\x00" * (h["index_off"] - 64 - h["meta_size"])
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4])
    f = read_apr_index(valid)
    names = [e.name for e in f.entries]
    assert names == sorted(names)
    assert all(e.offset % 64 == 0 for e in f.entries)
    sizes = sum((e.size + 63) & ~63 for e in f.entries)
    assert len(data) == h["data_off"] + sizes + 4
    codes = {e.name: e.dtype.code for e in f.entries}
    assert (codes["b.f32"], codes["a.f16"], codes["c.bf16"]) == (0, 1, 30)


def test_round_trip_is_bit_exact(valid: Path) -> None:
    f = load_apr(valid)
    src = _tensors()
    assert set(f.tensors) == set(src)
    for name, t in src.items():
        got = f.tensors[name]
        assert got.dtype == t.dtype and got.shape == t.shape
        assert torch.equal(got, t)
    assert f.metadata["name"] == "unit" and f.metadata["param_count"] == sum(t.numel() for t in src.values())


@pytest.mark.falsifies("GATE-ARCH-370M-004")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_model_state_dict_round_trip(tmp_path: Path, micro_config: ModelConfig, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    sd = {k: v.to(dtype) for k, v in LlamaForCausalLM(micro_config).state_dict().items()}
    sd["model.norm.weight"] = torch.tensor([float("nan"), float("inf"), -0.0] + [1.0] * 29, dtype=dtype)
    path = tmp_path / "m.apr"
    save_apr(path, sd, to_apr_metadata(micro_config))
    f = load_apr(path)
    for k, v in sd.items():
        assert f.tensors[k].dtype == dtype
        assert torch.equal(
            f.tensors[k].view(torch.int16 if dtype != torch.float32 else torch.int32),
            v.view(torch.int16 if dtype != torch.float32 else torch.int32),
        )
    assert from_apr_metadata(f.metadata) == micro_config


def test_writes_are_byte_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.apr", tmp_path / "b.apr"
    save_apr(a, _tensors(), META)
    reordered = dict(reversed(list(_tensors().items())))
    save_apr(b, reordered, dict(reversed(list(META.items()))))
    assert a.read_bytes() == b.read_bytes()


def test_has_vocab_flag_when_vocabulary_written(tmp_path: Path) -> None:
    path = tmp_path / "v.apr"
    save_apr(path, {"x": torch.zeros(2)}, {"tokenizer.vocabulary": ["a", "b"]})
    assert _header(path.read_bytes())["flags"] == FLAG_LAYOUT_ROW_MAJOR | FLAG_HAS_VOCAB


def test_writer_refuses_alias_metadata_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'n_embd' is an alias of 'hidden_size'"):
        save_apr(tmp_path / "x.apr", {"x": torch.zeros(1)}, {"n_embd": 8})


def test_read_metadata_without_tensors(valid: Path) -> None:
    assert read_apr_metadata(valid)["hidden_size"] == 8


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        from trainer.atomic import atomic_open

        with atomic_open(target) as fh:
            fh.write(b"half of the new")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no stray temp file
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"


def test_atomic_path_for_writers_that_need_a_file_name(tmp_path: Path) -> None:
    from trainer.atomic import atomic_path

    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


# ---------------------------------------------------------------- refusals (§3)
def test_missing_file_is_init_003(tmp_path: Path) -> None:
    with pytest.raises(AprFormatError) as info:
        load_apr(tmp_path / "nope.apr")
    assert info.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-003" and "nope.apr" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"AP", b"APR\x00\x02"])
def test_empty_or_short_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "short.apr"
    path.write_bytes(content)
    _refused(path, "truncated")


def test_bad_magic_shows_found_and_expected(tmp_path: Path) -> None:
    path = tmp_path / "x.apr"
    path.write_bytes(b"GGUF" + b"\x00" * 100)
    _refused(path, "magic at offset 0", "expected b'APR\\x00'", "found b'GGUF'")


def test_true_v1_is_refused_naming_the_format(tmp_path: Path) -> None:
    path = tmp_path / "v1.apr"
    path.write_bytes(APR_MAGIC_V1 + b"\x01\x00" + b"\x00" * 60)
    err = _refused(path, "APR v1", "bincode", "not a portable format")
    assert err.fix and "APR v2" in err.fix


@pytest.mark.parametrize("magic", [b"APRN", b"APR2"])
def test_early_v2_layout_reads_with_old_dtype_table(valid: Path, tmp_path: Path, magic: bytes) -> None:
    """APRN with version byte 2 (aprender's "v1 compat") and APR2 use the v2 layout, BF16 = code 2."""
    out = _patched(valid, tmp_path, magic=magic)
    bf16_entry = _index_entry_offset(out, "c.bf16")
    dtype_at = bf16_entry + 2 + len("c.bf16")
    out = _patch_bytes(out, tmp_path, dtype_at, bytes([2]))
    f = load_apr(out)
    assert f.header.magic == magic
    assert torch.equal(f.tensors["c.bf16"], _tensors()["c.bf16"])
    with pytest.raises(AprFormatError, match="unknown dtype code 2"):
        load_apr(_patched(out, tmp_path, magic=APR_MAGIC_V2))


def test_header_crc_mismatch(valid: Path, tmp_path: Path) -> None:
    data = bytearray(valid.read_bytes())
    data[50] ^= 0xFF  # a reserved byte: covered by the header CRC
    path = tmp_path / "crc.apr"
    path.write_bytes(bytes(data))
    _refused(path, "header CRC at offset 40", "expected 0x")


def test_footer_crc_mismatch_and_opt_out(valid: Path, tmp_path: Path) -> None:
    f = read_apr_index(valid)
    entry = next(e for e in f.entries if e.name == "b.f32")
    at = f.header.data_offset + entry.offset
    data = bytearray(valid.read_bytes())
    data[at] ^= 0x01
    path = tmp_path / "foot.apr"
    path.write_bytes(bytes(data))
    _refused(path, "footer CRC at offset", "expected 0x")
    loaded = load_apr(path, verify_crc=False)  # payloads are only protected by the footer
    assert not torch.equal(loaded.tensors["b.f32"], _tensors()["b.f32"])


def test_version_major_must_be_2(valid: Path, tmp_path: Path) -> None:
    _refused(_patched(valid, tmp_path, major=3), "version_major at offset 4", "expected 2, found 3")


@pytest.mark.falsifies("INV-ARCH-370M-009")
def test_column_major_flag_refused(valid: Path, tmp_path: Path) -> None:
    _refused(_patched(valid, tmp_path, flags=0x0C00), "LAYOUT_COLUMN_MAJOR")


@pytest.mark.parametrize(
    ("flag", "label"), [(0x1, "LZ4_COMPRESSED"), (0x2, "ZSTD_COMPRESSED"), (0x4, "ENCRYPTED")]
)
def test_compressed_or_encrypted_refused(valid: Path, tmp_path: Path, flag: int, label: str) -> None:
    _refused(_patched(valid, tmp_path, flags=0x400 | flag), label, "not supported")


def test_undefined_flag_bits_warn(valid: Path, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="undefined bits 0x8000"):
        f = load_apr(_patched(valid, tmp_path, flags=0x8400))
    assert set(f.tensors) == set(_tensors())


def test_metadata_past_end(valid: Path, tmp_path: Path) -> None:
    _refused(
        _patched(valid, tmp_path, meta_size=0xFFFFFFFF), "metadata_offset/metadata_size", "runs past the end"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1, 2]", "expected a JSON object, found list"),
        (b'{"a": NaN}', "invalid data"),
        (b"\xff\xfe{}", "invalid data"),
    ],
)
def test_metadata_must_be_a_json_object(tmp_path: Path, payload: bytes, message: str) -> None:
    path = tmp_path / "m.apr"
    save_apr(path, {"x": torch.zeros(1)}, {})
    size = _header(path.read_bytes())["meta_size"]
    assert len(payload) <= size
    new = payload + b" " * (size - len(payload))
    err = _refused(
        _patch_bytes(path, tmp_path, 64, new),
        "metadata JSON at offset 64",
        message,
        gate="FALSIFY-APR-PRETRAIN-INIT-005",
    )
    assert err.exit_code == 3


def test_tensor_count_beyond_index(valid: Path, tmp_path: Path) -> None:
    _refused(_patched(valid, tmp_path, count=0xFFFFFFFF), "tensor_count at offset 8", "4294967295 entries")


def test_index_entry_past_data_offset(valid: Path, tmp_path: Path) -> None:
    n = len(_tensors())
    _refused(_patched(valid, tmp_path, count=n + 1), f"tensor index entry {n}")


def test_data_offset_past_end_and_misaligned(valid: Path, tmp_path: Path) -> None:
    _refused(_patched(valid, tmp_path, data_off=1 << 40), "data_offset at offset 32")
    h = _header(valid.read_bytes())
    _refused(_patched(valid, tmp_path, data_off=h["data_off"] + 1), "expected a multiple of 64")


def test_index_offset_inside_metadata(valid: Path, tmp_path: Path) -> None:
    _refused(_patched(valid, tmp_path, index_off=65), "tensor_index_offset at offset 24")


def _patch_entry(valid: Path, tmp_path: Path, name: str, field: str, value: bytes) -> Path:
    pos = _index_entry_offset(valid, name)
    ndim_at = pos + 2 + len(name) + 1
    ndim = valid.read_bytes()[ndim_at]
    where = {
        "name": pos + 2,
        "dtype": pos + 2 + len(name),
        "ndim": ndim_at,
        "dim0": ndim_at + 1,
        "offset": ndim_at + 1 + 8 * ndim,
        "size": ndim_at + 1 + 8 * ndim + 8,
    }[field]
    return _patch_bytes(valid, tmp_path, where, value)


def test_terabyte_tensor_is_refused_without_allocating(valid: Path, tmp_path: Path) -> None:
    """A header claiming 2**40 x 5 floats is checked against the file length before any allocation."""
    huge = _patch_entry(valid, tmp_path, "b.f32", "dim0", struct.pack("<Q", 1 << 40))
    huge = _patch_entry(huge, tmp_path, "b.f32", "size", struct.pack("<Q", (1 << 40) * 5 * 4))
    _refused(huge, "tensor 'b.f32'", "runs past the end")


def test_payload_size_must_match_dtype_and_shape(valid: Path, tmp_path: Path) -> None:
    bad = _patch_entry(valid, tmp_path, "b.f32", "size", struct.pack("<Q", 56))
    _refused(
        bad, "tensor 'b.f32'", "payload size 56 does not match dtype F32 shape [3, 5]: expected 60 bytes"
    )


def test_payload_offset_misaligned(valid: Path, tmp_path: Path) -> None:
    bad = _patch_entry(valid, tmp_path, "a.f16", "offset", struct.pack("<Q", 8))
    _refused(bad, "tensor 'a.f16'", "not a multiple of 64")


def test_overlapping_payloads_refused(valid: Path, tmp_path: Path) -> None:
    f = read_apr_index(valid)
    a_off = next(e.offset for e in f.entries if e.name == "a.f16")
    bad = _patch_entry(valid, tmp_path, "d.i64", "offset", struct.pack("<Q", a_off))
    _refused(bad, "overlaps tensor")


def test_unknown_dtype_refused(valid: Path, tmp_path: Path) -> None:
    _refused(_patch_entry(valid, tmp_path, "b.f32", "dtype", bytes([77])), "unknown dtype code 77")


def test_ndim_cap(valid: Path, tmp_path: Path) -> None:
    _refused(_patch_entry(valid, tmp_path, "b.f32", "ndim", bytes([200])), "ndim 200 exceeds")


def test_names_out_of_order_and_duplicates(valid: Path, tmp_path: Path) -> None:
    _refused(_patch_entry(valid, tmp_path, "b.f32", "name", b"z"), "names out of order")
    _refused(_patch_entry(valid, tmp_path, "b.f32", "name", b"a.f16"[:1] + b".f16"), "duplicate name")


def test_invalid_utf8_name(valid: Path, tmp_path: Path) -> None:
    _refused(_patch_entry(valid, tmp_path, "b.f32", "name", b"\xff"), "not valid UTF-8")


@pytest.mark.parametrize("keep", [0, 3, 63, 64, 100, -5, -4, -1])
def test_truncated_file(valid: Path, tmp_path: Path, keep: int) -> None:
    data = valid.read_bytes()
    path = tmp_path / "t.apr"
    path.write_bytes(data[:keep])
    with pytest.raises(AprFormatError) as info:
        load_apr(path)
    assert str(path) in str(info.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AprFormatError, match="is a directory"):
        load_apr(tmp_path)


def test_quantized_apr_q8_and_q4_dequantize(tmp_path: Path) -> None:
    """APR_Q8 (f32 scale + i8) and APR_Q4 (f16 scale + nibbles) decode to float32 per the spec formulas."""
    path = tmp_path / "q.apr"
    save_apr(path, {"q4": torch.zeros(18, dtype=torch.uint8), "q8": torch.zeros(7, dtype=torch.uint8)}, {})
    q8_payload = struct.pack("<f", 0.5) + bytes([1, 2, 255])  # values 0.5, 1.0, -0.5
    q4_payload = struct.pack("<e", 2.0) + bytes([0x9A]) + bytes(15)  # low nibble 10 -> 4.0, high 9 -> 2.0
    data = bytearray(path.read_bytes())
    f = read_apr_index(path)
    for e in f.entries:
        at = f.header.data_offset + e.offset
        payload = q4_payload if e.name == "q4" else q8_payload
        data[at : at + len(payload)] = payload
    path.write_bytes(_seal(data))
    p = _patch_entry(path, tmp_path, "q4", "dtype", bytes([128]))
    p = _patch_entry(p, tmp_path, "q4", "dim0", struct.pack("<Q", 32))
    p = _patch_entry(p, tmp_path, "q8", "dtype", bytes([129]))
    p = _patch_entry(p, tmp_path, "q8", "dim0", struct.pack("<Q", 3))
    p = _patch_entry(p, tmp_path, "q8", "size", struct.pack("<Q", 7))
    loaded = load_apr(p)
    assert loaded.tensors["q8"].tolist() == [0.5, 1.0, -0.5]
    q4 = loaded.tensors["q4"]
    assert q4.shape == (32,) and q4[:2].tolist() == [4.0, 2.0] and q4[2:].eq(-16.0).all()


# ---------------------------------------------------------------- hostile bytes (property tests)
_SMALL: dict[str, torch.Tensor] = {
    "w": torch.arange(12, dtype=torch.float32).reshape(3, 4),
    "h": torch.ones(5, dtype=torch.float16),
    "z": torch.full((2,), 3.0, dtype=torch.bfloat16),
}


@pytest.fixture(scope="module")
def small_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("apr") / "small.apr"
    save_apr(path, _SMALL, {"architecture": "llama"})
    return path.read_bytes()


def _load_bytes(data: bytes, tmp: Path, *, verify_crc: bool) -> object:
    path = tmp / "fuzz.apr"
    path.write_bytes(data)
    return load_apr(path, verify_crc=verify_crc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_burst_corruption_is_detected(small_bytes: bytes, tmp_path: Path, data: st.DataObject) -> None:
    """With CRC verification on, changing 1..4 contiguous bytes anywhere is always a clean AprFormatError.

    Guaranteed, not probable: CRC-32 detects every error burst of at most 32
    bits, the header bytes are covered twice (header CRC and footer CRC) and
    the footer itself is compared against a recomputation.
    """
    start = data.draw(st.integers(0, len(small_bytes) - 1))
    length = data.draw(st.integers(1, min(4, len(small_bytes) - start)))
    xor = data.draw(st.binary(min_size=length, max_size=length).filter(lambda b: any(b)))
    corrupted = bytearray(small_bytes)
    for i, x in enumerate(xor):
        corrupted[start + i] ^= x
    with pytest.raises(AprFormatError):
        _load_bytes(bytes(corrupted), tmp_path, verify_crc=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=8))
def test_random_flips_without_crc_are_clean_errors_or_unchanged_where_unchecked(
    small_bytes: bytes, tmp_path: Path, flips: list[tuple[int, int]]
) -> None:
    """verify_crc=False (the opt-out for huge files): arbitrary flips give a clean AprFormatError,
    or a load in which every tensor whose payload bytes were not touched is bit-identical.

    Payload bytes are not covered by any check once the footer CRC is off, so a
    flipped payload byte legitimately changes that tensor (and only that one);
    flips in padding, the footer or an ignored byte change nothing.
    """
    corrupted = bytearray(small_bytes)
    touched = set()
    for pos, x in flips:
        pos %= len(corrupted)
        corrupted[pos] ^= x
        touched.add(pos)
    try:
        f = _load_bytes(bytes(corrupted), tmp_path, verify_crc=False)
    except AprFormatError:
        return
    original = _entry_spans(small_bytes)
    for name, (index_span, payload_span) in original.items():
        if any(a <= p < b for a, b in (index_span, payload_span) for p in touched):
            continue  # this tensor's own bytes changed: unchecked data may legitimately differ
        assert name in f.tensors, name
        got = f.tensors[name].reshape(-1).view(torch.uint8)
        assert torch.equal(got, _SMALL[name].reshape(-1).view(torch.uint8)), name


def _entry_spans(data: bytes) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """name -> ((index entry start, end), (payload start, end)) in the original file."""
    h = _header(data)
    pos, spans = h["index_off"], {}
    for _ in range(h["count"]):
        (n,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + n].decode()
        ndim = data[pos + 3 + n]
        end = pos + 20 + n + 8 * ndim
        offset, size = struct.unpack_from("<QQ", data, end - 16)
        spans[name] = ((pos, end), (h["data_off"] + offset, h["data_off"] + offset + size))
        pos = end
    return spans


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10_000), extra=st.binary(max_size=70))
def test_truncation_or_extension_is_detected(
    small_bytes: bytes, tmp_path: Path, cut: int, extra: bytes
) -> None:
    cut %= len(small_bytes)
    mutated = small_bytes[:cut] + extra
    if mutated == small_bytes:
        return
    with pytest.raises(AprFormatError):
        _load_bytes(mutated, tmp_path, verify_crc=True)


def test_file_without_tensors_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "empty.apr"
    save_apr(path, {}, {"note": "metadata only"})
    f = load_apr(path)
    assert f.tensors == {} and f.entries == [] and f.metadata["note"] == "metadata only"
    assert len(path.read_bytes()) == f.header.data_offset + 4


def test_q4_k_rows_are_padded_to_256_and_dequantized_row_by_row(tmp_path: Path) -> None:
    """Q4_K [2, 300]: each row takes ceil(300/256) = 2 super-blocks of 144 bytes; values beyond 300 are dropped."""
    import numpy as np
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(2, 288), dtype=np.uint8)
    raw[:, 0:4] = np.frombuffer(
        np.array([0.01, 0.002], dtype=np.float16).tobytes(), dtype=np.uint8
    )  # d, dmin
    raw[:, 144:148] = raw[:, 0:4]
    path = tmp_path / "k.apr"
    save_apr(path, {"k": torch.from_numpy(raw.copy())}, {})
    path = _patch_entry(path, tmp_path, "k", "dtype", bytes([12]))
    path = _patch_entry(path, tmp_path, "k", "dim0", struct.pack("<QQ", 2, 300))
    t = load_apr(path).tensors["k"]
    assert t.shape == (2, 300) and t.dtype == torch.float32
    row1 = dequantize(raw[1:2], GGMLQuantizationType.Q4_K)[0, :300]  # row 1 alone: rows are independent
    assert np.array_equal(t[1].numpy(), row1.astype(np.float32))
    bad = _patch_entry(path, tmp_path, "k", "dim0", struct.pack("<QQ", 2, 600))
    _refused(bad, "payload size 576 does not match dtype Q4_K shape [2, 600]: expected 864 bytes")
