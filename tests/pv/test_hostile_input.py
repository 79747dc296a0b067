"""Hostile input to pv: odd scalars, huge numbers, control characters, one bad file among good ones.

Each case must be a finding about that file (a PV-* code, a line and a column), never an
exception and never PV-YAML-017 (the per-file net for pv's own bugs, which a fuzz must not reach);
every text-like output must escape the control characters the input carried. The longer fuzz
with wall-time and RSS limits is bench/fuzz_pv.py (docs/reliability.md).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pv_validate_helpers import GATE, PROVABLE

from pv.config import PvConfig
from pv.diagnostics import Diagnostic, Severity, printable
from pv.parse.yamlload import parse_text
from pv.report import RunSummary, render
from pv.validate import validate_paths

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# What must never reach a terminal raw (pv.diagnostics.printable).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CORE_TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!str", "!<tag:yaml.org,2002:int>",
             "!<tag:yaml.org,2002:float>", "!<tag:yaml.org,2002:bool>", "!!binary", "!!set", "!!omap", "!!python/int"]


def _validate(tmp: Path, text: str, name: str = "c.yaml") -> list[Diagnostic]:
    (tmp / name).write_text(text, encoding="utf-8")
    return validate_paths([tmp / name], PvConfig(root=tmp)).diagnostics


@pytest.mark.parametrize(("value", "message"), [
    ("!!int 0x", "!!int '0x' is not an integer"),
    ("!!int ''", "!!int '' is not an integer"),
    ("!!bool maybe", "!!bool 'maybe' is not a boolean"),
    ("!!float x", "!!float 'x' is not a float"),
    ("!<tag:yaml.org,2002:int> 1e5", "!!int '1e5' is not an integer"),
    ("!!null x", "!!null 'x' is not null"),
    ("!!timestamp soon", "!!timestamp 'soon' is not a timestamp"),
    ("9" * 4301, "an integer of 4,301 digits"),
    ("-" + "1" * 6000, "an integer of 6,000 digits"),
    ("!!float 1" + "0" * 400, "overflows a float"),
])
def test_a_bad_scalar_is_a_finding_at_its_place(tmp_path: Path, value: str, message: str) -> None:
    diags = _validate(tmp_path, f"metadata:\n  version: 1.0.0\n  x-odd: {value}\n")
    assert [(d.code, d.line, d.col) for d in diags] == [("PV-YAML-016", 3, 10)], diags
    assert message in diags[0].message and len(diags[0].render()) < 400  # the value is not echoed in full


@pytest.mark.parametrize("value", ["!!int 0x1F", "!!int 1_000", "!!float 1", "!!float .inf", "!!bool yes",
                                   "!!null ~", "!!timestamp 2026-01-01", "9" * 4300, "!!str 0x"])
def test_good_tagged_scalars_still_load(value: str) -> None:
    parsed, diags = parse_text(f"a: {value}\n", "f.yaml")
    assert parsed is not None and diags == []


@FAST
@given(tag=st.sampled_from(CORE_TAGS), value=st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_any_tag_with_any_value_is_loaded_or_refused(tmp_path_factory: pytest.TempPathFactory, tag: str,
                                                    value: str) -> None:
    tmp = tmp_path_factory.mktemp("tag")
    text = f"metadata:\n  version: 1.0.0\n  x-v: {tag} {json.dumps(value)}\n  x-w: {tag} {value}\n"
    diags = _validate(tmp, text)
    assert all(d.code != "PV-YAML-017" for d in diags), diags  # never pv's own crash
    assert all(d.line >= 1 and d.col >= 1 for d in diags)


@FAST
@given(digits=st.integers(4301, 20_000), sign=st.sampled_from(["", "-", "+"]), tag=st.sampled_from(["", "!!int "]))
def test_huge_integers_are_refused_quickly(digits: int, sign: str, tag: str) -> None:
    parsed, diags = parse_text(f"a: {tag}{sign}{'7' * digits}\n", "f.yaml")
    assert parsed is None and [d.code for d in diags] == ["PV-YAML-016"]


CONTROL = st.sampled_from(["\x1b[2K\r", "\x1b]8;;http://x\x07", "\n", "\r\n", "\x00", "\x7f", "\x85", "\x9b31m",
                           "\u2028", "\u202e", "\t", "\x08"])
HOSTILE = st.lists(st.one_of(CONTROL, st.text(max_size=4)), min_size=1, max_size=5).map("".join)


@FAST
@given(key=HOSTILE, value=HOSTILE, fmt=st.sampled_from(["text", "github", "junit", "sarif"]))
def test_control_characters_never_reach_the_output(tmp_path_factory: pytest.TempPathFactory, key: str,
                                                   value: str, fmt: str) -> None:
    tmp = tmp_path_factory.mktemp("ctl")
    text = f"metadata:\n  version: {json.dumps(value)}\n  {json.dumps(key)}: {json.dumps(value)}\n"
    diags = _validate(tmp, text)
    assert all(d.code != "PV-YAML-017" for d in diags), diags
    buf = io.StringIO()
    render(diags, fmt, buf, RunSummary(command="validate", files_checked=1, contracts=1, exit_code=1))
    out = buf.getvalue()
    assert not RAW_CONTROL.search(out), repr(out)
    if fmt in ("text", "github"):
        assert len(out.splitlines()) == len(diags) + 1  # one line per finding and the summary: none forged
    elif fmt == "junit":
        ET.fromstring(out.split("\n", 1)[1])  # well-formed XML (raw C0 controls are not legal XML 1.0)
    else:
        texts = [r["message"]["text"] for r in json.loads(out)["runs"][0]["results"]]
        assert not any(RAW_CONTROL.search(t) for t in texts)


def test_the_forged_ok_line_is_shown_escaped(tmp_path: Path) -> None:
    diags = _validate(tmp_path, 'metadata:\n  version: 1.0.0\n  "\\e[2K\\r pv validate: OK\\nx.yaml:1:1: PV-X": 1\n')
    (line,) = [d.render() for d in diags]
    assert "\\x1b[2K\\r pv validate: OK\\nx.yaml:1:1: PV-X" in line and "\n" not in line


def test_printable_escapes_each_class_and_leaves_text_alone() -> None:
    assert printable("a\x1b[31mb\r\n\t\x00\x7f\x85\u2028\u202e") == "a\\x1b[31mb\\r\\n\\t\\x00\\x7f\\x85\\u2028\\u202e"
    assert printable("plain: é ✓ 漢字 [red]") == "plain: é ✓ 漢字 [red]"


def test_the_status_table_escapes_ids(tmp_path: Path) -> None:
    from pv.model.status import Status
    from pv.status.facts import ContractFacts
    from pv.status.ladder import ContractStatus
    from pv.status.render import render_markdown, render_text

    facts = ContractFacts(contract_id="C-\x1b[2KOK\n[bold]x", version="1.0.0", path=Path("c\x1b.yaml"),
                          declared=None, declared_line=1, declared_col=1, falsifiers=())
    status = ContractStatus(facts, Status.DRAFT, [], {Status.PARTIAL_ALGORITHM_LEVEL: ["why \x1b[2K\rOK"]})
    for render_fn in (render_text, render_markdown):
        buf = io.StringIO()
        render_fn([status], buf)
        out = buf.getvalue()
        assert "\x1b" not in out and "\r" not in out and "C-\\x1b[2KOK\\n[bold]x" in out, out
        assert "why \\x1b[2K\\rOK" in out


def test_one_bad_file_among_good_ones_does_not_blank_the_run(tmp_path: Path) -> None:
    (tmp_path / "a-v1.yaml").write_text(PROVABLE)
    (tmp_path / "b-v1.yaml").write_text(GATE)
    (tmp_path / "c-v1.yaml").write_text(PROVABLE.replace('version: "1.1.0"', "version: !!int 0x"))
    (tmp_path / "d-v1.yaml").write_text("a: " + "9" * 5000 + "\n")
    run = validate_paths([tmp_path], PvConfig(root=tmp_path))
    assert run.files_checked == 4
    assert sorted(c.path.rsplit("/", 1)[-1] for c in run.contracts) == ["a-v1.yaml", "b-v1.yaml"]
    bad = {(d.path.rsplit("/", 1)[-1], d.code) for d in run.diagnostics if d.severity is Severity.ERROR}
    assert {("c-v1.yaml", "PV-YAML-016"), ("d-v1.yaml", "PV-YAML-016")} <= bad


def test_a_pv_bug_in_one_file_is_that_files_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pv.validate as validate

    real = validate._check_file

    def flaky(file: Path, *args: object) -> list[Diagnostic]:
        if file.name == "b-v1.yaml":
            raise OverflowError("int too large to convert to float")
        return real(file, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(validate, "_check_file", flaky)
    monkeypatch.delenv("PV_DEBUG", raising=False)
    (tmp_path / "a-v1.yaml").write_text(PROVABLE)
    (tmp_path / "b-v1.yaml").write_text(PROVABLE)
    run = validate_paths([tmp_path], PvConfig(root=tmp_path))
    assert [c.path.rsplit("/", 1)[-1] for c in run.contracts] == ["a-v1.yaml"]
    (net,) = [d for d in run.diagnostics if d.code == "PV-YAML-017"]
    assert net.path.endswith("b-v1.yaml") and "OverflowError: int too large" in net.message
