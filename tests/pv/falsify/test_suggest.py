"""pv falsify --suggest names survivors of a weak test on the line they break, as pasteable mutants."""

from __future__ import annotations

import yaml


def test_suggest_on_the_weak_test_names_survivors_on_the_relu_line(fproject) -> None:
    proc = fproject.pv("falsify", "--suggest", "FALSIFY-CALC-002", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert "1 killed, 2 survived" in proc.stderr  # return None is seen by isinstance(); the rest is not
    entries = yaml.safe_load(proc.stdout.split("\n", 1)[1])["mutants"]
    assert {(e["file"], e["find"], e["replace"]) for e in entries} == {
        ("src/calc/core.py", "    return max(0, x)", "    return max(1, x)"),
        ("src/calc/core.py", "    return max(0, x)", "    return max(x, 0)"),
    }
    assert all("line 17" in e["why"] for e in entries)
    source = (fproject.root / "src/calc/core.py").read_text(encoding="utf-8")
    assert all(source.count(e["find"]) == 1 for e in entries)  # ready to paste: each applies exactly once


def test_suggest_on_a_strong_test_keeps_nothing(fproject) -> None:
    proc = fproject.pv("falsify", "--suggest", "FALSIFY-CALC-001", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    # clamp's two comparisons flipped, the two returns -> None, the test's one line: all seen.
    assert "trying 5 of 5" in proc.stderr and "5 killed, 0 survived, 0 invalid" in proc.stderr
    assert "every suggested mutant was killed" in proc.stdout
