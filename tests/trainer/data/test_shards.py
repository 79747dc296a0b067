"""encode_corpus (shards + manifest) and ShardSet (reading them back)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from trainer.cli import main as apr_main
from trainer.data.inputs import expand_inputs
from trainer.data.shards import (
    SCHEMA,
    ShardSet,
    _ShardWriter,
    encode_corpus,
)
from trainer.data.tokenizer import load_tokenizer
from trainer.errors import AprError, PreflightError

MANIFEST_KEYS = {
    "schema", "tokenizer_dir", "tokenizer_sha256", "vocab_size", "eos_policy", "eos_token_id", "eos_token_count",
    "shard_count", "total_tokens", "total_documents", "input_files", "elapsed_seconds",
}


def _docs(tmp_path: Path, texts: list[str]) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for i, text in enumerate(texts):
        (root / f"d{i}.txt").write_text(text, encoding="utf-8")
    return root


def _stream(out: Path) -> np.ndarray:
    return np.concatenate([np.fromfile(f, dtype="<u4") for f in sorted(out.glob("shard-*.bin"))])


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_manifest_records_provenance_and_counts(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    manifest = encode_corpus(tokenizer_dir, [corpus_dir], out, 5000, "after")
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest and manifest.keys() >= MANIFEST_KEYS
    assert manifest["schema"] == SCHEMA and manifest["vocab_size"] == 400
    tok_json = load_tokenizer(tokenizer_dir).to_str().encode("utf-8")
    assert manifest["tokenizer_sha256"] == hashlib.sha256(tok_json).hexdigest()
    shards = sorted(out.glob("shard-*.bin"))
    assert manifest["shard_count"] == len(shards) == len(manifest["shards"]) >= 2
    assert manifest["total_tokens"] == sum(f.stat().st_size for f in shards) // 4
    assert manifest["total_documents"] == 24 == manifest["eos_token_count"]
    assert manifest["eos_token_id"] == 1
    for record in manifest["input_files"]:
        data = Path(record["path"]).read_bytes()
        assert record["bytes"] == len(data) and record["sha256"] == hashlib.sha256(data).hexdigest()
    for record, f in zip(manifest["shards"], shards, strict=True):
        assert record["file"] == f.name and record["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_new_shard_starts_after_shard_tokens(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    manifest = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 3000, "none")
    sizes = [s["tokens"] for s in manifest["shards"]]
    assert all(n == 3000 for n in sizes[:-1]) and 0 < sizes[-1] <= 3000
    assert [s["file"] for s in manifest["shards"]] == [f"shard-{i:05d}.bin" for i in range(len(sizes))]


@pytest.mark.falsifies("GATE-PRETOK-002")
@pytest.mark.parametrize(("policy", "eos_count"), [("none", 0), ("between", 2), ("after", 3)])
def test_eos_policy_places_eos_exactly(tokenizer_dir: Path, tmp_path: Path, policy: str, eos_count: int) -> None:
    texts = ["first doc", "second <|eos|> doc", "third"]
    out = tmp_path / "ds"
    manifest = encode_corpus(tokenizer_dir, [_docs(tmp_path, texts)], out, 1000, policy)
    tok = load_tokenizer(tokenizer_dir)
    tok.encode_special_tokens = True
    parts = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    expected: list[int] = []
    for i, ids in enumerate(parts):
        if policy == "between" and i:
            expected.append(1)
        expected += ids
        if policy == "after":
            expected.append(1)
    stream = _stream(out)
    assert stream.tolist() == expected
    assert int((stream == 1).sum()) == eos_count == manifest["eos_token_count"]  # literal "<|eos|>" stays text


@pytest.mark.falsifies("GATE-PRETOK-001", "INV-PRETOK-001")
def test_every_written_id_is_below_vocab(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 4000, "between")
    shards = ShardSet.open(tmp_path / "ds")
    assert 300 < shards.max_token_id() < 400  # merges are used, and nothing reaches the vocab bound


@pytest.mark.falsifies("GATE-PRETOK-001", "INV-PRETOK-001")
def test_writer_refuses_out_of_vocab_ids_instead_of_clamping(tmp_path: Path) -> None:
    writer = _ShardWriter(tmp_path, 10, vocab_size=400)
    writer.add(np.array([1, 2, 399]), "ok.txt")
    with pytest.raises(AprError) as err:
        writer.add(np.array([5, 400, 7]), "bad.txt")
    assert err.value.gate_id == "GATE-PRETOK-001"
    assert "400" in str(err.value) and "bad.txt" in str(err.value)
    writer.flush()
    assert np.fromfile(tmp_path / "shard-00000.bin", dtype="<u4").tolist() == [1, 2, 399]


@pytest.mark.falsifies("GATE-PRETOK-003")
def test_encoding_is_deterministic(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    a = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "a", 2500, "after")
    b = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "b", 2500, "after")
    for m in (a, b):
        m.pop("elapsed_seconds"), m.pop("tokens_per_second")
    assert a == b
    for name in (s["file"] for s in a["shards"]):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_shards_decode_back_to_the_documents(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path) -> None:
    encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 1000, "after")
    tok = load_tokenizer(tokenizer_dir)
    stream = _stream(tmp_path / "ds").tolist()
    docs, current = [], []
    for token in stream:
        if token == 1:
            docs.append(tok.decode(current, skip_special_tokens=False))
            current = []
        else:
            current.append(token)
    files = expand_inputs([corpus_dir])
    assert docs == [f.read_text(encoding="utf-8") for f in files]


def test_jsonl_is_one_document_per_line(tokenizer_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "docs.jsonl"
    f.write_text('{"text": "alpha"}\n\n{"text": "beta", "id": 2}\n{"text": ""}\n', encoding="utf-8")
    manifest = encode_corpus(tokenizer_dir, [f], tmp_path / "ds", 100, "after")
    assert manifest["total_documents"] == 2 and manifest["empty_documents_skipped"] == 1
    assert manifest["input_files"][0]["documents"] == 3 and manifest["input_format"] == ["jsonl"]


@pytest.mark.falsifies("GATE-DATA-001")
@pytest.mark.parametrize(("line", "needle"), [("{bad", "invalid JSON"), ('{"txt": "x"}', '"text"'),
                                              ('"just a string"', '"text"')])
def test_bad_jsonl_line_names_file_and_line(tokenizer_dir: Path, tmp_path: Path, line: str, needle: str) -> None:
    f = tmp_path / "docs.jsonl"
    f.write_text('{"text": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(PreflightError) as err:
        encode_corpus(tokenizer_dir, [f], tmp_path / "ds", 100, "after")
    assert f"{f}:2" in str(err.value) and needle in str(err.value)


@pytest.mark.falsifies("GATE-DATA-001")
def test_invalid_utf8_names_file_and_offset(tokenizer_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"abc\xe9def")
    with pytest.raises(PreflightError) as err:
        encode_corpus(tokenizer_dir, [f], tmp_path / "ds", 100, "after")
    assert str(f) in str(err.value) and "byte 3" in str(err.value)


@pytest.mark.falsifies("GATE-DATA-001")
def test_inputs_expand_recursively_sorted_and_checked(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "b").mkdir(parents=True)
    (root / "a").mkdir()
    for rel in ("b/z.py", "a/y.txt", "a/x.jsonl", "c.py", "skip.md", "b/__pycache__/q.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    files = expand_inputs([root, root / "c.py"])
    assert [f.relative_to(root).as_posix() for f in files] == ["a/x.jsonl", "a/y.txt", "b/z.py", "c.py"]
    with pytest.raises(PreflightError, match="unsupported type"):
        expand_inputs([root / "skip.md"])
    with pytest.raises(PreflightError, match="does not exist"):
        expand_inputs([root / "nope"])


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_existing_dataset_is_not_overwritten_silently(tokenizer_dir: Path, corpus_dir: Path,
                                                     tmp_path: Path) -> None:
    encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 1000, "after")
    before = len(list((tmp_path / "ds").glob("shard-*.bin")))
    with pytest.raises(PreflightError, match="--overwrite"):
        encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 1000, "after")
    manifest = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 100_000, "after", overwrite=True)
    assert before > 1 and manifest["shard_count"] == 1 == len(list((tmp_path / "ds").glob("shard-*.bin")))


def test_shardset_reads_across_shard_boundaries(write_shards: Callable[..., Path]) -> None:
    ds = write_shards([0, 1, 2], [], [3, 4], [5, 6, 7, 8])
    shards = ShardSet.open(ds)
    assert shards.total_tokens == 9 and len(shards.files) == 4 and shards.max_token_id() == 8
    assert shards.read(0, 9).tolist() == list(range(9))
    assert shards.read(2, 4).tolist() == [2, 3, 4, 5]
    single = ShardSet.open(ds / "shard-00003.bin")
    assert single.total_tokens == 4 and single.read(1, 2).tolist() == [6, 7]
    with pytest.raises(IndexError):
        shards.read(5, 5)


@pytest.mark.falsifies("GATE-DATA-001")
def test_shardset_refuses_bad_datasets(write_shards: Callable[..., Path], tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match="does not exist"):
        ShardSet.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "tokens.bin").write_bytes(b"\0" * 8)
    with pytest.raises(PreflightError, match=r"rename to shard-NNNNN\.bin"):
        ShardSet.open(tmp_path / "empty")
    ds = write_shards([], name="zero")
    with pytest.raises(PreflightError, match="holds no tokens"):
        ShardSet.open(ds)
    odd = write_shards([1, 2], name="odd")
    with open(odd / "shard-00000.bin", "ab") as fh:
        fh.write(b"\x01")
    with pytest.raises(PreflightError) as err:
        ShardSet.open(odd)
    assert err.value.gate_id == "GATE-DATA-001" and "9 bytes, not a multiple of 4" in str(err.value)


def test_cli_train_and_encode_corpus(corpus_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tok = tmp_path / "tok"
    assert apr_main(["tokenize", "train", "--input", str(corpus_dir), "--vocab-size", "300", "--out", str(tok)]) == 0
    assert "vocab 300" in capsys.readouterr().out
    out = tmp_path / "ds"
    rc = apr_main(["tokenize", "encode-corpus", "--tokenizer", str(tok), "--input", str(corpus_dir),
                   "--out", str(out), "--shard-tokens", "4000", "--eos-policy", "between", "--json"])
    manifest = json.loads(capsys.readouterr().out)
    assert rc == 0 and manifest["eos_policy"] == "between" and manifest["eos_token_count"] == 23
    assert manifest["total_tokens"] == ShardSet.open(out).total_tokens


@pytest.mark.falsifies("GATE-BPE-008")
def test_cli_errors_are_one_line_with_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = apr_main(["tokenize", "encode-corpus", "--tokenizer", str(tmp_path), "--input", str(tmp_path / "x"),
                   "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 3 and err.count("\n") == 1 and "GATE-BPE-008" in err and "Traceback" not in err


def test_cli_check_reports_gates(tokenizer_dir: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = apr_main(["tokenize", "check", "--tokenizer", str(tokenizer_dir), "--input", str(corpus_dir), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["ok"] and report["diffs"] == 0 and report["merges_count"] == 140
    rc = apr_main(["tokenize", "check", "--tokenizer", str(tokenizer_dir), "--expect-vocab-size", "50257"])
    assert rc == 1 and "vocab_ok: False" in capsys.readouterr().out


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_batch_boundaries_do_not_change_the_stream(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [json.dumps({"text": f.read_text(encoding="utf-8")}) for f in expand_inputs([corpus_dir])]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    big = encode_corpus(tokenizer_dir, [tmp_path / "docs.jsonl"], tmp_path / "big", 700, "between")
    monkeypatch.setattr("trainer.data.shards._BATCH_BYTES", 1)  # one document per encode_batch call
    small = encode_corpus(tokenizer_dir, [tmp_path / "docs.jsonl"], tmp_path / "small", 700, "between")
    assert _stream(tmp_path / "big").tolist() == _stream(tmp_path / "small").tolist()
    assert big["eos_token_count"] == small["eos_token_count"] == 23
    dir_manifest = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "dir", 700, "between")
    assert _stream(tmp_path / "dir").tolist() == _stream(tmp_path / "big").tolist()  # jsonl == files
    assert dir_manifest["total_documents"] == big["total_documents"] == 24


def test_progress_bar_reports_bytes_on_stderr(tokenizer_dir: Path, corpus_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    manifest = encode_corpus(tokenizer_dir, [corpus_dir], tmp_path / "ds", 100_000, "after", progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "encoding" in captured.err
    total_kb = sum(r["bytes"] for r in manifest["input_files"]) / 1000
    assert f"{total_kb:.1f}/{total_kb:.1f} kB" in captured.err  # the bar reached 100% of the input bytes


def test_cli_tokenize_without_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert apr_main(["tokenize"]) == 2
    assert "train, encode-corpus or check" in capsys.readouterr().err


@pytest.mark.falsifies("GATE-PRETOK-002")
def test_special_token_spellings_become_control_ids_only_when_asked(tokenizer_dir: Path, tmp_path: Path) -> None:
    root = _docs(tmp_path, ["<|bos|>user: hi<|eos|>"])
    as_text = encode_corpus(tokenizer_dir, [root], tmp_path / "text", 100, "none")
    as_control = encode_corpus(tokenizer_dir, [root], tmp_path / "control", 100, "none", special_tokens="control")
    text_ids, control_ids = _stream(tmp_path / "text").tolist(), _stream(tmp_path / "control").tolist()
    assert not {0, 1} & set(text_ids)
    assert control_ids[0] == 0 and control_ids[-1] == 1 and len(control_ids) < len(text_ids)
    assert (as_text["special_tokens_in_text"], as_control["special_tokens_in_text"]) == ("text", "control")
    with pytest.raises(PreflightError, match="special-token mode"):
        encode_corpus(tokenizer_dir, [root], tmp_path / "bad", 100, "none", special_tokens="drop")


def _tokenizer_without_byte(tmp_path: Path, missing: int) -> Path:
    """A byte-level BPE whose vocab lacks one byte's base token (as SmolLM2's lacks 0x04)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    from trainer.data.tokenizer import byte_to_unicode

    chars = [ch for b, ch in byte_to_unicode().items() if b != missing]
    tok = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(chars)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    out = tmp_path / "gap-tok"
    out.mkdir()
    tok.save(str(out / "tokenizer.json"))
    return out


