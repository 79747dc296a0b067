"""Steps 1-6 of the init path: each refusal names its falsifier and happens before a model exists."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from init_helpers import llama_micro, qwen2_micro, random_state, write_apr, write_gguf, write_hf_dir

from trainer.checkpoint.arch import to_hf_config
from trainer.checkpoint.init import inspect_init
from trainer.checkpoint.init_errors import InitError


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-003")
def test_init_missing_file_names_falsifier_and_path(tmp_path: Path, no_alloc) -> None:
    missing = tmp_path / "nonexistent.apr"
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(missing)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-003"
    assert "FALSIFY-APR-PRETRAIN-INIT-003" in str(exc.value) and str(missing) in str(exc.value)
    assert exc.value.exit_code == 3


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_init_bad_magic_shows_bytes_found_and_expected(tmp_path: Path, no_alloc) -> None:
    bad = tmp_path / "model.apr"
    bad.write_bytes(b"NOPE" + b"\x00" * 100)
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(bad)
    msg = str(exc.value)
    assert "FALSIFY-APR-PRETRAIN-INIT-004" in msg
    assert "4e 4f 50 45" in msg and "b'NOPE'" in msg  # found
    assert "41 50 52 00" in msg and "47 47 55 46" in msg  # expected: APR\0 and GGUF


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_init_empty_file_errors(tmp_path: Path, no_alloc) -> None:
    empty = tmp_path / "empty.apr"
    empty.write_bytes(b"")
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(empty)
    assert "FALSIFY-APR-PRETRAIN-INIT-004" in str(exc.value)
    assert "empty file" in str(exc.value) and "nothing (0 bytes)" in str(exc.value)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_init_truncated_apr_errors(tmp_path: Path, no_alloc) -> None:
    cfg = llama_micro()
    good = write_apr(tmp_path / "good.apr", cfg, random_state(cfg))
    data = good.read_bytes()
    for cut in (3, 40, len(data) // 2, len(data) - 1):
        bad = tmp_path / f"cut{cut}.apr"
        bad.write_bytes(data[:cut])
        with pytest.raises(InitError) as exc, no_alloc():
            inspect_init(bad)
        assert "FALSIFY-APR-PRETRAIN-INIT-004" in str(exc.value), (cut, str(exc.value))


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_init_apr_crc_mismatch_errors_before_allocation(tmp_path: Path, no_alloc) -> None:
    cfg = llama_micro()
    good = write_apr(tmp_path / "good.apr", cfg, random_state(cfg))
    data = bytearray(good.read_bytes())
    data[-100] ^= 0xFF  # inside the last tensor's payload: only the footer CRC can catch it
    bad = tmp_path / "flipped.apr"
    bad.write_bytes(bytes(data))
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(bad)
    assert "FALSIFY-APR-PRETRAIN-INIT-004" in str(exc.value) and "CRC" in str(exc.value)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-005")
def test_init_valid_magic_but_bogus_metadata_fails_at_arch_extraction(
    tmp_path: Path, no_alloc
) -> None:
    cfg = llama_micro()
    tensors = random_state(cfg)
    from trainer.checkpoint.apr import save_apr

    # Valid APR v2 (magic, CRCs, index) whose metadata says nothing about the architecture.
    bogus = save_apr(tmp_path / "bogus.apr", tensors, {"name": "mystery"})
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(bogus)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005"
    # Family present but a required field missing: still INIT-005, naming the key.
    meta_missing = write_apr(tmp_path / "nohidden.apr", cfg, tensors, hidden_size=None)
    with pytest.raises(InitError) as exc2, no_alloc():
        inspect_init(meta_missing)
    assert exc2.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005" and "hidden_size" in str(exc2.value)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-005")
def test_init_hf_and_gguf_missing_fields_list_them(tmp_path: Path, make_hf_dir, no_alloc) -> None:
    d = make_hf_dir()
    cfg = json.loads((d / "config.json").read_text())
    del cfg["rms_norm_eps"], cfg["intermediate_size"]
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(d)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005"
    assert "rms_norm_eps" in str(exc.value) and "intermediate_size" in str(exc.value)
    (d / "config.json").write_text("{not json")
    with pytest.raises(InitError) as exc2, no_alloc():
        inspect_init(d)
    assert exc2.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005"


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-007")
def test_init_refuses_real_bert_encoder(bert_dir: Path, no_alloc) -> None:
    """The real all-MiniLM-L6-v2 BERT (config.json + model.safetensors) is refused as an encoder."""
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(bert_dir)
    msg = str(exc.value)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-ARCH-007"
    assert "encoder" in msg and "bert" in msg and "BertModel" in msg


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-007")
def test_init_refuses_encoder_tensor_names_even_if_stamped_llama(tmp_path: Path, bert_dir: Path, no_alloc) -> None:
    """A BERT whose config lies ("llama") is still refused: the tensor names show an encoder."""
    import shutil

    d = tmp_path / "liar"
    shutil.copytree(bert_dir, d)
    cfg = json.loads((d / "config.json").read_text())
    cfg.update(model_type="llama", architectures=["LlamaForCausalLM"])
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(d)
    assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-ARCH-007"


@pytest.mark.falsifies("FALSIFY-INIT-ARCH-MATCH-001")
def test_init_refuses_qwen2_hf_dir_stamped_llama(tmp_path: Path, no_alloc) -> None:
    q = qwen2_micro()
    d = write_hf_dir(tmp_path / "q", q, random_state(q), model_type="llama", architectures=["LlamaForCausalLM"])
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(d)
    msg = str(exc.value)
    assert exc.value.gate_id == "FALSIFY-INIT-ARCH-MATCH-001"
    assert "'llama'" in msg and "'qwen2'" in msg and "bias" in msg


@pytest.mark.falsifies("FALSIFY-INIT-ARCH-MATCH-001")
def test_init_refuses_qwen2_apr_stamped_llama(tmp_path: Path, no_alloc) -> None:
    """The seed's §86 case: an APR whose metadata says llama but whose tensors carry q/k/v biases."""
    q = qwen2_micro()
    apr = write_apr(
        tmp_path / "stamped.apr", q, random_state(q), architecture="llama", model_type="Llama",
        hf_model_type="llama", hf_architecture="LlamaForCausalLM", attention_bias=None,
    )
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(apr)
    assert exc.value.gate_id == "FALSIFY-INIT-ARCH-MATCH-001"


