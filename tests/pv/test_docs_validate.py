"""The rule catalogue documents every code pv validate can emit (docs/validate.md)."""

from __future__ import annotations

import re

from pv_validate_helpers import REPO

from pv.checks import codes
from pv.parse import codes as parse_codes
from pv.rules import all_rules

DOC = (REPO / "docs" / "validate.md").read_text(encoding="utf-8")


def _validate_codes() -> list[str]:
    return sorted(v for module in (parse_codes, codes) for k, v in vars(module).items()
                  if k.isupper() and isinstance(v, str) and v.startswith("PV-"))


def test_every_validate_code_has_a_catalogue_entry_with_its_severity() -> None:
    registered = {r.code: r for r in all_rules()}
    for code in _validate_codes():
        rule = registered[code]
        heading = re.search(rf"^### {code} \((\w+)", DOC, re.M)
        assert heading, f"docs/validate.md has no section for {code}"
        assert heading.group(1) == rule.default_severity.label, code


def test_catalogue_lists_no_code_that_does_not_exist() -> None:
    documented = set(re.findall(r"^### (PV-[A-Z]+-\d{3})", DOC, re.M))
    assert documented == set(_validate_codes())
