"""C-TOK-BPE gates on a small trained byte-level BPE (vocab 400)."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.data.check import check_tokenizer
from trainer.data.tokenizer import (
    MIN_VOCAB_SIZE,
    SPECIAL_TOKENS,
    count_vocab,
    eos_token_id,
    load_tokenizer,
    merges_count,
    missing_byte_tokens,
    train_bpe,
)
from trainer.errors import PreflightError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def roundtrip(tokenizer, text: str) -> str:  # type: ignore[no-untyped-def]
    return tokenizer.decode(tokenizer.encode(text, add_special_tokens=False).ids, skip_special_tokens=False)


@pytest.mark.falsifies("GATE-BPE-001", "INV-BPE-001")
def test_train_bpe_vocab_size_is_exact(tokenizer_dir: Path) -> None:
    tok = load_tokenizer(tokenizer_dir)
    vocab = json.loads((tokenizer_dir / "vocab.json").read_text(encoding="utf-8"))
    assert tok.get_vocab_size(with_added_tokens=True) == 400
    assert len(vocab) == 400 == count_vocab(tokenizer_dir)
    assert sorted(vocab.values()) == list(range(400))


@pytest.mark.falsifies("GATE-BPE-001")
def test_train_bpe_refuses_vocab_below_byte_coverage(corpus_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as err:
        train_bpe([corpus_dir], MIN_VOCAB_SIZE - 1, tmp_path / "tok")
    assert err.value.gate_id == "GATE-BPE-001"
    assert str(MIN_VOCAB_SIZE - 1) in str(err.value) and str(MIN_VOCAB_SIZE) in str(err.value)
    assert not (tmp_path / "tok" / "tokenizer.json").exists()


@pytest.mark.falsifies("GATE-BPE-001")
def test_train_bpe_refuses_corpus_too_small_for_vocab(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("tiny tiny text", encoding="utf-8")
    with pytest.raises(PreflightError) as err:
        train_bpe([tmp_path / "a.txt"], 5000, tmp_path / "tok")
    message = str(err.value)
    assert err.value.gate_id == "GATE-BPE-001" and "5000" in message and "--vocab-size" in message


@pytest.mark.falsifies("GATE-BPE-002", "INV-BPE-002")
def test_special_tokens_have_fixed_distinct_ids(tokenizer_dir: Path) -> None:
    tok = load_tokenizer(tokenizer_dir)
    ids = [tok.token_to_id(t) for t in SPECIAL_TOKENS]
    assert ids == [0, 1, 2, 3]
    vocab = json.loads((tokenizer_dir / "vocab.json").read_text(encoding="utf-8"))
    assert [vocab[t] for t in SPECIAL_TOKENS] == [0, 1, 2, 3]
    assert eos_token_id(tok) == 1


@pytest.mark.falsifies("GATE-BPE-003", "INV-BPE-003")
@FUZZ
@given(text=st.text(max_size=300))
def test_roundtrip_is_byte_exact_on_arbitrary_unicode(tokenizer_dir: Path, text: str) -> None:
    tok = load_tokenizer(tokenizer_dir)
    assert roundtrip(tok, text).encode("utf-8") == text.encode("utf-8")


# Characters that NFC/NFKC would rewrite: combining marks, singleton decompositions (Angstrom, Ohm),
# ligatures, full-width digits, conjoining Hangul jamo. Uniform random text almost never hits them.
NORMALIZATION_SENSITIVE = ["e", "a", "\u0301", "\u0308", "\u0323", "\u212b", "\u2126", "\ufb01", "\uff11",
                           "\u1e9b", "\u1100", "\u1161", "\u11a8", "\ud55c", "\u00e9", "A", "\u030a"]
# (st.lists + join: st.text(alphabet=one_of(...)) draws almost only from the second branch.)


@pytest.mark.falsifies("GATE-BPE-003", "INV-BPE-003")
@FUZZ
@given(text=st.lists(st.one_of(st.sampled_from(NORMALIZATION_SENSITIVE), st.characters(exclude_categories=["Cs"])),
                     max_size=60).map("".join))
def test_roundtrip_is_byte_exact_on_normalization_sensitive_text(tokenizer_dir: Path, text: str) -> None:
    tok = load_tokenizer(tokenizer_dir)
    assert roundtrip(tok, text).encode("utf-8") == text.encode("utf-8")


@pytest.mark.falsifies("GATE-BPE-003", "INV-BPE-003")
@FUZZ
@given(parts=st.lists(st.sampled_from([*SPECIAL_TOKENS, "<|", "|>", " ", "\n", "é", "\r\n", "\x00", "🙂"]),
                      max_size=30))
def test_roundtrip_keeps_special_token_spellings(tokenizer_dir: Path, parts: list[str]) -> None:
    tok = load_tokenizer(tokenizer_dir)
    text = "".join(parts)
    assert roundtrip(tok, text) == text


@pytest.mark.falsifies("GATE-BPE-003")
def test_check_report_counts_zero_diffs_on_corpus(tokenizer_dir: Path, corpus_dir: Path) -> None:
    report = check_tokenizer(tokenizer_dir, [corpus_dir], expect_vocab_size=400)
    assert report["docs"] == 24 and report["diffs"] == 0 and report["unk_occurrences"] == 0
    assert report["ok"] is True


@pytest.mark.falsifies("GATE-BPE-004", "INV-BPE-004")
def test_merge_count_is_vocab_minus_specials_minus_bytes(tokenizer_dir: Path) -> None:
    merges = [line for line in (tokenizer_dir / "merges.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#version")]
    data = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert len(merges) == len(data["model"]["merges"]) == merges_count(400) == 400 - 4 - 256


@pytest.mark.falsifies("GATE-BPE-005", "INV-BPE-005")
def test_no_normalizer_decomposed_text_roundtrips_unchanged(tokenizer_dir: Path) -> None:
    tok = load_tokenizer(tokenizer_dir)
    data = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert data["normalizer"] is None
    decomposed = "cafe\u0301 = 'Å' + 'ﬁ' + '１'"
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    assert roundtrip(tok, decomposed) == decomposed  # NFC would have rewritten it
    composed = unicodedata.normalize("NFC", decomposed)
    assert roundtrip(tok, composed) == composed
    assert tok.encode(decomposed).ids != tok.encode(composed).ids  # distinct bytes, distinct ids


_TRAIN_SCRIPT = """
import sys
from trainer.data.tokenizer import train_bpe
train_bpe([sys.argv[1]], 400, sys.argv[2])
"""


@pytest.mark.falsifies("GATE-BPE-006")
def test_training_is_deterministic_across_processes(corpus_dir: Path, tokenizer_dir: Path,
                                                    tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for i, out in enumerate(outs):
        subprocess.run([sys.executable, "-c", _TRAIN_SCRIPT, str(corpus_dir), str(out)], check=True,
                       env={"PYTHONHASHSEED": str(i), "PATH": "/usr/bin:/bin"})
    for name in ("tokenizer.json", "vocab.json", "merges.txt"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes() == (tokenizer_dir / name).read_bytes()


_ENCODE_SCRIPT = """
import sys, json
from trainer.data.tokenizer import load_tokenizer
tok = load_tokenizer(sys.argv[1])
print(json.dumps([e.ids for e in tok.encode_batch(json.loads(sys.argv[2]))]))
"""


@pytest.mark.falsifies("GATE-BPE-006")
def test_encoding_is_deterministic_across_processes(tokenizer_dir: Path) -> None:
    texts = ["def f(x):\n    return x", "héllo wörld 数据 🙂", "", "  \t\n", "a" * 500]
    runs = [
        subprocess.run([sys.executable, "-c", _ENCODE_SCRIPT, str(tokenizer_dir), json.dumps(texts)],
                       check=True, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}).stdout
        for _ in range(2)
    ]
    tok = load_tokenizer(tokenizer_dir)
    assert json.loads(runs[0]) == json.loads(runs[1]) == [e.ids for e in tok.encode_batch(texts)]


@pytest.mark.falsifies("GATE-BPE-007", "INV-BPE-007")
def test_every_byte_has_a_base_token(tokenizer_dir: Path) -> None:
    assert missing_byte_tokens(load_tokenizer(tokenizer_dir)) == []


@pytest.mark.falsifies("GATE-BPE-007", "INV-BPE-007")
@FUZZ
@given(text=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=["Cs"]),
                    min_size=1, max_size=200))
def test_no_unk_on_any_input(tokenizer_dir: Path, text: str) -> None:
    tok = load_tokenizer(tokenizer_dir)
    ids = tok.encode(text, add_special_tokens=False).ids
    assert 3 not in ids  # <|unk|>
    assert ids  # non-empty text never encodes to nothing (no silently dropped bytes)


@pytest.mark.falsifies("GATE-BPE-007")
def test_no_unk_on_all_single_byte_latin1_chars(tokenizer_dir: Path) -> None:
    tok = load_tokenizer(tokenizer_dir)
    text = "".join(chr(b) for b in range(256))
    ids = tok.encode(text, add_special_tokens=False).ids
    assert 3 not in ids and roundtrip(tok, text) == text


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_count_vocab_accepts_dir_with_only_vocab_json(tmp_path: Path) -> None:
    (tmp_path / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(777)}), encoding="utf-8")
    assert count_vocab(tmp_path) == 777
    assert count_vocab(tmp_path / "vocab.json") == 777


@pytest.mark.falsifies("GATE-ARCH-370M-011")
@pytest.mark.parametrize("content", [None, "{not json", "[]", "{}", '{"a": "x"}'],
                         ids=["missing", "bad-json", "list", "empty", "non-int-ids"])
def test_count_vocab_refuses_unreadable_vocab(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "vocab.json").write_text(content, encoding="utf-8")
    with pytest.raises(PreflightError) as err:
        count_vocab(tmp_path)
    assert err.value.gate_id == "GATE-ARCH-370M-011"
    assert str(tmp_path / "vocab.json") in str(err.value)


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_count_vocab_falls_back_to_tokenizer_json(tokenizer_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_bytes((tokenizer_dir / "tokenizer.json").read_bytes())
    assert count_vocab(tmp_path) == 400
    assert count_vocab(tokenizer_dir) == 400  # vocab.json + tokenizer.json agree: nothing counted twice


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_count_vocab_adds_added_tokens_missing_from_vocab_json(tmp_path: Path) -> None:
    """An HF dir (Qwen2 style) keeps added tokens out of vocab.json; the seed counts them (151643 + 22)."""
    (tmp_path / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(10)}), encoding="utf-8")
    added = [{"id": 9, "content": "t9"}, {"id": 10, "content": "<|im_start|>"}, {"id": 11, "content": "<|im_end|>"}]
    tokenizer_json = {"model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(10)}}, "added_tokens": added}
    (tmp_path / "tokenizer.json").write_text(json.dumps(tokenizer_json), encoding="utf-8")
    assert count_vocab(tmp_path) == 12
    assert count_vocab(tmp_path / "vocab.json") == 12


def test_eos_lookup_order_follows_the_seed(tokenizer_dir: Path) -> None:
    from tokenizers import AddedToken

    tok = load_tokenizer(tokenizer_dir)
    tok.add_special_tokens([AddedToken("</s>", special=True)])
    assert eos_token_id(tok) == tok.token_to_id("</s>") == 400  # </s> wins over <|eos|>
    from tokenizers import Tokenizer, models

    bare = Tokenizer(models.BPE(vocab={"a": 0}, merges=[]))
    assert eos_token_id(bare) is None


@pytest.mark.falsifies("GATE-BPE-008")
def test_load_tokenizer_refuses_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as missing:
        load_tokenizer(tmp_path)
    assert missing.value.gate_id == "GATE-BPE-008" and str(tmp_path / "tokenizer.json") in str(missing.value)
    (tmp_path / "tokenizer.json").write_text('{"model": 3}', encoding="utf-8")
    with pytest.raises(PreflightError) as corrupt:
        load_tokenizer(tmp_path)
    assert corrupt.value.gate_id == "GATE-BPE-008" and "not a valid" in str(corrupt.value)


@pytest.mark.slow
@pytest.mark.falsifies("GATE-BPE-001", "INV-BPE-001", "GATE-BPE-002", "GATE-BPE-003", "GATE-BPE-004")
def test_model_vocab_tokenizer_on_stdlib_passes_every_gate(tmp_path: Path) -> None:
    """The 370M model's tokenizer size (50257) trained on the demo corpus, checked on its held-out split."""
    from trainer.data.corpus import stdlib_sources

    val = stdlib_sources("val")
    train_bpe(stdlib_sources("train"), 50257, tmp_path, min_frequency=1)
    report = check_tokenizer(tmp_path, val, expect_vocab_size=50257)
    assert report["vocab_size"] == 50257 == count_vocab(tmp_path)
    assert report["special_tokens"] == {"<|bos|>": 0, "<|eos|>": 1, "<|pad|>": 2, "<|unk|>": 3}
    assert report["merges_count"] == 49997 == merges_count(50257)
    assert report["docs"] == len(val) > 0 and report["diffs"] == 0 and report["unk_occurrences"] == 0
    assert report["ok"] is True


