#!/usr/bin/env bash
# Proven falsifiable: apply every declared mutant in contracts/ in an isolated copy and require the
# falsifier's bound tests to go red (docs/falsify.md). .ci/run calls this after the test run and
# before `pv lint`, so the status gate sees fresh mutant verdicts in the ledger.
# -j 2: CI has two cores; 120 s per mutant is ~10x the slowest bound test set this script runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PV=${PV:-.venv/bin/pv}
exec "$PV" falsify contracts/ -j 2 --timeout 120 "$@"
