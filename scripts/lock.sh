#!/usr/bin/env bash
# Regenerates requirements/lock.txt: every package the test suite and CI install, pinned, for
# Python 3.11-3.13 on any platform (uv's universal resolution). The package's own requirements in
# pyproject.toml stay ranges; this lock is what scripts/test.sh and .ci/run install under.
# Run after changing a dependency in pyproject.toml, then run the suite and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
uv pip compile pyproject.toml --extra trainer --extra triton --extra dev \
  --universal --python-version 3.11 --quiet --annotation-style line -o requirements/lock.txt "$@"