@pytest.mark.falsifies("GATE-BPE-007")
def test_bytes_without_a_token_are_refused_not_dropped(tmp_path: Path) -> None:
    tok_dir = _tokenizer_without_byte(tmp_path, 0x04)
    tok = load_tokenizer(tok_dir)
    assert tok.decode(tok.encode("a\x04b").ids) == "ab"  # what the tokenizer alone would do: drop it
    f = tmp_path / "docs.jsonl"
    f.write_text('{"text": "fine"}\n{"text": "ok\\u0004!"}\n', encoding="utf-8")
    with pytest.raises(PreflightError) as err:
        encode_corpus(tok_dir, [f], tmp_path / "ds", 100, "after")
    message = str(err.value)
    assert err.value.gate_id == "GATE-BPE-007" and f"{f}:2" in message
    assert "byte 0x04 at byte offset 2" in message and "silently drop" in message
    (tmp_path / "clean.txt").write_text("no control bytes here", encoding="utf-8")
    manifest = encode_corpus(tok_dir, [tmp_path / "clean.txt"], tmp_path / "ok", 100, "after")
    assert manifest["total_tokens"] == len(b"no control bytes here") + 1
    from trainer.data.check import check_tokenizer

    assert check_tokenizer(tok_dir)["missing_byte_tokens"] == [0x04]
