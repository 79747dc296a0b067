"""Exit codes shared by every pv command (documented in docs/cli.md).

A run that measured nothing never exits 0: "nothing checked" is its own code.
"""

OK = 0  # everything given was checked and holds (warnings allowed)
FINDINGS = 1  # at least one finding at error level
NOTHING_CHECKED = 2  # no contract found, missing path, wrong usage, or an unexpected error
