"""Data flows one way: no module of src/ imports from a layer above its own (tests/layering.py)."""

from __future__ import annotations

import pytest

from layering import LAYERS, SRC, violations


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_module_imports_from_a_higher_layer(package: str) -> None:
    assert violations(package, LAYERS[package]) == []


def test_every_top_level_unit_is_in_exactly_one_layer() -> None:
    for package, layers in LAYERS.items():
        units = [u for group in layers for u in group]
        assert len(units) == len(set(units)), f"{package}: a unit is listed twice"
        present = {p.stem for p in (SRC / package).iterdir()
                   if (p.suffix == ".py" or (p.is_dir() and any(p.glob("*.py"))))
                   and p.stem not in ("__init__", "__main__")}
        assert present == set(units), f"{package}: layers list {sorted(set(units) - present)} that do not " \
                                      f"exist and miss {sorted(present - set(units))}"


def test_an_upward_import_is_reported(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The rule itself can fail: a lower unit importing a higher one (even lazily) is named."""
    import layering

    pkg = tmp_path / "demo"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    for d in (pkg, pkg / "low", pkg / "high"):
        (d / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from demo.high import b\n    return b\n")
    (pkg / "high" / "b.py").write_text("from demo.low import a\n")
    monkeypatch.setattr(layering, "SRC", tmp_path)
    found = violations("demo", [["low"], ["high"]])
    assert found == ["demo/low/a.py:2: low (layer 0) imports demo.high (high, layer 1): "
                     "a lower layer must not reach up"]
