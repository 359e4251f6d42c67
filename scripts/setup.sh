#!/usr/bin/env bash
# Creates .venv and installs the project with every extra. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# The package's own bytecode, written once: with PYTHONDONTWRITEBYTECODE set (as on CI) every
# command would otherwise compile the sources again at its start.
.venv/bin/python -m compileall -q src
