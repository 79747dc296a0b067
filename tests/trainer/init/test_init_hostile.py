"""Hostile and broken files: every size/offset checked against the file before allocating.

Each case must be a one-line FALSIFY-APR-PRETRAIN-INIT-004 error naming the
file and the place, never an out-of-memory, a struct.error or a traceback.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from init_helpers import llama_micro, random_state, write_gguf, write_hf_dir

from trainer.checkpoint.arch import to_hf_config
from trainer.checkpoint.init import inspect_init, open_checkpoint
from trainer.checkpoint.init_errors import InitError

TB = 1 << 40


def _safetensors(path: Path, header: dict, payload: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + payload)
    return path


def _hf_dir(tmp_path: Path, header: dict, payload: bytes = b"") -> Path:
    d = tmp_path / "hf"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text(json.dumps(to_hf_config(llama_micro())))
    _safetensors(d / "model.safetensors", header, payload)
    return d


def _expect_004(path: Path, *needles: str) -> str:
    with pytest.raises(InitError) as exc:
        inspect_init(path)
    msg = str(exc.value)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-004", msg
    for n in needles:
        assert n in msg, (n, msg)
    return msg


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_safetensors_terabyte_tensor_refused_without_allocating(tmp_path: Path, no_alloc) -> None:
    header = {"w": {"dtype": "F32", "shape": [TB // 4], "data_offsets": [0, TB]}}
    with no_alloc():
        _expect_004(_hf_dir(tmp_path, header, b"\0" * 64), "'w'", "past the end")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_safetensors_header_length_past_end(tmp_path: Path) -> None:
    d = tmp_path / "hf"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(to_hf_config(llama_micro())))
    (d / "model.safetensors").write_bytes(struct.pack("<Q", TB) + b"{}")
    _expect_004(d, "header claims")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_safetensors_truncated_file(tmp_path: Path, make_hf_dir) -> None:
    d = make_hf_dir()
    st_file = d / "model.safetensors"
    data = st_file.read_bytes()
    st_file.write_bytes(data[: len(data) - 10])
    _expect_004(d, "past the end")
    st_file.write_bytes(data[:5])
    _expect_004(d, "truncated safetensors")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_safetensors_size_shape_mismatch_and_overlap(tmp_path: Path) -> None:
    _expect_004(_hf_dir(tmp_path, {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 16), "needs 16")
    overlap = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
    }
    _expect_004(_hf_dir(tmp_path, overlap, b"\0" * 16), "overlap")
    _expect_004(_hf_dir(tmp_path, {"w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4), "F99")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_sharded_index_pointing_past_the_end_or_outside(tmp_path: Path, make_hf_dir) -> None:
    d = make_hf_dir()
    single = d / "model.safetensors"
    shard = d / "model-00001-of-00001.safetensors"
    single.rename(shard)
    from trainer.checkpoint.safetensors_io import SafetensorsFile

    names = list(SafetensorsFile(shard).entries)
    index = d / "model.safetensors.index.json"

    def write_index(mapping: dict) -> None:
        index.write_text(json.dumps({"metadata": {}, "weight_map": mapping}))

    write_index(dict.fromkeys(names, shard.name))
    assert len(inspect_init(d).tensors) == len(names)  # the valid sharded dir loads
    write_index({**dict.fromkeys(names, shard.name), "model.norm.weight": "model-00002-of-00002.safetensors"})
    _expect_004(d, "does not exist")
    write_index({**dict.fromkeys(names, shard.name), "model.norm.weight": "../escape.safetensors"})
    _expect_004(d, "not a file name inside the directory")
    write_index({**dict.fromkeys(names, shard.name), "ghost.weight": shard.name})
    _expect_004(d, "does not contain it")
    write_index(dict.fromkeys(names[:-1], shard.name))
    _expect_004(d, "does not map")
    # The shard itself truncated: its offsets now point past the end.
    write_index(dict.fromkeys(names, shard.name))
    shard.write_bytes(shard.read_bytes()[:-64])
    _expect_004(d, "past the end")


def _gguf_bytes(tmp_path: Path) -> bytes:
    cfg = llama_micro()
    return write_gguf(tmp_path / "ok.gguf", cfg, random_state(cfg)).read_bytes()


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_gguf_truncated_and_hostile_headers(tmp_path: Path, no_alloc) -> None:
    data = _gguf_bytes(tmp_path)
    bad = tmp_path / "bad.gguf"
    for cut in (6, 30, 200, len(data) - 8):
        bad.write_bytes(data[:cut])
        with no_alloc():
            _expect_004(bad, str(bad))
    # tensor/kv counts of 2^60: refused from the size check, not looped over.
    bad.write_bytes(data[:8] + struct.pack("<QQ", 1 << 60, 1 << 60) + data[24:])
    _expect_004(bad, "truncated GGUF")
    # unsupported version
    bad.write_bytes(data[:4] + struct.pack("<I", 99) + data[8:])
    _expect_004(bad, "version 99")
    # first key's length claims a terabyte
    bad.write_bytes(data[:24] + struct.pack("<Q", TB) + data[32:])
    _expect_004(bad, "claims")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_gguf_tensor_offset_past_end(tmp_path: Path) -> None:
    from trainer.checkpoint.gguf import GGUFReader

    good = tmp_path / "ok.gguf"
    data = bytearray(_gguf_bytes(tmp_path))
    reader = GGUFReader(good)
    last = max(reader._stored.values(), key=lambda s: s.offset)
    # Find the tensor-info offset field of that tensor: its relative offset is stored as u64 in the header.
    data_start = min(s.offset for s in reader._stored.values())
    rel = struct.pack("<Q", last.offset - data_start)
    pos = bytes(data).rfind(rel, 0, data_start)
    assert pos > 0
    data[pos : pos + 8] = struct.pack("<Q", TB)
    bad = tmp_path / "past.gguf"
    bad.write_bytes(bytes(data))
    _expect_004(bad, "past the end")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)), min_size=1, max_size=4))
def test_gguf_random_byte_flips_give_clean_errors_or_a_valid_parse(tmp_path: Path, flips) -> None:
    """Flipping bytes of a valid GGUF: the reader either refuses with INIT-004/005/ARCH-MATCH or parses;
    any other exception (struct.error, MemoryError, UnicodeDecodeError, ...) fails the test."""
    data = bytearray(_gguf_bytes(tmp_path))
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    f = tmp_path / "flipped.gguf"
    f.write_bytes(bytes(data))
    try:
        reader = open_checkpoint(f)
    except InitError as exc:
        assert exc.gate_id.startswith("FALSIFY-"), str(exc)
        return
    # Parsed: every declared tensor lies inside the file.
    size = f.stat().st_size
    for info in reader.tensors.values():
        assert info.nbytes >= 0
    assert all(s.offset + s.nbytes <= size for s in reader._stored.values())


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.integers(1, 255)), min_size=1, max_size=3))
def test_safetensors_header_byte_flips_give_clean_errors(tmp_path: Path, flips) -> None:
    cfg = llama_micro()
    d = write_hf_dir(tmp_path / "hf", cfg, random_state(cfg))
    f = d / "model.safetensors"
    data = bytearray(f.read_bytes())
    for pos, mask in flips:
        data[pos] ^= mask
    f.write_bytes(bytes(data))
    try:
        inspect_init(d)
    except InitError as exc:
        assert exc.gate_id.startswith("FALSIFY-"), str(exc)
