"""pv.atomic.write_json: all or nothing, and no temp file left behind on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pv.atomic import write_json


def test_write_json_replaces_the_target_whole(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "results.json"
    write_json(target, {"a": 1}, trailing_newline=True, indent=1)
    write_json(target, {"b": [1, 2]}, trailing_newline=True, indent=1)
    assert json.loads(target.read_text(encoding="utf-8")) == {"b": [1, 2]}
    assert target.read_text(encoding="utf-8").endswith("}\n")
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_a_failing_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    write_json(target, {"ok": True})
    with pytest.raises(TypeError):
        write_json(target, {"bad": object()})  # not JSON-serialisable, mid-write
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
