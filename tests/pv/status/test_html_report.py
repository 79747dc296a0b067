"""``pv report --html``: a self-contained page, checked in a real headless Chromium via selenium.

The browser run saves a screenshot to test-artifacts/pv-status-report.png
(gitignored) for a person to look at. Debian's chromium and chromium-driver are
required (scripts/test.sh installs them); where they are absent the browser
test fails with the install command, never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from pvstatus_project import Project

from pv.evidence.seal import sealed_reference

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

HEAD = """
metadata:
  version: 1.0.0
  status: {status}
  description: {desc}
  changelog:
    - version: 1.0.0
      change: first
falsification_tests:
"""
FALSIFIER = """
  - id: {fid}
    rule: rule of {fid}
    prediction: prediction of {fid}
    test: "{ref}"
{extra}"""


def contract(status: str, desc: str, *falsifiers: tuple[str, str, str]) -> str:
    body = HEAD.format(status=status, desc=desc).lstrip("\n")
    for fid, ref, extra in falsifiers:
        body += FALSIFIER.format(fid=fid, ref=ref, extra=extra).lstrip("\n")
    return body


@pytest.fixture
def report(project: Project) -> Path:
    """Four contracts, one per computed rung (one overclaiming), rendered to report.html."""
    project.write("tests/test_model.py", "def test_shapes():\n    assert (2, 3) != (3, 2)\n\n"
                  "def test_loss_finite():\n    assert float('inf') > 1e308\n\n"
                  "def test_broken():\n    assert 1 == 2\n")
    check = '    ship_blocking: false\n    check: {metric: val_loss, op: "<", value: 9.38}\n'
    project.write("contracts/model.yaml", contract(
        "DISCHARGED", "model shapes", ("FALSIFY-MODEL-001", "tests/test_model.py::test_shapes", ""),
        ("FALSIFY-MODEL-002", "LIVE: evidence/run-500", check)))
    project.write("contracts/loss.yaml", contract(
        "FUNCTIONAL", "loss", ("FALSIFY-LOSS-001", "tests/test_model.py::test_loss_finite", ""),
        ("FALSIFY-LOSS-002", "LIVE-PENDING: needs a 500-step run <b>on GPU</b>", check)))
    project.write("contracts/broken.yaml", contract(
        "FUNCTIONAL", "overclaims", ("FALSIFY-BROKEN-001", "tests/test_model.py::test_broken", "")))
    project.write("contracts/draft.yaml", contract(
        "DRAFT", "draft", ("FALSIFY-DRAFT-001", "LIVE-PENDING: nothing written yet", "")))
    project.commit()
    rec = project.pv("evidence", "record", "--name", "run-500", "--falsifier", "FALSIFY-MODEL-002", "-q", "--",
                     sys.executable, "-c", "print('{\"val_loss\": 6.5}')")
    assert rec.returncode == 0, rec.stderr
    model = project.root / "contracts/model.yaml"  # cite the pack with its seal
    model.write_text(model.read_text().replace("LIVE: evidence/run-500",
                                               sealed_reference(project.root, "evidence/run-500")))
    assert project.pv("run").returncode == 1  # test_broken fails: recorded honestly
    out = project.root / "report.html"
    proc = project.pv("report", "--html", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "4 contract(s), 1 overclaiming" in proc.stdout
    return out


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in html  # CSP: the page cannot fetch anything
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert "&lt;b&gt;on GPU&lt;/b&gt;" in html and "<b>on GPU</b>" not in html  # contract text is escaped


def _driver():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="pv-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,1500"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    return driver, profile


def test_report_in_headless_chromium(report: Path) -> None:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        # Never a skip: scripts/test.sh installs the browser, and a report nobody
        # loaded in a real browser is not tested.
        pytest.fail(f"needs Debian chromium + chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
                    "apt-get install chromium chromium-driver (scripts/test.sh does)")
    from selenium.webdriver.common.by import By

    driver, profile = _driver()
    try:
        driver.get(report.as_uri())
        assert driver.title == "pv contract status"
        contracts = driver.find_elements(By.CSS_SELECTOR, "#contracts tbody tr")
        computed = {r.get_attribute("id"): r.get_attribute("data-computed") for r in contracts}
        assert computed == {"c-model": "DISCHARGED", "c-loss": "FUNCTIONAL", "c-broken": "PARTIAL_ALGORITHM_LEVEL",
                            "c-draft": "DRAFT"}
        assert driver.find_element(By.ID, "shown").text == "4 of 4 contracts shown"
        broken = driver.find_element(By.ID, "c-broken").text
        assert "overclaims" in broken
        assert "FALSIFY-BROKEN-001: tests/test_model.py::test_broken: failed in the recorded run" in broken
        trace = driver.find_element(By.ID, "trace").text
        assert "evidence/run-500" in trace and "discharged" in trace

        def visible(selector: str) -> list[str]:
            return [r.get_attribute("data-computed") for r in driver.find_elements(By.CSS_SELECTOR, selector)
                    if r.is_displayed()]

        driver.find_element(By.CSS_SELECTOR, 'button[data-filter="FUNCTIONAL"]').click()
        assert visible("#contracts tbody tr") == ["FUNCTIONAL"]
        assert set(visible("#trace tbody tr")) == {"FUNCTIONAL"}
        assert driver.find_element(By.ID, "shown").text == "1 of 4 contracts shown"

        driver.find_element(By.CSS_SELECTOR, 'button[data-filter="ALL"]').click()
        driver.find_element(By.ID, "over").click()
        assert visible("#contracts tbody tr") == ["PARTIAL_ALGORITHM_LEVEL"]
        driver.find_element(By.ID, "over").click()

        driver.find_element(By.ID, "q").send_keys("run-500")
        assert visible("#contracts tbody tr") == []
        assert visible("#trace tbody tr") == ["DISCHARGED"]
        driver.find_element(By.ID, "q").clear()
        driver.find_element(By.ID, "q").send_keys(" ")  # input event; whitespace-only query
        driver.execute_script("var q=document.getElementById('q'); q.value=''; q.dispatchEvent(new Event('input'));")
        assert len(visible("#contracts tbody tr")) == 4

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "pv-status-report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