@pytest.mark.falsifies("FALSIFY-INIT-ARCH-MATCH-001")
def test_init_refuses_llama_stamped_qwen2(tmp_path: Path, no_alloc) -> None:
    cfg = llama_micro()
    d = write_hf_dir(tmp_path / "l", cfg, random_state(cfg), model_type="qwen2", architectures=["Qwen2ForCausalLM"])
    with pytest.raises(InitError) as exc, no_alloc():
        inspect_init(d)
    assert exc.value.gate_id == "FALSIFY-INIT-ARCH-MATCH-001"


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-012")
def test_init_refuses_pickle_without_unpickling(tmp_path: Path, no_alloc) -> None:
    """A .bin/.pt whose unpickling would create a file: refused, and the file is never created."""
    sentinel = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (open, (str(sentinel), "w"))

    for name in ("pytorch_model.bin", "model.pt", "weights.ckpt"):
        f = tmp_path / name
        f.write_bytes(pickle.dumps(Evil()))
        with pytest.raises(InitError) as exc, no_alloc():
            inspect_init(f)
        assert exc.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-012" and "pickle" in str(exc.value)
    # A torch.save zip archive with an innocent name, and an HF dir holding only pickles.
    zipped = tmp_path / "weights.data"
    torch.save({"w": torch.zeros(2)}, zipped)
    with pytest.raises(InitError) as exc2, no_alloc():
        inspect_init(zipped)
    assert exc2.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-012"
    hf = tmp_path / "hfdir"
    hf.mkdir()
    (hf / "config.json").write_text(json.dumps(to_hf_config(llama_micro())))
    (hf / "pytorch_model.bin").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(InitError) as exc3, no_alloc():
        inspect_init(hf)
    assert exc3.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-012"
    assert not sentinel.exists()


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-003")
def test_init_architecture_comes_from_the_checkpoint_in_every_format(tmp_path: Path) -> None:
    """All fields are extracted (not a preset): the same odd-sized model read as HF dir, APR and GGUF."""
    q = qwen2_micro()
    tensors = random_state(q)
    sources = {
        "hf": write_hf_dir(tmp_path / "hf", q, tensors),
        "apr": write_apr(tmp_path / "m.apr", q, tensors),
        "gguf": write_gguf(tmp_path / "m.gguf", q, tensors),
    }
    for fmt, path in sources.items():
        spec = inspect_init(path)
        assert spec.format == fmt
        got = spec.config.to_dict()
        want = q.to_dict()
        for key in ("rms_norm_eps", "rope_theta"):  # GGUF stores these as float32
            assert got.pop(key) == pytest.approx(want.pop(key), rel=1e-6), (fmt, key)
        got.pop("name"), want.pop("name")
        assert got == want, (fmt, got, want)
        assert spec.family_declared == "qwen2" and spec.family_tensors == "qwen2"
