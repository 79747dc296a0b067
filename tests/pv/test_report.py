"""Output formats: plain text lines + summary, versioned JSON, GitHub workflow commands, SARIF 2.1.0."""

from __future__ import annotations

import io
import json

import pytest

from pv.diagnostics import Diagnostic, Severity
from pv.report import JSON_SCHEMA_VERSION, RunSummary, formats, render
from pv.rules import Rule, all_rules, register

DIAGS = [
    Diagnostic("PV-SEM-002", Severity.ERROR, "versions disagree", "contracts/b.yaml", 43, 12, hint="bump both"),
    Diagnostic("PV-REF-004", Severity.WARNING, "gate cites 'F-1', x:y,z\nnext", "contracts/a.yaml", 7, 3,
               data={"id": "F-1"}),
]
SUMMARY = RunSummary(command="validate", files_checked=2, contracts=2, exit_code=1)


def out(fmt: str, **kw) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    render(DIAGS, fmt, buf, SUMMARY, **kw)
    return buf.getvalue()


def test_formats_available() -> None:
    assert {"text", "json", "github", "sarif"} <= set(formats())


def test_plain_text_sorted_lines_and_summary() -> None:
    lines = out("text").splitlines()
    # The embedded newline is escaped, so it cannot forge a second finding line.
    assert lines[0] == "contracts/a.yaml:7:3: PV-REF-004 gate cites 'F-1', x:y,z\\nnext [warning]"
    assert len(lines) == 3
    assert lines[-2] == "contracts/b.yaml:43:12: PV-SEM-002 versions disagree (bump both) [error]"
    assert lines[-1] == "pv validate: FAIL: 2 files checked, 1 error, 1 warning"


def test_quiet_and_nothing_checked_summary() -> None:
    buf = io.StringIO()
    render([], "text", buf, RunSummary(files_checked=0, exit_code=2), quiet=True)
    assert buf.getvalue() == "pv validate: nothing checked: 0 files checked, 0 errors, 0 warnings\n"


def test_color_text_uses_ansi_codes() -> None:
    text = out("text", color=True)
    assert "\x1b[" in text and "PV-SEM-002" in text and "contracts/b.yaml:43:12:" in text


def test_json_shape_is_versioned() -> None:
    doc = json.loads(out("json"))
    assert doc["schema_version"] == JSON_SCHEMA_VERSION == 1
    assert doc["tool"] == "pv" and doc["command"] == "validate"
    assert doc["summary"] == {"files_checked": 2, "contracts": 2, "errors": 1, "warnings": 1, "infos": 0,
                              "suppressed": 0, "exit_code": 1}
    first = doc["diagnostics"][0]
    assert set(first) == {"code", "severity", "message", "path", "line", "col", "hint", "fingerprint", "data"}
    assert (first["path"], first["line"], first["severity"], first["data"]) == ("contracts/a.yaml", 7, "warning",
                                                                                {"id": "F-1"})
    assert first["fingerprint"] == DIAGS[1].fingerprint()


def test_github_workflow_commands_are_escaped() -> None:
    lines = out("github").splitlines()
    assert lines[0] == ("::warning file=contracts/a.yaml,line=7,col=3,title=PV-REF-004::"
                        "PV-REF-004: gate cites 'F-1', x:y,z%0Anext")
    assert lines[1] == ("::error file=contracts/b.yaml,line=43,col=12,title=PV-SEM-002::"
                        "PV-SEM-002: versions disagree (bump both)")


def test_sarif_2_1_0_with_stable_rule_ids_and_fingerprints() -> None:
    doc = json.loads(out("sarif"))
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "PV-SEM-002" in ids and "PV-YAML-007" in ids
    res = run["results"]
    assert [r["ruleId"] for r in res] == ["PV-REF-004", "PV-SEM-002"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in res)
    assert [r["level"] for r in res] == ["warning", "error"]
    loc = res[1]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "contracts/b.yaml"}, "region": {"startLine": 43, "startColumn": 12}}
    assert res[1]["partialFingerprints"] == {"pv/v1": DIAGS[0].fingerprint()}


def test_sarif_validates_against_its_schema_shape() -> None:
    """Checks the SARIF fields code scanning requires (no network: the official schema is not fetched)."""
    doc = json.loads(out("sarif"))
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    for result in doc["runs"][0]["results"]:
        assert result["message"]["text"]


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render([], "xml", io.StringIO())


def test_registry_rejects_bad_codes_and_conflicting_meanings() -> None:
    assert all(isinstance(r, Rule) for r in all_rules())
    with pytest.raises(ValueError, match="PV-CAT-NNN"):
        register("SCHEMA-001", Severity.ERROR, "t", "e")
    with pytest.raises(ValueError, match="twice"):
        register("PV-SEM-002", Severity.WARNING, "other meaning", "e")
    again = register("PV-SEM-002", Severity.ERROR, "top-level and metadata versions disagree",
                     "When both 'version' and 'metadata.version' exist they must be equal; one was "
                     "bumped without the other.")
    assert again.code == "PV-SEM-002"
