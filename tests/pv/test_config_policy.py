"""[tool.pv] loading (unknown keys are errors, suppressions need reasons) and applying its policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pv.config import DEFAULT_MAX_FILE_BYTES, ConfigError, PvConfig, Suppression, load_config
from pv.diagnostics import Diagnostic, Severity
from pv.policy import apply_policy


def pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.pv]\n" + body)
    return tmp_path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.root == tmp_path.resolve() and cfg.contracts == ["contracts"]
    assert cfg.max_file_bytes == DEFAULT_MAX_FILE_BYTES and cfg.suppress == [] and cfg.source is None


def test_full_table_is_read_from_the_nearest_pyproject(tmp_path: Path) -> None:
    pyproject(tmp_path, """
root = "."
contracts = ["contracts", "more"]
max_file_bytes = 1000
extension_keys = {"*" = ["owner"], metadata = ["team"]}
ambiguous_bare_names = "warning"
severity = {"PV-REF-004" = "error", "PV-SEM-005" = "warn"}
suppress = [{rule = "PV-SEM-005", reason = "legacy log"}, {file = "contracts/old/*", reason = "frozen"}]
""")
    sub = tmp_path / "contracts" / "deep"
    sub.mkdir(parents=True)
    cfg = load_config(sub)
    assert cfg.source == tmp_path / "pyproject.toml" and cfg.root == tmp_path.resolve()
    assert cfg.contracts == ["contracts", "more"] and cfg.max_file_bytes == 1000
    assert cfg.extensions_for("metadata") == {"owner", "team"} and cfg.extensions_for("gates") == {"owner"}
    assert cfg.severity == {"PV-REF-004": Severity.ERROR, "PV-SEM-005": Severity.WARNING}
    assert cfg.suppress == [Suppression(reason="legacy log", rule="PV-SEM-005"),
                            Suppression(reason="frozen", file="contracts/old/*")]
    assert cfg.ambiguous_bare_names == "warning"


@pytest.mark.parametrize(("body", "message"), [
    ("contract = ['x']", "unknown key(s) contract"),
    ("suppress = [{rule = 'PV-SEM-005'}]", "needs a non-empty reason"),
    ("suppress = [{rule = 'PV-SEM-005', reason = '  '}]", "needs a non-empty reason"),
    ("suppress = [{rule = 'A', file = 'b', reason = 'r'}]", "exactly one of fingerprint, rule or file"),
    ("suppress = [{rules = 'A', reason = 'r'}]", "unknown key(s) rules"),
    ("severity = {'PV-SEM-005' = 'loud'}", "unknown severity 'loud'"),
    ("severity = {'PV-REF-04' = 'error'}", "PV-REF-04: no rule has this code"),
    ("max_file_bytes = 0", "positive integer"),
    ("ambiguous_bare_names = 'ignore'", "'error' or 'warning'"),
    ("contracts = 3", "list of paths"),
    ("extension_keys = 'owner'", "extension_keys"),
    ("diff_base = 3", "diff_base must be a str"),
])
def test_bad_config_is_an_error_naming_the_key(tmp_path: Path, body: str, message: str) -> None:
    pyproject(tmp_path, body + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert message in str(info.value) and "pyproject.toml: [tool.pv]" in str(info.value)


def test_unreadable_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pv\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def _d(code: str, path: str = "a.yaml", sev: Severity = Severity.ERROR) -> Diagnostic:
    return Diagnostic(code, sev, f"message for {code}", path, 3, 1)


def test_policy_overrides_suppresses_and_reports_unused(tmp_path: Path) -> None:
    target = _d("PV-SEM-002", "b.yaml")
    cfg = PvConfig(root=tmp_path, severity={"PV-REF-004": Severity.ERROR},
                   suppress=[Suppression(reason="r1", rule="PV-SEM-005"),
                             Suppression(reason="r2", fingerprint=target.fingerprint()),
                             Suppression(reason="r3", file="old/*"),
                             Suppression(reason="stale", rule="PV-ID-001")])
    diags = [_d("PV-SEM-005"), target, _d("PV-SEM-002", "c.yaml"), _d("PV-SCH-001", "old/x.yaml"),
             _d("PV-REF-004", sev=Severity.WARNING)]
    result = apply_policy(diags, cfg)
    assert [(d.code, d.path, d.severity) for d in result.kept] == [
        ("PV-SEM-002", "c.yaml", Severity.ERROR), ("PV-REF-004", "a.yaml", Severity.ERROR)]
    assert [s.reason for _, s in result.suppressed] == ["r1", "r2", "r3"]
    assert [s.reason for s in result.unused] == ["stale"]


def test_command_owned_keys_land_in_extra(tmp_path: Path) -> None:
    pyproject(tmp_path, 'diff_base = "origin/main"\n')
    assert load_config(tmp_path).extra == {"diff_base": "origin/main"}
