"""A directory run with one hostile file still reports every other file (validate, lint, status, report).

Before: one `!!int 0x` or 4,301-digit integer ended the whole run in "internal error" (exit 2)
with no finding about any file. Now the odd file is a PV-YAML finding of its own and the other
contracts are checked, listed and rated as if it were not there.
"""

from __future__ import annotations

import pytest
from pvstatus_project import Project

GOOD = """
metadata:
  version: 1.0.0
  status: DRAFT
  description: {name}
equations:
  e:
    formula: y = x
falsification_tests:
  - id: FALSIFY-{up}-001
    rule: r
    prediction: p
    test: "LIVE-PENDING: needs a run"
"""
BAD = {
    "tag": "metadata:\n  version: !!int 0x\n",
    "bool": "metadata:\n  version: 1.0.0\n  status: !!bool maybe\n",
    "huge": "metadata:\n  version: " + "9" * 4301 + "\n",
    "float": "metadata:\n  version: !!float x\n",
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_one_bad_file_does_not_blank_the_directory(project: Project, kind: str) -> None:
    for name in ("alpha", "beta"):
        project.write(f"contracts/{name}-v1.yaml", GOOD.format(name=name, up=name.upper()))
    project.write("contracts/odd-v1.yaml", BAD[kind])
    project.commit()
    outputs = {
        "validate": project.pv("validate", "contracts"),
        "lint": project.pv("lint", "contracts"),
        "status": project.pv("status", "contracts"),
        "report": project.pv("report", "--html", str(project.root / "r.html"), "contracts"),
    }
    for command, proc in outputs.items():
        text = proc.stdout + proc.stderr
        assert proc.returncode in (0, 1), (command, text)
        assert "internal error" not in text and "PV-YAML-017" not in text, (command, text)
    for command in ("validate", "lint"):
        out = outputs[command].stdout
        assert "contracts/odd-v1.yaml:2:" in out or "contracts/odd-v1.yaml:3:" in out, out
        assert "PV-YAML-016" in out
    status = outputs["status"].stdout
    assert "alpha-v1" in status and "beta-v1" in status, status  # the good contracts are still rated
    html = (project.root / "r.html").read_text()
    assert "alpha-v1" in html and "beta-v1" in html