@pytest.mark.falsifies("GATE-BPE-001")
def test_contract_constants_match_code() -> None:
    """contracts/tokenizer-bpe-v1.yaml pins the numbers the code uses (the seed's YAML-equals-code check)."""
    import yaml

    from trainer.data.shards import SCHEMA

    contract_path = Path(__file__).resolve().parents[3] / "contracts" / "tokenizer-bpe-v1.yaml"
    contract = yaml.load(contract_path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    c = contract["constants"]
    assert (c["bos_token"], c["eos_token"], c["pad_token"], c["unk_token"]) == SPECIAL_TOKENS
    assert [c["bos_token_id"], c["eos_token_id"], c["pad_token_id"], c["unk_token_id"]] == [0, 1, 2, 3]
    assert c["min_vocab_size"] == MIN_VOCAB_SIZE == 4 + c["byte_alphabet_size"]
    assert c["merges_count"] == merges_count(c["vocab_size"]) and c["vocab_size"] == 50257
    assert c["manifest_schema"] == SCHEMA and c["normalization"] == "none"
    assert contract["version"] == contract["metadata"]["version"]
    assert contract["metadata"]["changelog"][-1].startswith(contract["version"] + " ")


def test_byte_level_detection_reads_the_pipeline_not_the_vocab(tokenizer_dir: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    from trainer.data.tokenizer import is_byte_level

    assert is_byte_level(load_tokenizer(tokenizer_dir))
    plain = Tokenizer(models.BPE(vocab={"ByteLevel": 0, "a": 1}, merges=[]))
    plain.pre_tokenizer = pre_tokenizers.Whitespace()
    assert not is_byte_level(plain)  # a token spelled "ByteLevel" is not a ByteLevel pipeline
