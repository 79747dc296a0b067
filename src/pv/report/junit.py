"""``--format junit``: JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure).

One ``<testsuite>`` per lint gate. A gate's findings at error level are
failing ``<testcase>``s (one per finding, named ``path:line:col CODE``);
warnings and infos are passing testcases with the text in ``<system-out>``; a
gate without findings is one passing testcase; a SKIP gate is one
``<skipped>`` testcase. Commands without gates (``pv validate``) get a single
suite of their findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO
from xml.etree import ElementTree as ET

from pv.diagnostics import Diagnostic, Severity, printable

if TYPE_CHECKING:
    from pv.report import RunSummary


def _case(suite: ET.Element, classname: str, d: Diagnostic) -> None:
    # Control characters are escaped (most are not even legal in XML 1.0, and CI UIs print them).
    case = ET.SubElement(suite, "testcase", classname=classname,
                         name=printable(f"{d.path}:{d.line}:{d.col} {d.code}"))
    text = d.render()
    if d.severity >= Severity.ERROR:
        failure = ET.SubElement(case, "failure", message=printable(f"{d.code} {d.message}"), type=printable(d.code))
        failure.text = text
    else:
        out = ET.SubElement(case, "system-out")
        out.text = f"[{d.severity.label}] {text}"


def document(diags: Sequence[Diagnostic], summary: RunSummary) -> ET.Element:
    root = ET.Element("testsuites", name=printable(f"pv {summary.command}"))
    gates: list[dict[str, Any]] = list(summary.extra.get("gates", []))
    if not gates:
        gates = [{"name": summary.command, "verdict": "FAIL" if any(d.severity >= Severity.ERROR for d in diags)
                  else "PASS", "summary": "", "ms": 0.0, "codes": None}]
    by_gate: dict[str, list[Diagnostic]] = {g["name"]: [] for g in gates}
    for d in diags:
        gate = d.data.get("gate") if d.data else None
        by_gate.setdefault(gate if gate in by_gate else gates[0]["name"], []).append(d)
    total_fail = total_tests = total_skip = 0
    for gate in gates:
        name = gate["name"]
        findings = by_gate.get(name, [])
        suite = ET.SubElement(root, "testsuite", name=printable(name), time=f"{gate.get('ms', 0.0) / 1000:.3f}")
        failures = sum(d.severity >= Severity.ERROR for d in findings)
        skipped = 0
        if gate.get("verdict") == "SKIP" and not findings:
            case = ET.SubElement(suite, "testcase", classname=f"pv.{name}", name=name)
            ET.SubElement(case, "skipped", message=printable(str(gate.get("summary", ""))))
            skipped, tests = 1, 1
        elif not findings:
            case = ET.SubElement(suite, "testcase", classname=f"pv.{name}", name=name)
            if gate.get("verdict") == "FAIL":  # e.g. measured nothing
                failure = ET.SubElement(case, "failure", message=printable(str(gate.get("summary", ""))),
                                        type="vacuous")
                failure.text = printable(str(gate.get("summary", "")))
                failures = 1
            tests = 1
        else:
            for d in findings:
                _case(suite, f"pv.{name}", d)
            tests = len(findings)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        total_fail += failures
        total_tests += tests
        total_skip += skipped
    root.set("tests", str(total_tests))
    root.set("failures", str(total_fail))
    root.set("errors", "0")
    root.set("skipped", str(total_skip))
    return root


def write(diags: Sequence[Diagnostic], stream: TextIO, summary: RunSummary, options: dict[str, Any]) -> None:
    tree = document(diags, summary)
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="utf-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
