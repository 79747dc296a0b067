"""Safe YAML loading: positions, duplicate keys, and every kind of bad input, each with its code."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from pv.parse import codes
from pv.parse.yamlload import MAX_DEPTH, load_file, parse_text

MB = 1024 * 1024


def only(diags):  # type: ignore[no-untyped-def]
    assert len(diags) == 1, [d.render() for d in diags]
    return diags[0]


def test_positions_of_nested_values_and_keys() -> None:
    parsed, diags = parse_text("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert diags == [] and parsed is not None
    assert parsed.data == {"a": 1, "b": ["x", {"c": 2}]}
    assert parsed.locate(("b", 1, "c")) == (4, 9)
    assert parsed.locate_key(("b", 1, "c")) == (4, 6)
    assert parsed.locate(("b", 0)) == (3, 5)
    # A path that does not exist falls back to its nearest ancestor.
    assert parsed.locate(("b", 1, "missing")) == (4, 5)


def test_duplicate_key_is_reported_at_the_second_occurrence() -> None:
    parsed, diags = parse_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    d = only(diags)
    assert d.code == codes.YAML_DUPKEY and (d.line, d.col) == (3, 1)
    assert "first at line 1" in d.message
    assert parsed is not None


def test_nested_duplicate_key() -> None:
    _, diags = parse_text("m:\n  k: 1\n  j: 2\n  k: 3\n", "f.yaml")
    assert [(d.code, d.line, d.col) for d in diags] == [(codes.YAML_DUPKEY, 4, 3)]


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "---\n", "~\n", "null\n"])
def test_empty_document(text: str) -> None:
    parsed, diags = parse_text(text, "f.yaml")
    assert parsed is None and only(diags).code == codes.YAML_EMPTY


def test_syntax_error_points_at_the_problem() -> None:
    parsed, diags = parse_text("a: 1\nb: [1, 2\nc: 3\n", "f.yaml")
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_SYNTAX and d.line == 3


def test_python_object_tag_is_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    parsed, diags = parse_text(text, "f.yaml")
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_TAG and (d.line, d.col) == (1, 4)
    assert "python/object" in d.message
    assert not marker.exists()


@pytest.mark.parametrize("text", ["a: !custom x\n", "a: !!set {x, y}\n", "a: !!binary aGVsbG8=\n",
                                  "a: !!python/name:os.system\n"])
def test_other_tags_are_refused(text: str) -> None:
    parsed, diags = parse_text(text, "f.yaml")
    assert parsed is None and only(diags).code == codes.YAML_TAG


def test_standard_tags_are_plain_data() -> None:
    parsed, diags = parse_text("a: !!str 12\nb: !!int '7'\nc: 2026-05-05\nd: yes\ne: 1.5\nf: ~\n", "f.yaml")
    assert diags == [] and parsed is not None
    assert parsed.data == {"a": "12", "b": 7, "c": "2026-05-05", "d": True, "e": 1.5, "f": None}


def _billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        text += f"{name}: &{name} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = name
    return text


def test_billion_laughs_is_refused_fast_with_bounded_memory() -> None:
    text = _billion_laughs()  # 9**9 = 387 million strings if expanded
    t0 = time.perf_counter()
    parsed, diags = parse_text(text, "bomb.yaml")
    elapsed = time.perf_counter() - t0
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_BOMB
    assert "alias" in d.message
    assert elapsed < 1.0, elapsed
    tracemalloc.start()
    parse_text(text, "bomb.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 32 * MB, peak


def test_modest_alias_use_is_fine() -> None:
    parsed, diags = parse_text("base: &b {x: 1, y: 2}\none: *b\ntwo:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert diags == [] and parsed is not None
    assert parsed.data["one"] == {"x": 1, "y": 2}
    assert parsed.data["two"] == {"x": 1, "y": 3}  # explicit keys win over merged ones


def test_recursive_alias_is_refused() -> None:
    parsed, diags = parse_text("a: &a [1, *a]\n", "f.yaml")
    assert parsed is None and only(diags).code == codes.YAML_RECURSIVE


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 400, 3000], ids=["just-over", "walk-refuses", "libyaml-refuses"])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    # 400 levels pass libyaml on every PyYAML release and are refused by pv's own walk; 3,000 are
    # refused by libyaml itself from PyYAML 6.0.4 on. Either way: one code, one message.
    parsed, diags = parse_text("a: " + "[" * depth + "]" * depth + "\n", "f.yaml")
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_BOMB
    assert d.message == f"YAML nests more than {MAX_DEPTH} levels deep; refusing this file"


def test_nesting_at_the_limit_loads() -> None:
    parsed, diags = parse_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "f.yaml")
    assert parsed is not None and diags == []


def test_several_documents_are_refused() -> None:
    parsed, diags = parse_text("a: 1\n---\nb: 2\n", "f.yaml")
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_MULTI_DOC and d.line == 3


def test_complex_key_is_refused() -> None:
    parsed, diags = parse_text("? [a, b]\n: 1\n", "f.yaml")
    assert parsed is None and only(diags).code == codes.YAML_COMPLEX_KEY


def test_keys_stay_as_written() -> None:
    parsed, _ = parse_text("yes: 1\n7: 2\n0.5b: 3\n", "f.yaml")
    assert parsed is not None and list(parsed.data) == ["yes", "7", "0.5b"]


# ---- files -----------------------------------------------------------------------------


def test_non_utf8_bytes_name_the_place(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"metadata:\n  description: caf\xe9\n")
    parsed, diags = load_file(f, "latin1.yaml", MB)
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_ENCODING
    assert (d.line, d.col) == (2, 19) and "0xe9" in d.message


def test_binary_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "blob.yaml"
    f.write_bytes(bytes(range(256)) * 4)
    parsed, diags = load_file(f, "blob.yaml", MB)
    assert parsed is None and only(diags).code == codes.YAML_BINARY


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.yaml"
    f.write_bytes(b"")
    parsed, diags = load_file(f, "empty.yaml", MB)
    assert parsed is None and only(diags).code == codes.YAML_EMPTY


def test_size_cap_refuses_before_parsing(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("a: " + "x" * 5000 + "\n")
    parsed, diags = load_file(f, "big.yaml", 1000)
    d = only(diags)
    assert parsed is None and d.code == codes.YAML_TOO_LARGE and "1,000" in d.message
    parsed, diags = load_file(f, "big.yaml", 10_000)
    assert parsed is not None and diags == []


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes("\ufeffa: 1\n".encode())
    parsed, diags = load_file(f, "bom.yaml", MB)
    assert diags == [] and parsed is not None and parsed.data == {"a": 1}


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    parsed, diags = load_file(fifo, "pipe.yaml", MB)
    d = only(diags)
    assert parsed is None and d.code == codes.PATH_UNREADABLE and "not a regular file" in d.message


def test_merged_keys_are_positioned_at_their_source_and_explicit_keys_win() -> None:
    text = "base: &b {x: 1, y: 2}\nd:\n  y: 3\n  <<: *b\n"
    parsed, diags = parse_text(text, "f.yaml")
    assert diags == [] and parsed is not None
    assert parsed.data["d"] == {"y": 3, "x": 1}
    assert parsed.locate(("d", "y")) == (3, 6)  # the explicit key, not the merged one
    assert parsed.locate(("d", "x")) == (1, 14)  # where the merged value is written
    assert parsed.locate(("d",)) == (3, 3)
